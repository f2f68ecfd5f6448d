"""How csa-report lives with Prefect on an operator's terminal:

- Prefect's tracebacks stay in the run logs (sent to the API, shown in the UI), not on the terminal: the console
  handlers get a filter that keeps each record's first line. The API handler formats a record before the
  console sees it (it sits on the child logger), so the run logs keep the full text.
- The ephemeral API (started by Prefect when no ``PREFECT_API_URL`` is set) waits ``CSA_PREFECT_STARTUP_TIMEOUT_S``
  for its server, and a server that never answers is exit 3, not a RuntimeError.
- That server dies with its parent: it is started with the kernel's parent-death signal, so a ``kill -9`` of
  ``csa-report run`` leaves no uvicorn process behind.
- That server is closed to strangers (csa_report.local.private_api): it requires the random auth string the CLI
  set before Prefect was imported, and where it answers is recorded for ``approve``/``reject``/``status`` only.
- A Prefect API that refuses our credentials (HTTP 401) is a configuration error (exit 2) naming
  ``PREFECT_API_AUTH_STRING``, not an outage.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
from typing import Any

from csa_report.errors import ConfigError, CsaReportError, UnreachableError
from csa_report.local import private_api
from csa_report.local.processes import dying_with_this_process

_EPHEMERAL_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"


def prepare_environment(startup_timeout_s: float) -> None:
    """Before prefect is imported: the ephemeral server's start-up wait (an explicit Prefect setting wins)."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(int(startup_timeout_s)))


class OneLine(logging.Filter):
    """Keep a record's first line on the terminal: no traceback, no multi-line exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.exc_text or record.stack_info or "\n" in str(record.msg):
            first = record.getMessage().split("\n", 1)[0]
            record.msg, record.args = f"{first} (details in the run's logs)", ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def keep_tracebacks_off_the_terminal() -> None:
    """Attach OneLine to the terminal's handlers (idempotent). Call after prefect is imported. Not only Prefect's
    console handler: when the CLI configured the root logger first, Prefect leaves it alone and its run loggers
    print through the CLI's plain stream handler."""
    for name in ("", "prefect", "uvicorn", "fastapi"):
        for handler in logging.getLogger(name).handlers:
            on_terminal = isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
            if on_terminal and not any(isinstance(f, OneLine) for f in handler.filters):
                handler.addFilter(OneLine())


def bind_ephemeral_server_to_parent() -> None:
    """Start Prefect's ephemeral API server with the parent-death signal. Only from the main thread: the kernel
    sends the signal when the *thread* that started the child ends, and the main thread ends with the process."""
    from prefect.server.api import server

    cls: Any = server.SubprocessASGIServer
    original = cls._run_uvicorn_command
    if getattr(original, "_csa_bound", False):
        return

    def run(self: Any) -> subprocess.Popen[Any]:
        # The main thread is the only one starting servers, so patching Popen for this one call is safe.
        with dying_with_this_process():
            process = original(self)
        # Here the port is known: record it (with the auth string) for `approve`/`reject`/`status`.
        if private_api.write_record(os.environ, self.api_url) is not None:
            atexit.register(private_api.remove_record, dict(os.environ))
        return process  # type: ignore[no-any-return]

    run._csa_bound = True  # type: ignore[attr-defined]
    cls._run_uvicorn_command = run


def known_failure(exc: BaseException) -> CsaReportError | None:
    """Exceptions of Prefect or its HTTP client that are not bugs but an API that is not there."""
    text = str(exc)
    if isinstance(exc, RuntimeError) and _EPHEMERAL_TIMEOUT in text:
        wait = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "?")
        return UnreachableError(
            f"Prefect's local API server did not start within {wait} s; set "
            "CSA_PREFECT_STARTUP_TIMEOUT_S to wait longer, or PREFECT_API_URL to use a server"
        )
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx ships with prefect
        return None
    if isinstance(exc, httpx.HTTPStatusError):
        return http_status_error(os.environ.get("PREFECT_API_URL", "the ephemeral API"), exc)
    if isinstance(exc, httpx.TransportError):
        api = os.environ.get("PREFECT_API_URL", "the ephemeral API")
        return UnreachableError(
            f"the Prefect API at {api} stopped answering ({type(exc).__name__}); the run's "
            "state is kept by the server: check it with `csa-report status` once it is back"
        )
    return None


def http_status_error(api: str, exc: Any) -> CsaReportError:
    """The error for an HTTP answer of the Prefect API that is not a success: 401/403 means our credentials are
    wrong or missing (configuration, exit 2), anything else that the API is not serving us (exit 3)."""
    code = exc.response.status_code
    if code in (401, 403):
        return ConfigError(
            f"the Prefect API at {api} refused our credentials (HTTP {code}): set PREFECT_API_AUTH_STRING to the "
            "server's auth string (PREFECT_SERVER_API_AUTH_STRING), or leave PREFECT_API_URL unset to answer a "
            "`csa-report run` waiting on this machine"
        )
    return UnreachableError(f"the Prefect API at {api} answered HTTP {code}")
