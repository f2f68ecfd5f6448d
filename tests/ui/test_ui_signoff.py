"""Sign-off through the real Prefect UI and API: a served deployment suspends at sign-off, a reviewer answers
the form in headless Chromium, the run resumes, submits exactly once and reuses the persisted pre-sign-off task.
Malformed answers are refused by the server, rule breaches by the flow (recorded once, then asked again)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

from tests.ui.ui_helpers import (
    PREPARER,
    demo_sha,
    final,
    lines,
    open_ui,
    read_input,
    state_names,
    submit_resume_dialog,
    task_states,
    wait_run,
    waiting_for,
)

SIGNOFF = "signoff-demo/ui-test"


def start(workdir: Path, **params: object) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    run: FlowRun = run_deployment(SIGNOFF, parameters={"workdir": str(workdir), **params}, timeout=0)  # type: ignore[assignment]
    return str(run.id)


#: The runs of this module, started together so that their start-up (a new process each) overlaps.
RUNS: dict[str, dict[str, object]] = {
    "ui-approve": {},
    "malformed": {},
    "refusals": {},
    "refused-out": {"max_refusals": 1},
    "timeout": {"timeout_s": 2},
}


@pytest.fixture(scope="module")
def runs(served) -> dict[str, str]:
    return {name: start(served.workdir / name, **params) for name, params in RUNS.items()}


def screenshots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("CSA_TEST_SCREENSHOTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_ui_resume_form_approves_and_submits_once(prefect_server, served, runs, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.ui.conftest import CHROMIUM_ARGS

    workdir = served.workdir / "ui-approve"
    run_id = runs["ui-approve"]
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), what="suspended for signoff-1")
        assert read_state(api, run_id) == "Suspended"
        shot = screenshots(tmp_path) / "signoff-resume-dialog.png"
        t0 = time.monotonic()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1300})
                open_ui(page, prefect_server.url, prefect_server.auth, f"/runs/flow-run/{run_id}")
                page.get_by_role("button", name="Open menu").click()
                page.get_by_role("menuitem", name="Resume").click()
                dialog = page.get_by_role("dialog")
                select = dialog.get_by_role("button", name="Select")  # the decision field (a Literal)
                select.wait_for()  # the form and its description load after the dialog opens, separately
                dialog.get_by_role("heading", name="Sign-off: demo report 2025").wait_for()
                # the description rendered above the form: figures, findings, link and the hash to confirm
                text = dialog.inner_text()
                assert "Sign-off: demo report 2025" in text and demo_sha() in text
                assert "Reports sent (known CSAM)" in text and "warning R07" in text
                assert dialog.get_by_role("link", name="report.pdf").count() == 1
                select.click()
                page.get_by_role("option", name="approve").click()
                boxes = dialog.locator("textarea")  # reviewer, manifest_sha256, comment (schema order)
                boxes.nth(0).fill("Alice Approver")
                boxes.nth(1).fill(demo_sha())
                boxes.nth(2).fill("figures match the source, approved in the UI")
                page.screenshot(path=str(shot), full_page=True)
                submit_resume_dialog(dialog)
            finally:
                browser.close()
        print(f"\nscreenshot of the resume dialog: {shot} (browser part {time.monotonic() - t0:.1f} s)")
        done = wait_run(api, run_id, final, what="final")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        history = state_names(api, run_id)
        assert history.count("Suspended") == 1 and "Resuming" in history, history
        tasks = task_states(api, run_id)
    assert lines(workdir / "prepare.log") == ["2025"]  # not re-executed after the resume…
    assert tasks["prepare"] == ["Completed", "Cached"], tasks  # …but reused from its persisted result
    assert lines(workdir / "submit.log") == [f"2025 Alice Approver {demo_sha()}"]  # exactly once
    assert lines(workdir / "refusals.log") == []


def read_state(api, run_id: str) -> str:
    return str(api.get(f"/flow_runs/{run_id}").json()["state"]["name"])


@pytest.fixture(scope="module")
def waiting_run(prefect_server, runs: dict[str, str]) -> str:
    """One suspended run shared by the malformed-answer cases (each must leave it waiting)."""
    run_id = runs["malformed"]
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), what="suspended")
    return run_id


# A padded name and an upper-case hash are accepted now (tests/ui/test_annual_report_ui.py answers that way).
@pytest.mark.parametrize(
    "bad",
    [
        {"reviewer": ""},
        {"reviewer": " x "},
        {"manifest_sha256": "abc123"},
        {"manifest_sha256": "G" * 64},
        {"decision": "maybe"},
    ],
    ids=["empty-reviewer", "one-letter-reviewer", "short-hash", "non-hex-hash", "bad-decision"],
)
def test_server_refuses_malformed_answers_and_the_run_keeps_waiting(prefect_server, waiting_run, bad):
    answer = {"decision": "approve", "reviewer": "Alice Approver", "manifest_sha256": demo_sha()} | bad
    with pytest.raises(RuntimeError, match="Validation failed"):
        resume_flow_run(waiting_run, run_input=answer)
    with prefect_server.client() as api:
        run = api.get(f"/flow_runs/{waiting_run}").json()
        assert run["state"]["name"] == "Suspended" and waiting_for("signoff-1")(run)
        assert api.get(f"/flow_runs/{waiting_run}/input/suspended-signoff-1-response").status_code == 404


def test_a_resume_without_credentials_is_refused_and_the_run_keeps_waiting(prefect_server, waiting_run):
    """The session's server is closed to strangers (PREFECT_SERVER_API_AUTH_STRING): a well-formed approval sent
    without the auth string, or with a guessed one, is refused with 401 before it reaches the run."""
    answer = {"run_input": {"decision": "approve", "reviewer": "Alice Approver", "manifest_sha256": demo_sha()}}
    assert prefect_server.auth is not None
    with prefect_server.stranger() as stranger:
        assert stranger.post(f"/flow_runs/{waiting_run}/resume", json=answer).status_code == 401
        assert stranger.get(f"/flow_runs/{waiting_run}").status_code == 401
        guessed = stranger.post(f"/flow_runs/{waiting_run}/resume", json=answer, auth=("csa", "guessed"))
        assert guessed.status_code == 401
    with prefect_server.client() as api:
        run = api.get(f"/flow_runs/{waiting_run}").json()
        assert run["state"]["name"] == "Suspended" and waiting_for("signoff-1")(run)
        assert api.get(f"/flow_runs/{waiting_run}/input/suspended-signoff-1-response").status_code == 404


def test_flow_refuses_rule_breaches_records_them_once_and_asks_again(prefect_server, served, runs):
    workdir = served.workdir / "refusals"
    run_id = runs["refusals"]
    sha = demo_sha()
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), what="waiting for signoff-1")
        # 1. well-formed, but not an approver
        resume_flow_run(run_id, run_input={"decision": "approve", "reviewer": "Mallory", "manifest_sha256": sha})
        wait_run(api, run_id, waiting_for("signoff-2"), what="waiting again (signoff-2)")
        # 2. the preparer, in another spelling
        resume_flow_run(run_id, run_input={"decision": "approve", "reviewer": PREPARER.upper(), "manifest_sha256": sha})
        run = wait_run(api, run_id, waiting_for("signoff-3"), what="waiting again (signoff-3)")
        description = read_input(api, run_id, "suspended-signoff-3-description")
        assert "Previous answers were refused" in description and "four-eyes" in description
        # 3. an accepted reject ends the run as rejected, nothing submitted
        resume_flow_run(
            run_id,
            run_input={
                "decision": "reject",
                "reviewer": "Bob Reviewer",
                "manifest_sha256": sha,
                "comment": "error rate looks wrong",
            },
        )
        run = wait_run(api, run_id, final, what="final")
        assert run["state"]["type"] == "COMPLETED", run["state"]
        tasks = task_states(api, run_id)
    refusals = [json.loads(line) for line in lines(workdir / "refusals.log")]
    # each refusal recorded exactly once, although every resume replays the earlier answers from the top
    assert [(r["key"], r["reviewer"]) for r in refusals] == [("signoff-1", "Mallory"), ("signoff-2", PREPARER.upper())]
    assert "not among the provider's approvers" in refusals[0]["reason"] and "four-eyes" in refusals[1]["reason"]
    assert all(r["input_id"] for r in refusals)
    assert tasks["signoff-refused"].count("Completed") == 2, tasks
    assert lines(workdir / "rejected.log") == ["2025 Bob Reviewer error rate looks wrong"]
    assert lines(workdir / "submit.log") == [] and lines(workdir / "prepare.log") == ["2025"]


def test_too_many_refusals_fail_the_run_with_a_clear_message(prefect_server, served, runs):
    workdir = served.workdir / "refused-out"
    run_id = runs["refused-out"]
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), what="waiting")
        resume_flow_run(
            run_id, run_input={"decision": "approve", "reviewer": "Alice Approver", "manifest_sha256": "0" * 64}
        )
        run = wait_run(api, run_id, final, what="final")
    assert run["state"]["type"] == "FAILED"
    assert "1 sign-off answer(s) refused" in run["state"]["message"] and "does not match" in run["state"]["message"]
    assert lines(workdir / "submit.log") == []


def test_suspension_times_out_on_the_server(prefect_server, runs):
    run_id = runs["timeout"]
    with prefect_server.client() as api:
        run = wait_run(api, run_id, final, timeout=60, what="failed by pause_expirations")
        assert "Suspended" in state_names(api, run_id)
    assert run["state"]["type"] == "FAILED" and "never resumed" in run["state"]["message"]
