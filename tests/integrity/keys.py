"""Real OpenSSH keys made with ssh-keygen for the tests (the published example keys are in policies/example-keys)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.example_policies import EXAMPLE_POLICIES, provider_versions, strip_signing_keys


@dataclass(frozen=True)
class Key:
    private: Path
    public: str  # "ssh-ed25519 AAAA… comment"

    @property
    def fingerprint(self) -> str:
        out = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(self.private) + ".pub"], capture_output=True, text=True, check=True
        ).stdout
        return out.split()[1]


def make_key(folder: Path, name: str) -> Key:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return Key(path, (folder / f"{name}.pub").read_text().strip())


def ssh_keygen_verify(folder: Path, data: bytes, signature: str, principal: str, public: str) -> int:
    """Exit code of the check a recipient runs with OpenSSH alone."""
    (folder / "allowed_signers").write_text(f'{principal} namespaces="csa-report" {public}\n')
    (folder / "manifest.json.sig").write_text(signature)
    return subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(folder / "allowed_signers"),
            "-I",
            principal,
            "-n",
            "csa-report",
            "-s",
            str(folder / "manifest.json.sig"),
        ],
        input=data,
        capture_output=True,
        check=False,
    ).returncode


def keyed_policies(folder: Path, keys: Mapping[str, Key], source: Path = EXAMPLE_POLICIES) -> Path:
    """A copy of the policies in ``source`` with exactly these public keys (name → key) as ``signing_keys`` in
    every version of provider.md (the example's published keys are replaced), so the sign-off asks for an SSH
    signature by one of these keys."""
    target = folder / "policies"
    shutil.copytree(source, target)
    strip_signing_keys(target)
    entries = "".join(f"\n  - name: {name}\n    key: {key.public}" for name, key in keys.items())
    for provider in provider_versions(target):
        head, sep, body = provider.read_text().partition("\n---\n")
        provider.write_text(head + "\nsigning_keys:" + entries + sep + body)
    return target
