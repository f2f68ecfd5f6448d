"""Child processes of the local services (SeaweedFS, a Prefect server, the tests' ``serve`` runners): each in a
process group of its own, stopped as a whole (SIGTERM, a grace period, then SIGKILL), on free loopback ports.

One place for this, so every local service is started and stopped the same way and none leaves strays.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

from csa_report.errors import ToolError

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A loopback TCP port that is free now (the kernel's choice; another process may take it before use)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int, *, reuse_addr: bool = False) -> bool:
    """Whether ``port`` can be bound on loopback. ``reuse_addr``: as a server setting SO_REUSEADDR would (Go
    servers do), for which connections of a just-stopped server left in TIME_WAIT do not block a restart."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        if reuse_addr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_pairs(count: int, offset: int) -> list[int]:
    """``count`` distinct free loopback ports P whose companion P + ``offset`` is free too (SeaweedFS serves
    gRPC on each HTTP port + 10000)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        for _ in range(200):
            if len(ports) == count:
                return ports
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
            held.append(sock)  # held open so the next bind(0) cannot return it again
            taken = set(ports) | {p + offset for p in ports}
            if port + offset > 65535 or port in taken or port + offset in taken:
                continue
            if port_free(port + offset):
                ports.append(port)
    finally:
        for sock in held:
            sock.close()
    if len(ports) == count:
        return ports
    raise ToolError(f"could not find {count} free loopback port pairs (P and P+{offset})")


def die_with_parent(parent: int, sig: signal.Signals = signal.SIGKILL) -> None:
    """In a forked child before exec: ask the kernel for ``sig`` when the parent goes; if it is gone already
    (it died between fork and here), go now. No-op where there is no parent-death signal (not Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


@contextmanager
def dying_with_this_process() -> Iterator[None]:
    """Processes started in this block get the kernel's parent-death signal (SIGKILL; Linux, main thread only:
    the signal follows the thread that started them). For servers started through code that does not take
    ``start_group``'s ``bind_to_parent`` (the demo's local S3 and ``--wait`` server, which run in sessions of their
    own, and Prefect's ephemeral API): a kill -9 of the parent must not leave them running."""
    if threading.current_thread() is not threading.main_thread() or not sys.platform.startswith("linux"):
        yield
        return
    parent = os.getpid()
    real = subprocess.Popen

    class _Bound(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("preexec_fn") is None:  # start_group passes an explicit None when not bound itself
                kwargs["preexec_fn"] = lambda: die_with_parent(parent)
            super().__init__(*args, **kwargs)

    subprocess.Popen = _Bound  # type: ignore[misc]
    try:
        yield
    finally:
        subprocess.Popen = real  # type: ignore[misc]


def start_group(
    command: Sequence[str],
    *,
    log_file: IO[bytes],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    bind_to_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new process group, output to ``log_file``. ``bind_to_parent``: the
    group's leader gets SIGTERM when this process dies, even by SIGKILL before any clean-up (Linux)."""
    parent = os.getpid()
    preexec = (lambda: die_with_parent(parent, signal.SIGTERM)) if bind_to_parent and sys.platform == "linux" else None
    return subprocess.Popen(
        list(command),
        env=None if env is None else dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec,
    )


def signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM to the whole group, up to ``grace_s`` for the leader to exit, then SIGKILL; children that outlived
    the leader are killed with the group in any case. Idempotent."""
    if proc.poll() is None:
        signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            log.warning("process group %d did not stop within %.0f s; killing it", proc.pid, grace_s)
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    signal_group(proc.pid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
