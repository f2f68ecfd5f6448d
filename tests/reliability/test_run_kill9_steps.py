"""kill -9 of a whole ``csa-report run`` at each step boundary before the submission (before extract, after
extract, check, render and stage — in turn, each re-run killed one boundary further — and while the run waits for
sign-off), then the same command again to the end.

The run is a real process (the CLI's ``main`` in ``tests/reliability/run_child.py``) with its own process group;
at the boundary it SIGKILLs the group, so the ephemeral Prefect API dies with it and none of our handlers run.
Against real SeaweedFS, PostgreSQL (audit), SQLite (source) and an aiosmtpd server, the re-run must leave:
nothing lost (exit 0, submitted, both recipients served) and nothing twice (one staged set of objects, one
version of each archived object, one submitted audit run, no duplicate findings rows, one message per
recipient, one approval), with artefacts byte-identical to an uninterrupted run. (The submission's own kill
points, inside archive and delivery, are tests/storage/test_kill9.py.)"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from csa_report.audit import AuditLog
from csa_report.local.seaweed import S3Endpoint, local_s3
from csa_report.period import Period
from csa_report.seed import seed
from tests.support.example_policies import unsigned_example
from tests.support.services import SmtpService, smtp_controller
from tests.support.storage import CollectingHandler

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICIES = unsigned_example()  # typed --approve-as and typed form answers
AS_OF = "2026-01-15T00:00:00Z"
APPROVER = "Dara Kelly"
AUTHORITY = "supervisory-authority@example.org"
COMMISSION = "commission-csa@example.org"
STAGING, ARCHIVE = "csa-staging", "csa-archive"

#: Kill point → the child's fault (tests/reliability/run_child.py). Task names are the flow's step names.
KILL_POINTS = {
    "before-extract": "kill-before:extract",
    "after-extract": "kill-after:extract",
    "after-check": "kill-after:check",
    "after-render": "kill-after:render",
    "after-stage": "kill-after:stage",
    "signoff-wait": "kill-paused",
}


@dataclass(frozen=True)
class Outcome:
    artefacts: dict[str, str]
    staged: list[str]
    archived: list[str]
    report_id: str
    findings: list[tuple[str, str, int | None]]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    with local_s3(tmp_path_factory.mktemp("s3"), lock_days=1) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.db'}"
    seed(url, Period.parse("2025"), scale=300, seed=3)
    return url


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Prefect home for every run here, as an operator has: a killed ephemeral API leaves its database."""
    return tmp_path_factory.mktemp("prefect")


@contextmanager
def own_smtp() -> Iterator[tuple[int, CollectingHandler]]:
    """An SMTP server of the module-scoped fixture's own (the session's is emptied for each test)."""
    handler = CollectingHandler()
    with smtp_controller(handler) as controller:
        yield int(controller.port), handler


def environment(s3: S3Endpoint, source: str, home: Path, audit_db: str, smtp_port: int, tag: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    env.update({f"CSA_{k.upper()}": str(v) for k, v in s3.settings_overrides().items()})
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
            "CSA_SOURCE_DB": source,
            "CSA_AUDIT_DB": audit_db,
            "CSA_POLICIES": str(EXAMPLE_POLICIES),
            "CSA_SMTP_HOST": "127.0.0.1",
            "CSA_SMTP_FROM": "transparency@example-communications.ie",
            "CSA_SMTP_PORT": str(smtp_port),
            "CSA_SMTP_TLS": "none",
            "CSA_OBJECT_LOCK_DAYS": "1",
            "CSA_SIGNOFF_POLL_S": "1",
            # Each case its own prefixes: the cases never meet in the shared buckets.
            "CSA_STAGING_PREFIX": f"pending-{tag}",
            "CSA_ARCHIVE_PREFIX": f"submitted-{tag}",
            "CSA_PUBLICATION_PREFIX": f"public-{tag}",
        }
    )
    return env


def run(fault: str, env: dict[str, str], out: Path, human: bool) -> subprocess.CompletedProcess[str]:
    """``csa-report run`` in its own process group; with ``human`` the sign-off is asked (and answered by the
    child as APPROVER), otherwise given up front with ``--approve-as``."""
    approval = [] if human else ["--approve-as", APPROVER]
    if human and fault == "none":
        fault = f"approve-paused:{APPROVER}"
    argv = [
        sys.executable,
        "-m",
        "tests.reliability.run_child",
        fault,
        "run",
        "--period",
        "2025",
        "--as-of",
        AS_OF,
        "--out",
        str(out),
        *approval,
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _assert_group_gone(proc.pid)
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _assert_group_gone(pgid: int) -> None:
    """No process of the run's group is left (the ephemeral API server included)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f"processes of the run's group {pgid} outlived it")


def versions(s3: S3Endpoint, bucket: str, prefix: str) -> list[str]:
    """Every stored version under ``prefix`` (keys relative to it): a key written twice appears twice."""
    listed = s3.client().list_object_versions(Bucket=bucket, Prefix=prefix + "/")
    return sorted(v["Key"].removeprefix(prefix + "/") for v in listed.get("Versions", []))


def outcome(s3: S3Endpoint, env: dict[str, str], out: Path) -> Outcome:
    audit = AuditLog.open(env["CSA_AUDIT_DB"], migrate=False)
    [submitted] = [r for r in audit.status() if r.status == "submitted"]
    assert submitted.report_id is not None
    findings = [(f.rule, f.severity, f.count) for f in submitted.findings]
    return Outcome(
        artefacts={p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())},
        staged=versions(s3, STAGING, env["CSA_STAGING_PREFIX"]),
        archived=versions(s3, ARCHIVE, env["CSA_ARCHIVE_PREFIX"]),
        report_id=submitted.report_id,
        findings=sorted(findings),
    )


@pytest.fixture(scope="module")
def uninterrupted(
    s3: S3Endpoint, source: str, prefect_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[bool, Outcome]:
    """What an uninterrupted run leaves, with the approval given up front (False) and asked (True): the two
    render differently (the sign-off mode is in the manifest)."""
    done = {}
    for human in (False, True):
        folder = tmp_path_factory.mktemp(f"uninterrupted-{int(human)}")
        with own_smtp() as (port, handler):
            env = environment(s3, source, prefect_home, f"sqlite:///{folder / 'audit.db'}", port, folder.name)
            proc = run("none", env, folder / "out", human)
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert sorted(r for m in handler.messages for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
        done[human] = outcome(s3, env, folder / "out")
    return done


def check_after_rerun(
    s3: S3Endpoint, env: dict[str, str], out: Path, handler: CollectingHandler, expected: Outcome, audit_db: str
) -> None:
    """Nothing lost, nothing twice: the uninterrupted run's report, bytes and findings; one staged set; one version
    of each archived object; each recipient served once in one attempt; one approval; the other runs only staged."""
    got = outcome(s3, env, out)
    assert got == expected
    assert len(got.staged) == len(set(got.staged)) and len(got.archived) == len(set(got.archived))
    assert sorted(r for m in handler.messages for r in m.recipients) == sorted([AUTHORITY, COMMISSION])

    audit = AuditLog.open(audit_db, migrate=False)
    runs = audit.status()
    [submitted] = [r for r in runs if r.status == "submitted"]
    assert all(r.status == "staged" for r in runs if r is not submitted)  # at most an abandoned run, never filed
    for r in runs:
        rules = [f.rule for f in r.findings]
        assert len(rules) == len(set(rules)), f"findings recorded twice for run {r.run_id}"
    assert [d.status for d in submitted.deliveries] == ["sent", "sent"]
    assert all(d.attempts == 1 for d in submitted.deliveries)
    approvals = [s for r in runs for s in r.signoffs if s.decision == "approve" and not s.refused_reason]
    assert len(approvals) == 1 and approvals[0].reviewer == APPROVER


def test_kill9_at_every_step_boundary_in_turn_then_rerun_loses_nothing_and_repeats_nothing(
    s3: S3Endpoint,
    source: str,
    prefect_home: Path,
    new_pg_url: str,
    smtp_server: SmtpService,
    smtp: CollectingHandler,
    uninterrupted: dict[bool, Outcome],
    tmp_path: Path,
) -> None:
    """The same command killed at each boundary in turn — before extract, after extract, check, render and stage —
    each time getting one step further on what the killed runs left, then run to the end: as an operator whose
    machine keeps dying would see it. Each killed run must have reached its kill point (a SIGKILL exit), so every
    boundary is crossed by a run that resumed from a crash."""
    port, handler = smtp_server.port, smtp
    env = environment(s3, source, prefect_home, new_pg_url, port, f"chain-{tmp_path.name}")
    out = tmp_path / "out"
    for point in ("before-extract", "after-extract", "after-check", "after-render", "after-stage"):
        killed = run(KILL_POINTS[point], env, out, human=False)
        assert killed.returncode == -signal.SIGKILL, f"{point}: {killed.stderr[-3000:]}"
        assert handler.messages == []  # every kill point lies before the submission

    again = run("none", env, out, human=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Traceback" not in again.stdout + again.stderr
    check_after_rerun(s3, env, out, handler, uninterrupted[False], new_pg_url)


def test_kill9_while_waiting_for_signoff_then_rerun_loses_nothing_and_repeats_nothing(
    s3: S3Endpoint,
    source: str,
    prefect_home: Path,
    new_pg_url: str,
    smtp_server: SmtpService,
    smtp: CollectingHandler,
    uninterrupted: dict[bool, Outcome],
    tmp_path: Path,
) -> None:
    port, handler = smtp_server.port, smtp
    env = environment(s3, source, prefect_home, new_pg_url, port, f"signoff-{tmp_path.name}")
    out = tmp_path / "out"
    killed = run(KILL_POINTS["signoff-wait"], env, out, human=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert handler.messages == []

    again = run("none", env, out, human=True)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Traceback" not in again.stdout + again.stderr
    check_after_rerun(s3, env, out, handler, uninterrupted[True], new_pg_url)
