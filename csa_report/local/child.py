"""What the local servers run as child processes (SeaweedFS, Spark Connect) share: a start retried when the child
exits during start-up (a port taken between choosing and binding it), the wait until it answers, and a stop of
its whole process group that also closes its log. Every one started is stopped at interpreter exit if its owner
did not (e.g. an uncaught error).
"""

from __future__ import annotations

import atexit
import logging
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TypeVar

from csa_report.errors import ToolError, UnreachableError
from csa_report.local import processes

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Servers started by this process, stopped at interpreter exit if their owner did not.
_RUNNING: set[ChildServer] = set()


class EarlyExit(Exception):
    """The child exited during start-up."""


class ChildServer:
    """One local server in a process group of its own. ``title`` names it in messages ("SeaweedFS")."""

    title = "the server"

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._log_path: Path | None = None

    def _refuse_running(self) -> None:
        if self.process is not None:
            raise ToolError(f"{self.title} is already running")

    def _with_retries(self, start_once: Callable[[], T], attempts: int, retrying: str) -> T:
        """``start_once()``, again up to ``attempts`` times in all while the child exits during start-up."""
        for attempt in range(1, attempts + 1):
            try:
                return start_once()
            except EarlyExit as exc:
                if attempt == attempts:
                    raise ToolError(str(exc)) from None
                log.warning("%s; %s", exc, retrying)
        raise AssertionError("unreachable")

    def _launch(
        self,
        command: Sequence[str],
        log_path: Path,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        bind_to_parent: bool = False,
    ) -> subprocess.Popen[bytes]:
        """Start ``command`` as a process group, output appended to ``log_path``."""
        self._log_path = log_path
        self._log_file = open(log_path, "ab")  # closed in _stop_child()
        self.process = processes.start_group(
            command, log_file=self._log_file, env=env, cwd=cwd, bind_to_parent=bind_to_parent
        )
        _RUNNING.add(self)
        return self.process

    def _wait_ready(
        self, probe: Callable[[], str | None], timeout_s: float, interval_s: float, unreachable: Callable[[str], str]
    ) -> None:
        """Until ``probe()`` answers None (ready; else why not yet), for up to ``timeout_s``: EarlyExit when the
        child exits meanwhile, UnreachableError (``unreachable(last reason)``) when time runs out."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise EarlyExit(
                    f"{self.title} exited with code {self.process.returncode} during start-up; see {self._log_path}"
                )
            why = probe()
            if why is None:
                return
            last = why
            time.sleep(interval_s)
        raise UnreachableError(unreachable(last))

    @property
    def pgid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _stop_child(self, grace_s: float) -> subprocess.Popen[bytes] | None:
        """SIGTERM to the whole process group, wait, then SIGKILL; the stopped process, None if none ran."""
        proc = self.process
        if proc is None:
            return None
        processes.stop_group(proc, grace_s)
        self.process = None
        _RUNNING.discard(self)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return proc

    def stop(self, grace_s: float = 10.0) -> None:
        self._stop_child(grace_s)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop(grace_s=5.0)
