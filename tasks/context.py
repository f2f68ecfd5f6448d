"""Prefect task ``context``: the one context object a report is rendered from (figures, policy prose,
findings, regimes, monthly series, the filed report its summary compares with), made by
:func:`csa_report.pipeline.report_context`. Persisted, so a resumed or retried run renders the same bytes."""

from __future__ import annotations

from datetime import date

from prefect import task

from csa_report.checks import CheckResult
from csa_report.indicators import Indicators
from csa_report.pipeline import CorrectionLike, compared_report, report_context, segment_indicators
from csa_report.policies.models import PolicySet
from csa_report.render import ReportContext
from csa_report.render.model import HUMAN_SIGNOFF
from csa_report.services import current
from csa_report.tasks.retry import retry_options

__all__ = ["automatic_signoff", "context", "report_context", "segment_indicators"]


@task(name="context", persist_result=True, **retry_options())
def context(
    db_url: str,
    indicators: Indicators,
    policies: PolicySet,
    result: CheckResult,
    publication_date: date,
    signoff: str = HUMAN_SIGNOFF,
    correction: CorrectionLike | None = None,
    verification: str | None = None,
) -> ReportContext:
    """``publication_date``: the day of filing (the flow's ``publication_date``, else the day of the run)."""
    settings = current().settings
    previous = compared_report(settings.audit, settings.s3, policies.provider.provider, indicators.period, correction)
    return report_context(
        db_url, indicators, policies, result, publication_date, signoff, correction, verification, previous=previous
    )


def automatic_signoff(reviewer: str) -> str:
    """The annex/manifest wording for an approval given up front (the demo, ``--approve-as``)."""
    return f"automatic: approved up front as {reviewer} (--approve-as), recorded as automatic in the audit trail"
