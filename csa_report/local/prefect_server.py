"""A local ``prefect server start`` (API and UI) for ``csa-report demo --wait``, where a human must be able to
open the sign-off form in a browser. Loopback only, its own PREFECT_HOME, stopped with its process group."""

from __future__ import annotations

import atexit
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from csa_report.errors import UnreachableError
from csa_report.local.processes import free_port, start_group, stop_group


def start_server(home: Path, timeout_s: float = 90.0) -> dict[str, str]:
    """Start a Prefect server for this process, stopped when the process exits, and return what a client of it
    needs (PREFECT_API_URL, PREFECT_HOME, PREFECT_API_AUTH_STRING): the API is closed to strangers, it requires
    that basic-auth string. The entry point configures its in-process Prefect with them, before importing it
    (Prefect reads its settings at import); nothing here writes the environment."""
    api, auth, stop = start_private_server(home, timeout_s)
    atexit.register(stop)
    return {"PREFECT_API_URL": api, "PREFECT_HOME": str(home.resolve()), "PREFECT_API_AUTH_STRING": auth}


def start_private_server(home: Path, timeout_s: float = 90.0) -> tuple[str, str, Callable[[], None]]:
    """A loopback Prefect server whose API answers only requests carrying a fresh random auth string
    (``PREFECT_SERVER_API_AUTH_STRING``; the UI asks for it once). Returns (API URL, auth string, stop)."""
    server = launch(home, timeout_s)
    assert server.auth is not None
    return server.api_url, server.auth, server.stop


@dataclass
class LocalPrefectServer:
    """A running ``prefect server start``: where it answers, and the environment its clients need."""

    url: str  # http://127.0.0.1:PORT (the UI)
    api_url: str  # …/api
    home: Path
    #: The environment the server runs with; also right for a client process (``serve``, the CLI) of it.
    env: dict[str, str] = field(repr=False)
    auth: str | None = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)
    _log: IO[bytes] = field(repr=False)

    def stop(self) -> None:
        """Stop the server's process group (idempotent)."""
        stop_group(self.process, grace_s=15)
        if not self._log.closed:
            self._log.close()


def launch(
    home: Path,
    timeout_s: float = 90.0,
    *,
    auth: bool = True,
    extra_env: Mapping[str, str] | None = None,
    bind_to_parent: bool = False,
) -> LocalPrefectServer:
    """Start ``prefect server start`` on a free loopback port with ``home`` as PREFECT_HOME and wait for its
    /health. ``auth``: the API requires a fresh random basic-auth string. ``bind_to_parent``: the server gets
    SIGTERM if this process dies without stopping it. Raises UnreachableError if it exits or stays silent."""
    home.mkdir(parents=True, exist_ok=True)
    secret = f"csa:{secrets.token_urlsafe(18)}" if auth else None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = f"{url}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home.resolve()),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **(extra_env or {}),
    }
    if secret is not None:
        env.update({"PREFECT_SERVER_API_AUTH_STRING": secret, "PREFECT_API_AUTH_STRING": secret})
    prefect = Path(sys.executable).with_name("prefect")
    log = (home / "server.log").open("ab")
    proc = start_group(
        [str(prefect), "server", "start"], log_file=log, env=env, cwd=home, bind_to_parent=bind_to_parent
    )
    server = LocalPrefectServer(url=url, api_url=api, home=home, env=env, auth=secret, process=proc, _log=log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise UnreachableError(
                f"the Prefect server exited at start (code {proc.returncode}); see {home / 'server.log'}"
            )
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as resp:
                if resp.status == 200:  # /health is open by design (probes); everything else needs the string
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise UnreachableError(f"the Prefect server did not answer within {timeout_s:.0f} s; see {home / 'server.log'}")
