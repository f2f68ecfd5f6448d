"""The worker says at the start of every run which csa-report it runs, and a checkout whose version differs
from the installed one is a warning on the run page (a log line and an artifact), on a real Prefect server."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from prefect import flow

from csa_report.tasks.versions import MISMATCH_ARTIFACT, code_home, log_code_versions
from tests.core.test_operator_messages import _checkout


@flow(name="code-versions-test")
def versions_flow(home: str) -> str | None:
    return log_code_versions(Path(home))


def _logs_and_artifacts(run_id):
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return [(log.level, log.message) for log in logs], {a.key: a.data for a in arts}


def test_a_mismatch_is_a_warning_line_and_an_artifact(prefect_server, tmp_path: Path) -> None:
    home, head = _checkout(tmp_path, "9.9.9")
    state = versions_flow(str(home), return_state=True)
    warning = state.result()
    installed = version("csa-report")
    assert warning is not None and warning.startswith(f"the installed csa-report is {installed} but the checkout")
    logs, artifacts = _logs_and_artifacts(state.state_details.flow_run_id)
    assert (20, f"csa-report installed {installed}; checkout {home}: version 9.9.9, commit {head}") in logs
    assert (30, warning) in logs
    assert artifacts[MISMATCH_ARTIFACT] == f"# csa-report version mismatch\n\n{warning}\n"


def test_the_same_version_logs_one_line_and_no_artifact(prefect_server, tmp_path: Path) -> None:
    home, head = _checkout(tmp_path, version("csa-report"))
    state = versions_flow(str(home), return_state=True)
    assert state.result() is None
    logs, artifacts = _logs_and_artifacts(state.state_details.flow_run_id)
    assert [m for lvl, m in logs if lvl >= 30] == []
    same = version("csa-report")
    assert (20, f"csa-report installed {same}; checkout {home}: version {same}, commit {head}") in logs
    assert MISMATCH_ARTIFACT not in artifacts


def test_the_home_is_the_checkout_the_package_was_imported_from() -> None:
    assert code_home() == Path(__file__).resolve().parents[2]
