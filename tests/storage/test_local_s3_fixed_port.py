"""The walkthrough's local S3 keeps its address: a fixed S3 port, the same after a restart on the same folder
(so the worker's settings and the review links stay valid), and a clear error when the port is taken."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csa_report.errors import ToolError
from csa_report.local.seaweed import free_port_pairs, local_s3
from tests.ui.conftest import REPO


def test_restart_on_the_same_folder_keeps_url_and_credentials(tmp_path: Path, seaweed: object) -> None:
    del seaweed  # only to fail early (or skip) when SeaweedFS is missing
    [port] = free_port_pairs(1)
    seen = []
    for _ in range(2):
        with local_s3(tmp_path, lock_days=1, s3_port=port) as endpoint:
            seen.append((endpoint.url, endpoint.access_key, endpoint.secret_key))
            endpoint.client().put_object(Bucket="csa-staging", Key="k", Body=b"x")
    assert seen[0] == seen[1] and seen[0][0] == f"http://127.0.0.1:{port}"


def test_a_taken_port_is_a_clear_error(tmp_path: Path, seaweed: object) -> None:
    del seaweed
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ToolError, match=f"S3 port {port} .* is in use"), local_s3(tmp_path, s3_port=port):
            pass


def test_infra_script_writes_the_env_file_with_the_fixed_port(tmp_path: Path, seaweed: object) -> None:
    del seaweed
    [port] = free_port_pairs(1)
    proc = subprocess.Popen(
        [sys.executable, "infra/local_s3.py", str(tmp_path / "s3"), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        env_file = tmp_path / "s3" / "s3.env"
        deadline = time.monotonic() + 60
        while not (env_file.exists() and "CSA_S3_SECRET_KEY" in env_file.read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.3)
        assert f"export CSA_S3_ENDPOINT=http://127.0.0.1:{port}\n" in env_file.read_text()
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
