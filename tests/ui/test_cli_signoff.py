"""`csa-report approve` / `reject` as an operator runs them (a subprocess with PREFECT_API_URL) against the real
server and a served, suspended sign-off run."""

from __future__ import annotations

import subprocess
import sys

import pytest
from prefect.deployments import run_deployment

from tests.ui.conftest import BIN, REPO
from tests.ui.ui_helpers import demo_sha, final, lines, wait_run, waiting_for


def csa(server, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "PREFECT_API_URL": api_url or server.api_url, "COLUMNS": "300"}
    return subprocess.run(
        [str(BIN / "csa-report"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr and len(err.splitlines()) == 1, res.stderr
    return err


@pytest.fixture(scope="module")
def cli_runs(served):
    """Both runs of this module, started together so that their start-up overlaps."""
    out = {}
    for name in ("refusals", "approve"):
        workdir = served.workdir / f"cli-{name}"
        workdir.mkdir()
        out[name] = (run_deployment("signoff-demo/ui-test", parameters={"workdir": str(workdir)}, timeout=0), workdir)
    return out


def suspended(server, cli_runs, name: str):
    run, workdir = cli_runs[name]
    with server.client() as api:
        wait_run(api, str(run.id), waiting_for("signoff-1"), what="suspended")
    return run, workdir


def test_cli_refused_by_server_then_refused_by_flow_then_reject(prefect_server, cli_runs):
    run, workdir = suspended(prefect_server, cli_runs, "refusals")
    sha = demo_sha()
    # malformed: the server refuses, exit 2, one line, the run still waits for signoff-1
    bad = csa(prefect_server, "approve", run.name, "--reviewer", "Alice Approver", "--sha256", "abc")
    assert bad.returncode == 2 and "refused the answer" in one_line_error(bad) and "manifest_sha256" in bad.stderr
    with prefect_server.client() as api:
        assert waiting_for("signoff-1")(api.get(f"/flow_runs/{run.id}").json())
    # well-formed, but the preparer: delivered, then refused by the flow (--wait reports it), exit 2
    four_eyes = csa(
        prefect_server, "approve", run.name, "--reviewer", "Pat Preparer", "--sha256", sha.upper(), "--wait", "60"
    )
    assert four_eyes.returncode == 2, four_eyes.stdout + four_eyes.stderr
    assert "delivered" in four_eyes.stdout and "four-eyes" in one_line_error(four_eyes)
    # a valid rejection by id ends the run as rejected
    rejected = csa(
        prefect_server,
        "reject",
        str(run.id),
        "--reviewer",
        "Bob Reviewer",
        "--sha256",
        sha,
        "--comment",
        "numbers do not add up",
        "--wait",
        "60",
    )
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert f"flow run {run.name} ended Completed" in rejected.stdout  # the demo flow returns plainly
    assert lines(workdir / "rejected.log") == ["2025 Bob Reviewer numbers do not add up"]
    assert len(lines(workdir / "refusals.log")) == 1 and lines(workdir / "submit.log") == []
    # the run no longer waits
    again = csa(prefect_server, "approve", run.name, "--reviewer", "Bob Reviewer", "--sha256", sha)
    assert again.returncode == 2 and "not waiting for a sign-off" in one_line_error(again)


def test_cli_approve_submits(prefect_server, cli_runs):
    run, workdir = suspended(prefect_server, cli_runs, "approve")
    res = csa(prefect_server, "approve", run.name, "--reviewer", "Alice Approver", "--sha256", demo_sha())
    assert res.returncode == 0, res.stderr
    assert f"approve by Alice Approver delivered to flow run {run.name}" in res.stdout
    with prefect_server.client() as api:
        assert wait_run(api, str(run.id), final)["state"]["type"] == "COMPLETED"
    assert lines(workdir / "submit.log") == [f"2025 Alice Approver {demo_sha()}"]


def test_cli_user_errors(prefect_server):
    sha = demo_sha()
    missing = csa(prefect_server, "approve", "no-such-run", "--reviewer", "Al", "--sha256", sha)
    assert missing.returncode == 2 and "no flow run named 'no-such-run'" in one_line_error(missing)
    by_id = csa(prefect_server, "reject", "00000000-0000-4000-8000-000000000000", "--reviewer", "Al", "--sha256", sha)
    assert by_id.returncode == 2 and "no flow run with id" in one_line_error(by_id)
    down = csa(prefect_server, "approve", "x", "--reviewer", "Al", "--sha256", sha, api_url="http://127.0.0.1:9/api")
    assert down.returncode == 3 and "unreachable" in one_line_error(down)
    usage = csa(prefect_server, "approve", "x", "--sha256", sha)
    assert usage.returncode == 2 and "--reviewer" in usage.stderr


def test_cli_without_api_url_is_a_config_error(prefect_server):
    env = {k: v for k, v in prefect_server.env.items() if k != "PREFECT_API_URL"}
    res = subprocess.run(
        [sys.executable, "-m", "csa_report.cli", "approve", "x", "--reviewer", "Al", "--sha256", demo_sha()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "PREFECT_API_URL is not set" in one_line_error(res)
