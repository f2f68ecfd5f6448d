"""How a flow run starts: its first log lines, its as-of instant and period, and the inputs it reads once.

Prefect runs the flow body again from the top when a suspended run resumes or a run is retried, so each of
these gives the same answer every time for the same run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import get_run_logger
from prefect.runtime import flow_run

from csa_report.period import parse_as_of, resolve_period, utc_now
from csa_report.pipeline import ReportInputs, refuse_incomplete_period, report_inputs
from csa_report.policies.published_keys import refuse_published_keys
from csa_report.settings import Settings
from csa_report.tasks.orientation import resume_note
from csa_report.tasks.versions import log_code_versions


def log_first_lines() -> None:
    """Where a resumed or retried run picks up (the UI opens the logs at the top), then the code's versions."""
    note = resume_note()
    if note:
        get_run_logger().info(note)
    log_code_versions()


def run_started_at() -> datetime:
    """The as-of instant of a run that was given none: its scheduled start, which stays the same when Prefect
    runs the flow body again after a suspension or a retry (``utc_now()`` would not, and every resume would
    then compute, render and ask about a different report)."""
    scheduled: datetime | None = flow_run.scheduled_start_time
    if scheduled is None:
        return utc_now()
    return scheduled.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def run_inputs(
    settings: Settings, period: str | None, as_of: str | None, allow_incomplete_period: bool = False
) -> ReportInputs:
    """The run's inputs: the as-of given (else :func:`run_started_at`), its period (``previous-year`` by default),
    the source and policies the settings name. An as-of before the period's end or in the future is refused
    (exit 2) unless allowed: here, not only in the CLI, so a deployment's run (a custom as_of in the UI) is held
    to the same rule. The published example keys are refused here too, before any work."""
    at = parse_as_of(as_of) if as_of else run_started_at()
    p = resolve_period(period, at)
    refuse_incomplete_period(p, at, allow_incomplete_period)
    inputs = report_inputs(settings.source, p, at)
    refuse_published_keys(inputs.policies, demo=settings.demo)
    return inputs
