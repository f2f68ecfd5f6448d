"""Prefect on the operator's terminal: tracebacks stay in the run logs, a server that never starts or an API that
vanishes is exit 3, and a killed run leaves no ephemeral API server behind."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from csa_report.commands.prefect_runtime import OneLine, known_failure

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys, time
from csa_report.commands.prefect_runtime import bind_ephemeral_server_to_parent
bind_ephemeral_server_to_parent()
from prefect.server.api.server import SubprocessASGIServer
server = SubprocessASGIServer()
server.start(timeout=int(sys.argv[1]))
print(server.server_process.pid, flush=True)
time.sleep(600)
"""


def test_console_filter_keeps_the_first_line_only() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logging.LogRecord(
            "prefect.task_runs", logging.ERROR, __file__, 1, "Task failed:\n%s", ("details",), sys.exc_info()
        )
    assert OneLine().filter(record)
    out = logging.Formatter("%(message)s").format(record)
    assert out == "Task failed: (details in the run's logs)" and "Traceback" not in out


def test_prefect_startup_timeout_and_vanished_api_are_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defects: a slow ephemeral API start (RuntimeError) and the API vanishing (httpx.ConnectError) were
    tracebacks with exit 1."""
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    slow = known_failure(RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server."))
    assert slow is not None and slow.exit_code == 3 and "did not start within 90 s" in str(slow)
    gone = known_failure(httpx.ConnectError("All connection attempts failed"))
    assert gone is not None and gone.exit_code == 3 and "stopped answering (ConnectError)" in str(gone)
    assert known_failure(RuntimeError("something else")) is None


def test_cli_maps_a_vanished_api_to_exit_3(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import csa_report.period as period_module
    from csa_report.cli import main

    def vanish(text: str) -> object:
        raise httpx.ConnectError("All connection attempts failed")

    monkeypatch.setattr(period_module.Period, "parse", staticmethod(vanish))
    assert main(["extract", "--db", "sqlite:///x.db", "--period", "2025", "--out", "o"]) == 3
    err = capsys.readouterr().err
    assert "Prefect API" in err and "Traceback" not in err


def test_ephemeral_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """Defect: a killed `run` left its ephemeral Prefect server running."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line.isdigit(), "the child did not start the ephemeral server"
        server = psutil.Process(int(line))
        assert server.is_running() and "uvicorn" in " ".join(server.cmdline())
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and server.is_running() and server.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.2)
        alive = server.is_running() and server.status() != psutil.STATUS_ZOMBIE
        if alive:
            server.kill()
        assert not alive, "the ephemeral server outlived its killed parent"
    finally:
        if child.poll() is None:
            child.kill()


def test_approve_wait_keeps_the_exit_code_of_the_flows_own_error() -> None:
    """Defect: `approve --wait` exited 4 when the run stopped as tampered; it must be 5."""
    from csa_report.commands.signoff import failed_run_error

    tampered = failed_run_error(
        "flow run x ended Failed: Flow run encountered an exception: TamperedError: "
        "s3://b/k no longer matches its recorded SHA-256"
    )
    assert tampered.exit_code == 5
    unknown = failed_run_error("flow run x ended Failed: Flow run encountered an exception: DeliveryUnknown: …")
    assert unknown.exit_code == 3
    bug = failed_run_error("flow run x ended Failed: Flow run encountered an exception: KeyError: 'x'")
    assert bug.exit_code == 4 and "retry the run" in str(bug)


def test_a_refused_credential_is_a_configuration_error_naming_the_setting() -> None:
    """Defect: a Prefect HTTP 401 was exit 3 ("unreachable") instead of a configuration error."""
    request = httpx.Request("POST", "http://127.0.0.1:4200/api/flow_runs/x/resume")
    refused = httpx.HTTPStatusError("401", request=request, response=httpx.Response(401, request=request))
    known = known_failure(refused)
    assert known is not None and known.exit_code == 2 and "PREFECT_API_AUTH_STRING" in str(known)
    broken = httpx.HTTPStatusError("503", request=request, response=httpx.Response(503, request=request))
    other = known_failure(broken)
    assert other is not None and other.exit_code == 3
