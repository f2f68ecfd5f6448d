"""A local ``prefect server start`` (API and UI) for ``csa-report demo --wait``, where a human must be able to
open the sign-off form in a browser. Loopback only, its own PREFECT_HOME, stopped with its process group."""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from csa_report.errors import UnreachableError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, timeout_s: float = 90.0) -> str:
    """Start a Prefect server for this process and return its API URL; it is stopped when the process exits.
    Must run before ``prefect`` is imported, since Prefect reads its settings at import. The API is closed to
    strangers: it requires the basic-auth string set here as ``PREFECT_API_AUTH_STRING`` for our clients."""
    api, auth, stop = start_private_server(home, timeout_s)
    atexit.register(stop)
    os.environ.update({"PREFECT_API_URL": api, "PREFECT_HOME": str(home.resolve()), "PREFECT_API_AUTH_STRING": auth})
    return api


def start_private_server(home: Path, timeout_s: float = 90.0) -> tuple[str, str, Callable[[], None]]:
    """A loopback Prefect server whose API answers only requests carrying a fresh random auth string
    (``PREFECT_SERVER_API_AUTH_STRING``; the UI asks for it once). Returns (API URL, auth string, stop)."""
    home.mkdir(parents=True, exist_ok=True)
    auth = f"csa:{secrets.token_urlsafe(18)}"
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home.resolve()), "PREFECT_SERVER_API_HOST": "127.0.0.1",
           "PREFECT_SERVER_API_PORT": str(port), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_API_AUTH_STRING": auth, "PREFECT_API_AUTH_STRING": auth}
    prefect = Path(sys.executable).with_name("prefect")
    log = (home / "server.log").open("ab")
    proc = subprocess.Popen([str(prefect), "server", "start"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UnreachableError(f"the Prefect server exited at start (code {proc.returncode}); see "
                                   f"{home / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as resp:
                if resp.status == 200:  # /health is open by design (probes); everything else needs the string
                    return api, auth, stop
        except OSError:
            time.sleep(0.5)
    stop()
    raise UnreachableError(f"the Prefect server did not answer within {timeout_s:.0f} s; see {home / 'server.log'}")
