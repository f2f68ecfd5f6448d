"""Retry the way the Prefect UI does it: POST /flow_runs/{id}/set_state with Scheduled "AwaitingRetry", force
true. On a served flow whose third task fails once, only the failed task and what follows run again."""

from __future__ import annotations

from tests.ui.ui_helpers import final, lines, state_names, task_states, wait_run


def test_ui_retry_reruns_only_the_failed_task_and_what_follows(prefect_server, served):
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    workdir = served.workdir / "retry"
    workdir.mkdir()
    run: FlowRun = run_deployment("retry-demo/ui-test", parameters={"workdir": str(workdir)}, timeout=0)  # type: ignore[assignment]
    run_id = str(run.id)
    with prefect_server.client() as api:
        failed = wait_run(api, run_id, final, what="failed")
        assert failed["state"]["type"] == "FAILED", failed["state"]
        assert [len(lines(workdir / f"{n}.log")) for n in ("extract", "check", "submit", "publish")] == [1, 1, 1, 0]
        expected_start = failed["expected_start_time"]
        r = api.post(
            f"/flow_runs/{run_id}/set_state",
            json={
                "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"},
                "force": True,
            },
        )
        assert r.status_code in (200, 201) and r.json()["status"] == "ACCEPT", r.text
        done = wait_run(api, run_id, final, what="completed after the retry")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        assert done["run_count"] == 2
        # stable across retries (and suspend/resume): a safe default as-of instant for the flow
        assert done["expected_start_time"] == expected_start
        history = state_names(api, run_id)
        tasks = task_states(api, run_id)
    assert [len(lines(workdir / f"{n}.log")) for n in ("extract", "check", "submit", "publish")] == [1, 1, 2, 1]
    assert "AwaitingRetry" in history and history[-1] == "Completed", history
    assert tasks["extract_step"][-1] == "Cached" and tasks["check_step"][-1] == "Cached", tasks
    assert tasks["submit_step"][-1] == "Completed" and tasks["publish_step"] == ["Completed"], tasks
