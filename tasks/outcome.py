"""What a submitted ``annual_report`` run returns: `csa-report run` and the demo read its fields, Prefect
persists it (a typed object, not a dict read by string keys)."""

from __future__ import annotations

from dataclasses import dataclass

from csa_report.checks import CheckResult
from csa_report.filing.submit import SubmissionResult
from csa_report.indicators import Indicators
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
