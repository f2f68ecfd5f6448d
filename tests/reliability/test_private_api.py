"""The ephemeral Prefect API of ``csa-report run`` is closed to strangers (issue 24, item 1).

A real ``csa-report run`` waits for a typed sign-off on its ephemeral API. A forged resume (a plain HTTP POST
naming the approver, without credentials, or with a guessed string) is refused with 401 and the run keeps
waiting; ``csa-report approve`` from another shell, with no PREFECT_API_URL, finds the run's API through the
private record and files the report. A wrong auth string is exit 2 naming PREFECT_API_AUTH_STRING."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from csa_report.local import private_api
from csa_report.local.seaweed import local_s3
from csa_report.period import Period
from csa_report.seed import seed
from tests.reliability.test_run_kill9_steps import APPROVER, environment
from tests.support.services import smtp_controller
from tests.support.storage import CollectingHandler

ROOT = Path(__file__).resolve().parents[2]


def http(url: str, auth: str | None, body: dict[str, object] | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    req.add_header("Content-Type", "application/json")
    if auth is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return int(exc.code), None
    except OSError:  # not listening yet
        return 0, None


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from csa_report.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_run_closes_its_api_and_a_configured_server_is_left_alone(tmp_path: Path) -> None:
    env: dict[str, str] = {"PREFECT_HOME": str(tmp_path)}
    if "prefect" not in sys.modules:  # in a suite, Prefect is imported already: the embedding case
        secret = private_api.close_ephemeral_api(env)
        assert secret and env["PREFECT_SERVER_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"] == secret
        assert private_api.close_ephemeral_api(env) == secret  # idempotent
    configured = {"PREFECT_HOME": str(tmp_path), "PREFECT_API_URL": "http://127.0.0.1:4200/api"}
    assert private_api.close_ephemeral_api(configured) is None and "PREFECT_API_AUTH_STRING" not in configured
    (tmp_path / "profiles.toml").write_text(
        'active = "srv"\n[profiles.srv]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n', "utf-8"
    )
    assert private_api.configured_api({"PREFECT_HOME": str(tmp_path)})


def test_records_are_private_and_a_planted_or_dead_one_is_ignored(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path), "PREFECT_SERVER_API_AUTH_STRING": "csa:secret"}
    path = private_api.write_record(env, "http://127.0.0.1:8123/api")
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [record] = private_api.live_records(env)
    assert (record.api_url, record.auth, record.pid) == ("http://127.0.0.1:8123/api", "csa:secret", os.getpid())
    found: dict[str, str] = {"PREFECT_HOME": str(tmp_path)}
    assert private_api.find_api(found, None) == record
    assert found["PREFECT_API_URL"] == record.api_url and found["PREFECT_API_AUTH_STRING"] == "csa:secret"
    os.chmod(path, 0o644)  # readable by others: not believed
    assert private_api.live_records(env) == []
    os.chmod(path, 0o600)
    dead = path.with_name("999999999.json")
    dead.write_text(json.dumps({"api_url": "x", "auth": "y", "pid": 999999999}), "utf-8")
    os.chmod(dead, 0o600)
    assert [r.pid for r in private_api.live_records(env)] == [os.getpid()] and not dead.exists()
    private_api.remove_record(env)
    assert private_api.live_records(env) == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_forged_resume_is_refused_and_approve_files_the_report(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    seed(source, Period.parse("2025"), scale=200, seed=5)
    home = tmp_path / "prefect"
    with local_s3(tmp_path / "s3", lock_days=1) as s3, smtp_controller(handler := CollectingHandler()) as controller:
        port = controller.port
        env = environment(s3, source, home, f"sqlite:///{tmp_path / 'audit.db'}", port, "auth")
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "240"
        out = tmp_path / "out"
        args = ["run", "--period", "2025", "--as-of", "2026-01-15T00:00:00Z", "--out", str(out)]
        code = "import sys; from csa_report.cli import main; sys.exit(main(sys.argv[1:]))"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 600
            run_id, record = None, None
            while run_id is None:
                assert proc.poll() is None, proc.communicate()[1][-3000:]
                assert time.monotonic() < deadline, "the run never waited for sign-off"
                records = private_api.live_records(env)
                if records:
                    record = records[0]
                    status, body = http(
                        f"{record.api_url}/flow_runs/filter",
                        record.auth,
                        {"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}, "limit": 1},
                    )
                    if status == 200 and isinstance(body, list) and body:
                        run_id = body[0]["id"]
                time.sleep(1)
            assert record is not None
            assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
            sha = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
            forged = {"run_input": {"decision": "approve", "reviewer": APPROVER, "manifest_sha256": sha}}
            # The stranger: the port is no secret, the string is.
            assert http(f"{record.api_url}/flow_runs/{run_id}/resume", None, forged)[0] == 401
            assert http(f"{record.api_url}/flow_runs/{run_id}/resume", "csa:guessed", forged)[0] == 401
            assert (
                http(f"{record.api_url}/flow_runs/{run_id}/set_state", None, {"state": {"type": "RUNNING"}})[0] == 401
            )
            assert http(f"{record.api_url}/flow_runs/{run_id}", None)[0] == 401
            _, still = http(f"{record.api_url}/flow_runs/{run_id}", record.auth)
            assert isinstance(still, dict) and still["state"]["type"] == "PAUSED"

            # A wrong string is a configuration error naming the setting, not an outage.
            wrong = {**env, "PREFECT_API_URL": record.api_url, "PREFECT_API_AUTH_STRING": "csa:wrong"}
            refused = cli(["approve", run_id, "--reviewer", APPROVER, "--sha256", sha, "--comment", "ok"], wrong)
            assert refused.returncode == 2, refused.stderr
            assert "PREFECT_API_AUTH_STRING" in refused.stderr and "Traceback" not in refused.stderr

            # The operator, from another shell: no PREFECT_API_URL, the same user and PREFECT_HOME.
            operator = {k: v for k, v in env.items() if not k.startswith("PREFECT_API")}
            approved = cli(["approve", run_id, "--reviewer", APPROVER, "--sha256", sha, "--comment", "ok"], operator)
            assert approved.returncode == 0, approved.stdout + approved.stderr
            stdout, stderr = proc.communicate(timeout=600)
            assert proc.returncode == 0, stderr[-3000:]
            assert "archived" in stdout
            assert len(handler.messages) == 2
            assert not record.path.exists()  # the record went with the run
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
