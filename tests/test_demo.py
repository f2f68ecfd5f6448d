"""`csa-report demo` as a user runs it (a subprocess, as `make demo` does): the whole job on embedded defaults,
and a second run in the same folder that repeats nothing."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("csa-report")
AUTHORITY = "supervisory-authority@example.org"
COMMISSION = "commission-csa@example.org"
ARTEFACTS = ["manifest.json", "report.csv", "report.html", "report.json", "report.md", "report.pdf"]


def run_demo(out: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    proc = subprocess.run(
        [str(CLI), "demo", "--out", str(out)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return " ".join(proc.stdout.split())  # rich wraps long lines


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_demo_runs_everything_once_and_repeats_nothing(tmp_path):
    out = tmp_path / "demo"
    first = run_demo(out)
    assert sorted(p.name for p in (out / "report").iterdir()) == ARTEFACTS
    emails = sorted(p.name for p in (out / "outbox").iterdir())
    assert len(emails) == 2 and all(e.endswith(".eml") for e in emails)
    assert "archived 7 objects under Object Lock" in first  # the six artefacts and the sealed PDF
    assert (out / "audit.db").exists() and (out / "source.db").exists() and (out / "s3").is_dir()
    report = digests(out / "report")
    mails = digests(out / "outbox")

    report_id = re.search(r"report ([0-9a-f]{16}) \(manifest sha256", first)
    assert report_id is not None
    rid = report_id.group(1)

    # Again in the same folder: the period is filed, so the run stops before staging (a run never claims what
    # it did not do); the demo says so, shows that filing, and exits 0.
    second = run_demo(out)
    assert "not seeding again" in second
    assert f"period 2025 is already filed in {out}: nothing was staged, signed or sent again" in second
    filed = re.search(rf"Example Communications Ireland Ltd: report {rid} \(filed (\S+)Z, submitted\)", second)
    assert filed is not None, second[-3000:]
    assert second.count(f"{AUTHORITY} (supervisory_authority): sent via outbox") == 1
    assert second.count(f"{COMMISSION} (commission): sent via outbox") == 1
    assert "delivered to" not in second and "archived" not in second
    assert digests(out / "report") == report  # same inputs, same bytes
    assert digests(out / "outbox") == mails  # nothing delivered twice
    leftover = subprocess.run(["pgrep", "-f", f"-dir={out}"], capture_output=True, text=True, check=False)
    assert leftover.stdout.strip() == "", "the demo left its S3 server running"

    # `demo --wait` after `demo`: its report differs (human sign-off), and the period is filed: it stops before
    # staging with exit 2 and delivers nothing; the outbox holds exactly the first run's messages.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    waited = subprocess.run(
        [str(CLI), "demo", "--wait", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    said = " ".join((waited.stdout + waited.stderr).split())
    assert waited.returncode == 2, said[-3000:]
    assert "already filed as report" in said and "--supersedes" in said and "Traceback" not in said
    assert digests(out / "outbox") == mails
