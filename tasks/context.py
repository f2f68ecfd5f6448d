"""Prefect task ``context``: the one context object a report is rendered from (figures, policy prose,
findings, regimes, monthly series). Persisted, so a resumed or retried run renders the same bytes."""

from __future__ import annotations

from datetime import date, datetime

from prefect import task

from csa_report.checks import CheckResult
from csa_report.indicators import Indicators
from csa_report.policies.models import PolicySet
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context
from csa_report.render.model import HUMAN_SIGNOFF
from csa_report.render.series import monthly_series_from_url
from csa_report.tasks.retry import retry_options


def segment_indicators(db_url: str, indicators: Indicators) -> tuple[Indicators, ...]:
    """For a period that straddles legal regimes, the indicators of each regime segment (same as-of), so that
    the report can show one value per segment beside the whole period's; nothing for a one-regime period."""
    from csa_report.extract import extract_indicators
    from csa_report.period import Period
    from csa_report.render.context import instruments_in_force

    period = indicators.period
    segments = instruments_in_force(regimes(), period.start, period.end)
    if len(segments) < 2:
        return ()
    return tuple(extract_indicators(db_url, Period.parse(f"{s.first_day}/{s.last_day}"), indicators.as_of)
                 for s in segments)


def report_context(db_url: str, indicators: Indicators, policies: PolicySet, result: CheckResult,
                   publication_date: date, signoff: str = HUMAN_SIGNOFF,
                   correction: str | None = None, verification: str | None = None) -> ReportContext:
    series = monthly_series_from_url(db_url, indicators.period, indicators.as_of)
    return build_context(indicators, policies, findings=result.findings, waivers=result.waivers,
                         regimes=regimes(), series=series, publication_date=publication_date, signoff=signoff,
                         segments=segment_indicators(db_url, indicators),
                         correction=correction, verification=verification)


@task(name="context", persist_result=True, **retry_options((10, 60)))
def context(db_url: str, indicators: Indicators, policies: PolicySet, result: CheckResult,
            publication_date: date, signoff: str = HUMAN_SIGNOFF, correction: str | None = None,
            verification: str | None = None) -> ReportContext:
    return report_context(db_url, indicators, policies, result, publication_date, signoff, correction,
                          verification)


def automatic_signoff(reviewer: str) -> str:
    """The annex/manifest wording for an approval given up front (the demo, ``--approve-as``)."""
    return f"automatic: approved up front as {reviewer} (--approve-as), recorded as automatic in the audit trail"


def default_publication_date(as_of: datetime) -> date:
    """The report is dated by its as-of instant unless told otherwise: no clock in artefacts."""
    return as_of.date()
