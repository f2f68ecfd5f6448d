"""What an operator's terminal shows when ``csa-report run`` fails inside a Prefect task: one line per error and
no traceback, neither ours nor Prefect's engine stack. A failure the user can fix (an S3 endpoint nobody answers
on) is its documented exit code with no crash log; a bug inside a task is exit 4, one line naming the log file,
and the full traceback in that file under ``CSA_ERROR_LOG_DIR``. Each case is a real subprocess."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csa_report.period import Period
from csa_report.seed import seed
from tests.support.example_policies import unsigned_example
from tests.support.storage import free_port

ROOT = Path(__file__).resolve().parents[2]
#: What Prefect's engine and Python print when a traceback reaches the terminal.
STACK = re.compile(r"Traceback|^\s+File \"|prefect/(task_engine|flow_engine)|^\w+(Error|Exception): ", re.M)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=7)
    return url


def run(fault: str, source: str, tmp_path: Path, **settings: str) -> tuple[int, str, Path]:
    """``csa-report run`` (through tests/reliability/run_child.py, FAULT placed in a task); returns the exit
    code, stdout and stderr together, and the crash log folder."""
    logs = tmp_path / "crash-logs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "CSA_SOURCE_DB": source,
            "CSA_AUDIT_DB": f"sqlite:///{tmp_path / 'audit.db'}",
            "CSA_POLICIES": str(unsigned_example()),
            "CSA_SMTP_FROM": "transparency@example-communications.ie",  # every run but the demo names its sender
            "CSA_ERROR_LOG_DIR": str(logs),
            "CSA_S3_ACCESS_KEY": "test",
            "CSA_S3_SECRET_KEY": "test-secret",
            "CSA_TASK_RETRY_DELAYS_S": "[]",
            **settings,
        }
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.run_child",
            fault,
            "run",
            "--period",
            "2025",
            "--as-of",
            "2026-01-15T00:00:00Z",
            "--out",
            str(tmp_path / "out"),
            "--approve-as",
            "Dara Kelly",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, logs


def error_lines(said: str) -> list[str]:
    return [line for line in said.splitlines() if line.startswith("error:")]


@pytest.mark.slow
def test_unreachable_s3_inside_the_stage_task_is_one_line_exit_3_without_a_traceback(
    source: str, tmp_path: Path
) -> None:
    """Defect: an unreachable S3 printed Prefect's full tracebacks (98 lines) before the error."""
    closed = free_port()  # nothing listens there
    code, said, logs = run("none", source, tmp_path, CSA_S3_ENDPOINT=f"http://127.0.0.1:{closed}")
    assert code == 3, said[-3000:]
    assert not STACK.search(said), said[-3000:]
    [line] = error_lines(said)
    assert f"127.0.0.1:{closed}" in line or "unreachable" in line.lower(), line
    assert not logs.exists() or not any(logs.iterdir())  # a user's error, not a bug: no crash log


@pytest.mark.slow
def test_a_bug_inside_a_task_is_one_line_exit_4_and_the_traceback_goes_to_the_crash_log(
    source: str, tmp_path: Path
) -> None:
    code, said, logs = run("bug-in:render", source, tmp_path)
    assert code == 4, said[-3000:]
    assert not STACK.search(said), said[-3000:]
    [line] = error_lines(said)
    assert "internal error (KeyError)" in line and "this is a bug in csa-report" in line, line
    [log] = sorted(logs.glob("crash-*.log"))
    assert str(log) in said
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and 'raise KeyError("injected")' in text


def test_the_filter_reaches_the_clis_own_root_handler() -> None:
    """Defect found by the tests above: the CLI configures the root logger before prefect is imported, Prefect
    then leaves the root alone, and its run loggers printed full tracebacks through the CLI's stream handler,
    which had no filter (only Prefect's console handler had)."""
    from csa_report.commands.prefect_runtime import OneLine, keep_tracebacks_off_the_terminal

    root = logging.getLogger()
    handler, log_file = logging.StreamHandler(), logging.FileHandler(os.devnull)
    root.addHandler(handler)
    root.addHandler(log_file)
    try:
        keep_tracebacks_off_the_terminal()
        keep_tracebacks_off_the_terminal()  # idempotent
        assert sum(isinstance(f, OneLine) for f in handler.filters) == 1
        assert not any(isinstance(f, OneLine) for f in log_file.filters)  # a log file keeps the whole text
    finally:
        root.removeHandler(handler)
        root.removeHandler(log_file)
        log_file.close()
