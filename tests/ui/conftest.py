"""The UI, sign-off and deployment tests: one ``serve`` process for the test deployments, against the session's
Prefect server (``prefect_server``, tests/support/services.py), and the browser.
The server's API requires an auth string (PREFECT_SERVER_API_AUTH_STRING): the ``serve`` process gets it in its
environment, and the browser logs in on the UI's login page first (tests/ui/ui_helpers.py, ``open_ui``).

The ``serve`` process runs in its own process group and is stopped (SIGTERM, then SIGKILL) at the end of the
session, so no stray process survives. With ``CI=true`` a browser that cannot start fails the run.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from csa_report.local.processes import free_port as free_port  # re-exported for the UI test modules
from csa_report.local.processes import start_group, stop_group
from tests.support.services import PrefectServer, service_missing

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CSA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Deployments the ``served`` fixture registers (tests/ui/serve_test_flows.py).
SIGNOFF_DEPLOYMENT = "signoff-demo/ui-test"
RETRY_DEPLOYMENT = "retry-demo/ui-test"


@dataclass
class Served:
    workdir: Path
    log: Path


@pytest.fixture(scope="session")
def served(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``serve()`` of the test deployments (tests/ui/serve_test_flows.py) in a subprocess polling every second."""
    workdir = tmp_path_factory.mktemp("served")
    log_path = workdir / "serve.log"
    env = {
        **prefect_server.env,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONPATH": str(REPO),
    }
    log = log_path.open("wb")
    proc = start_group(
        [sys.executable, "tests/ui/serve_test_flows.py"], env=env, cwd=REPO, log_file=log, bind_to_parent=True
    )
    try:
        with prefect_server.client() as client:
            deadline = time.monotonic() + 60
            missing = [SIGNOFF_DEPLOYMENT, RETRY_DEPLOYMENT]
            while missing:
                if proc.poll() is not None:
                    pytest.fail(f"serve process exited {proc.returncode}: {log_path.read_text()[-2000:]}")
                missing = [d for d in missing if client.get(f"/deployments/name/{d}").status_code != 200]
                if time.monotonic() > deadline:
                    pytest.fail(f"deployments {missing} not registered within 60 s: {log_path.read_text()[-2000:]}")
                time.sleep(0.5)
        yield Served(workdir=workdir, log=log_path)
    finally:
        stop_group(proc)
        log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        service_missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM
