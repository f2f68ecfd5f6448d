"""Without a deployment the sign-off pauses (the process waits) instead of suspending: an ad-hoc run of the demo
flow in this process, answered from a second thread, and one that times out with SignOffTimeout."""

from __future__ import annotations

import threading
import time

import pytest

from csa_report.errors import SignOffTimeout
from csa_report.tasks.signoff import running_from_deployment
from tests.ui.signoff_flow import signoff_demo
from tests.ui.ui_helpers import demo_sha, lines


def _paused_run(api, workdir) -> str:
    """The id of the paused ad-hoc demo run that writes to ``workdir``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = api.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}}).json()
        for run in runs:
            if run["parameters"].get("workdir") == str(workdir) and run["deployment_id"] is None:
                return str(run["id"])
        time.sleep(0.3)
    raise AssertionError("no paused ad-hoc run appeared")


def test_adhoc_run_pauses_and_resumes(prefect_server, tmp_path):
    answers = []

    def answer() -> None:
        with prefect_server.client() as api:
            run_id = _paused_run(api, tmp_path)
            run = api.get(f"/flow_runs/{run_id}").json()
            answers.append(run["state"]["name"])
            answers.append(run["state"]["state_details"]["run_input_keyset"]["response"])
            # REST, as the UI does: a new thread does not inherit this test's prefect settings context
            r = api.post(
                f"/flow_runs/{run_id}/resume",
                json={"run_input": {"decision": "approve", "reviewer": "Bob Reviewer", "manifest_sha256": demo_sha()}},
            )
            answers.append(r.json()["status"])

    t = threading.Thread(target=answer)
    t.start()
    result = signoff_demo(str(tmp_path), timeout_s=60)
    t.join(10)
    assert result == "submitted"
    assert answers == ["Paused", "paused-signoff-1-response", "ACCEPT"]
    assert lines(tmp_path / "submit.log") == [f"2025 Bob Reviewer {demo_sha()}"]


def test_adhoc_pause_times_out_with_a_clear_error(prefect_server, tmp_path):
    with pytest.raises(SignOffTimeout, match=r"no sign-off within 2 s \(signoff-1\); nothing was submitted") as err:
        signoff_demo(str(tmp_path), timeout_s=2)
    assert err.value.exit_code == 6
    with prefect_server.client() as api:
        runs = api.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}).json()
    mine = [r for r in runs if r["parameters"].get("workdir") == str(tmp_path)]
    # the engine's Failed state carries our message, unless the server's pause-timeout rule got there first
    assert len(mine) == 1
    assert any(m in mine[0]["state"]["message"] for m in ("no sign-off within 2 s", "never resumed")), mine[0]
    assert lines(tmp_path / "submit.log") == []


def test_detection_needs_a_flow_run():
    with pytest.raises(RuntimeError, match="inside a flow run"):
        running_from_deployment()
