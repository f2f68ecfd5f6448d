"""A failed run's message names the step, the cause and the CSA_* setting (tasks/orientation.py), through the
Prefect engine: the flow run's Failed state carries the rewritten message."""

from __future__ import annotations

from prefect import flow, task

from csa_report.errors import BlockingFindings, StorageConflict, UnreachableError
from csa_report.period import Period
from csa_report.tasks.orientation import explain_failure, run_name, run_tags, setting_hint


@task(name="submit", retries=0)
def submit_step() -> None:
    raise UnreachableError(
        "SMTP server 127.0.0.1:9 unreachable (ConnectionRefusedError); check CSA_SMTP_HOST and CSA_SMTP_PORT"
    )


@task(name="stage", retries=0)
def stage_step() -> None:
    raise UnreachableError("stage: S3 unreachable after retries (EndpointConnectionError)")


@flow(name="explained")
def explained(which: str) -> None:
    try:
        submit_step() if which == "submit" else stage_step()
    except Exception as exc:
        explain_failure(exc)
        raise


def test_the_failed_state_names_step_cause_and_setting(prefect_server):
    state = explained("submit", return_state=True)
    assert state.is_failed()
    run_id = str(state.state_details.flow_run_id)
    assert state.message == (
        "Flow run encountered an exception: UnreachableError: step submit failed: SMTP server "
        "127.0.0.1:9 unreachable (ConnectionRefusedError); check CSA_SMTP_HOST and "
        "CSA_SMTP_PORT. Retry this run from the Prefect UI (⋮ → Retry) or "
        f"`prefect flow-run retry {run_id}`; only step submit re-runs (the steps before it are kept, nothing is "
        "sent twice)."
    )
    state = explained("stage", return_state=True)
    assert (
        "step stage failed: stage: S3 unreachable after retries (EndpointConnectionError)"
        "; check CSA_S3_ENDPOINT, CSA_S3_ACCESS_KEY and CSA_S3_SECRET_KEY. Retry this run" in state.message
    )
    assert state.message.endswith("only step stage re-runs (the steps before it are kept, nothing is sent twice).")


def test_hints_and_errors_raised_by_the_flow_body():
    exc = BlockingFindings("1 blocking finding(s) (RET-1)")
    explain_failure(exc)  # outside a run: the step comes from the error's kind
    assert str(exc) == (
        "step check failed: 1 blocking finding(s) (RET-1); check the data, or a waiver in "
        "CSA_WAIVERS; a retry fails again, start a new run"
    )
    assert setting_hint(StorageConflict("different bytes")) is None
    assert setting_hint(UnreachableError("audit database sqlite:///x stayed unreachable")) == "CSA_AUDIT_DB"
    again = UnreachableError("x")
    explain_failure(again)
    explain_failure(again)  # a second pass (retry of the flow body) does not stack prefixes
    assert str(again) == "step flow failed: x"


def test_run_name_and_tags():
    assert (
        run_name("Example Communications Ireland Ltd", Period.parse("2025"))
        == "annual-report-2025-example-communications-ireland-ltd"
    )
    assert run_name("Ex", Period.parse("2024-07-01/2024-12-31")) == "annual-report-2024-07-01-2024-12-31-ex"
    assert run_tags("Ex", Period.parse("2025")) == ["period:2025", "provider:ex"]
