"""kill -9 of ``csa-report demo`` leaves nothing running: its local S3 (SeaweedFS, in a session of its own) and
Prefect's ephemeral API (in the demo's group) die with it, through the kernel's parent-death signal. Only the
demo's own pid is killed, as ``kill -9 PID`` does: a signal to its group would hide a missing binding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).with_name("csa-report")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _servers(demo: psutil.Process) -> dict[str, psutil.Process]:
    found = {}
    for child in demo.children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "uvicorn" in cmd:
            found["prefect"] = child
        elif "weed" in cmd:
            found["seaweedfs"] = child
    return found


def test_kill9_of_demo_leaves_no_prefect_or_s3_server_behind(tmp_path: Path) -> None:
    """Defect: a killed run left its ephemeral Prefect server running; the demo had no such binding at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    log = (tmp_path / "demo.log").open("wb")
    proc = subprocess.Popen(
        [str(CLI), "demo", "--out", str(tmp_path / "demo")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    demo = psutil.Process(proc.pid)
    servers: dict[str, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and proc.poll() is None and len(servers) < 2:
            servers = _servers(demo)
            time.sleep(0.5)
        assert set(servers) == {"prefect", "seaweedfs"}, (tmp_path / "demo.log").read_text()[-3000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in servers.values()):
            time.sleep(0.2)
        left = sorted(name for name, p in servers.items() if _alive(p))
        assert left == [], f"{left} outlived the killed demo"
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
        for p in servers.values():
            if _alive(p):
                os.killpg(os.getpgid(p.pid), signal.SIGKILL)
