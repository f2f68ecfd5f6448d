"""The worker runs flow code from the ``CSA_REPORT_HOME`` checkout while the CLI runs the installed package:
say at start which version and commit each is, and warn when they differ."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class CodeVersions:
    installed: str | None  # the csa-report distribution's version, None when not installed
    checkout: str | None  # the version in the checkout's pyproject.toml
    commit: str | None  # the checkout's HEAD commit

    @property
    def mismatch(self) -> bool:
        return None not in (self.installed, self.checkout) and self.installed != self.checkout

    def log_line(self, home: Path) -> str:
        return (
            f"csa-report installed {self.installed or 'not installed'}; checkout {home}: version "
            f"{self.checkout or 'unknown'}, commit {self.commit or 'unknown'}"
        )

    def warning(self, home: Path) -> str | None:
        """The warning for the run page, or None when installed and checked-out versions agree."""
        if not self.mismatch:
            return None
        return (
            f"the installed csa-report is {self.installed} but the checkout {home} (CSA_REPORT_HOME) is "
            f"{self.checkout} (commit {self.commit or 'unknown'}): flow runs execute the checkout's code, the CLI "
            f"the installed package; install the checkout (`pip install {home}`) or check out the installed version"
        )


def code_versions(home: Path) -> CodeVersions:
    try:
        installed: str | None = metadata.version("csa-report")
    except metadata.PackageNotFoundError:
        installed = None
    checkout = None
    try:
        checkout = str(tomllib.loads((home / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, ValueError):
        pass
    commit = None
    try:
        done = subprocess.run(
            ["git", "-C", str(home), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
        commit = done.stdout.strip() or None if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return CodeVersions(installed, checkout, commit)
