"""A real Prefect server for the UI, sign-off and deployment tests: one ``prefect server start`` per session on
a free loopback port with a temporary ``PREFECT_HOME``, and one ``serve`` process for the test deployments.

Both run in their own process group and are stopped (SIGTERM, then SIGKILL) at the end of the session, so no
stray process survives. With ``CI=true`` a server or browser that cannot start fails the run (``service_missing``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import service_missing

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CSA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Deployments the ``served`` fixture registers (tests/ui/serve_test_flows.py).
SIGNOFF_DEPLOYMENT = "signoff-demo/ui-test"
RETRY_DEPLOYMENT = "retry-demo/ui-test"


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even if it is killed before teardown."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGINT, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # children that outlived the leader (flow-run subprocesses of a runner)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class PrefectServer:
    url: str  # http://127.0.0.1:PORT
    api_url: str  # …/api
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=30)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_URL": f"{url}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_UI_V2_ENABLED": "true",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "2",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_CLI_COLORS": "false",
    }
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start"], env=env, cwd=home, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                service_missing(f"prefect server (exited {proc.returncode}, see {home / 'server.log'})")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                service_missing(f"prefect server on {url} (no /api/health within 90 s)")
            time.sleep(0.5)
        # Prefect calls in this process (run_deployment, resume_flow_run) go to the same server; prefect reads
        # its settings once at import, so they are set through a settings context rather than os.environ.
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
            try:
                yield PrefectServer(url=url, api_url=f"{url}/api", home=home, env=env)
            finally:  # logs of in-process flow runs, before the server goes away
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=5)
    finally:
        stop_group(proc)
        log.close()


@dataclass
class Served:
    workdir: Path
    log: Path


@pytest.fixture(scope="session")
def served(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``serve()`` of the test deployments (tests/ui/serve_test_flows.py) in a subprocess polling every second."""
    workdir = tmp_path_factory.mktemp("served")
    log_path = workdir / "serve.log"
    env = {**prefect_server.env, "PREFECT_RUNNER_POLL_FREQUENCY": "1", "PREFECT_LOGGING_LEVEL": "INFO",
           "PYTHONPATH": str(REPO)}
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "tests/ui/serve_test_flows.py"], env=env, cwd=REPO, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
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
