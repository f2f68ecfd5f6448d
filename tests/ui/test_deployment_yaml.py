"""infra/prefect.yaml against a real server: the work pool and `prefect deploy` as an operator runs them, and the
server's scheduler creating the yearly run on 5 January, 06:00 Europe/Dublin, for the previous year."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.ui.conftest import BIN, REPO


def next_run_after(now: datetime) -> datetime:
    """5 January 06:00 in Dublin, the first one after ``now``, in UTC."""
    dublin = ZoneInfo("Europe/Dublin")
    for year in (now.year, now.year + 1):
        at = datetime(year, 1, 5, 6, 0, tzinfo=dublin)
        if at > now:
            return at.astimezone(UTC)
    raise AssertionError("unreachable")


def prefect(server, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "PREFECT_CLI_COLORS": "false", "COLUMNS": "200", **extra_env}
    return subprocess.run([str(BIN / "prefect"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_prefect_yaml_deploys_and_schedules_the_yearly_run(prefect_server):
    pool = prefect(prefect_server, "work-pool", "create", "csa-reports", "--type", "process")
    assert pool.returncode == 0, pool.stdout + pool.stderr
    # The build step creates the chat automation from the deploying shell's CSA_NOTIFY_* (here: a webhook).
    hook = "http://127.0.0.1:9/csa-hook"
    deployed = prefect(
        prefect_server,
        "--no-prompt",
        "deploy",
        "--all",
        "--prefect-file",
        "infra/prefect.yaml",
        CSA_NOTIFY_WEBHOOK_URL=hook,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "annual_report/yearly" in deployed.stdout
    again = prefect(
        prefect_server,
        "--no-prompt",
        "deploy",
        "--all",
        "--prefect-file",
        "infra/prefect.yaml",
        CSA_NOTIFY_WEBHOOK_URL=hook,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    with prefect_server.client() as api:
        automations = [
            a
            for a in api.post("/automations/filter", json={}).json()
            if a["name"] == "csa-report: run waiting for sign-off"
        ]
        assert len(automations) == 1, automations  # deploying again updates it, never adds a second
        trigger = automations[0]["trigger"]
        assert set(trigger["expect"]) == {"csa-report.signoff.requested"}
        assert trigger["match_related"] == {"prefect.resource.role": "flow", "prefect.resource.name": "annual_report"}
        [action] = automations[0]["actions"]
        assert action["type"] == "send-notification"
        block = api.get(f"/block_documents/{action['block_document_id']}").json()
        assert block["name"] == "csa-signoff-webhook" and block["block_type"]["slug"] == "custom-webhook"
    with prefect_server.client() as api:
        dep = api.get("/deployments/name/annual_report/yearly").json()
        assert dep["entrypoint"] == "flows/annual_report.py:annual_report"
        assert dep["work_pool_name"] == "csa-reports"
        assert dep["parameters"] == {"period": "previous-year", "as_of": None}
        assert dep["global_concurrency_limit"]["limit"] == 1
        assert dep["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $CSA_REPORT_HOME }}"}}
        ]  # resolved on the worker at run time
        [schedule] = dep["schedules"]
        assert schedule["schedule"]["cron"] == "0 6 5 1 *" and schedule["schedule"]["timezone"] == "Europe/Dublin"
        assert schedule["active"] and schedule["parameters"] == {"period": "previous-year"}
        # the scheduler service (loop every 5 s in this test server) creates the next yearly run
        deadline = time.monotonic() + 45
        while True:
            runs = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json()
            if runs or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert runs, "the scheduler created no run within 45 s"
    expected = next_run_after(datetime.now(UTC))
    first = min(runs, key=lambda r: r["expected_start_time"])
    assert datetime.fromisoformat(first["expected_start_time"]) == expected
    assert first["state"]["name"] == "Scheduled"
    assert first["parameters"]["period"] == "previous-year"
