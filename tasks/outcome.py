"""What a submitted ``annual_report`` run returns: `csa-report run` and the demo read its fields, Prefect
persists it (a typed object, not a dict read by string keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prefect import get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Completed

from csa_report.checks import CheckResult
from csa_report.filing.submit import SubmissionResult
from csa_report.indicators import Indicators
from csa_report.period import Period, format_instant
from csa_report.render.report import RenderResult


@dataclass(frozen=True)
class AnnualReportResult:
    """The run's period and as-of (as text), what it computed and rendered, and what the submission did."""

    period: str
    as_of: str
    indicators: Indicators
    findings: CheckResult
    rendered: RenderResult
    report_id: str
    manifest_sha256: str
    submission: SubmissionResult


@dataclass(frozen=True)
class ProvisionalResult:
    """What a run of an incomplete period (``allow_incomplete_period``) returns: the report rendered and marked
    provisional, and nothing staged, signed, claimed, archived or sent. Filing it would take the period's one
    filing slot with a report of part of the period, and the real report would then be refused as a second
    filing."""

    period: str
    as_of: str
    report_id: str
    rendered: RenderResult
    provisional: str


def provisional_stop(rendered: RenderResult, provisional: str | None, period: Period, as_of: datetime) -> State | None:
    """The run's end when its report is provisional (``provisional``: the context's marker, which render printed
    on the first page and in the manifest), before the period guard: a provisional report never takes the
    period's filing slot. None for a report of the whole period."""
    if not provisional:
        return None
    note = f"report {rendered.report_id} rendered to {rendered.out_dir}: {provisional}; nothing staged, signed or sent"
    get_run_logger().warning("%s", note)
    data = ProvisionalResult(str(period), format_instant(as_of), rendered.report_id, rendered, provisional)
    return Completed(name="Provisional", message=note, data=data)
