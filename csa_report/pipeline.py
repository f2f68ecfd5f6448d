"""The report chain, written once: inputs → extract → check → context → render.

The CLI commands (``extract``, ``check``, ``render``) call these functions directly; the flow's tasks
(csa_report.tasks.check/context/render) are thin wrappers around them, so a report made on the command line and
one made by the flow are made by the same code. Nothing here knows Prefect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from csa_report.checks import CheckResult, Waiver, evaluate, load_waivers
from csa_report.checks.registry import PreviousFigures
from csa_report.errors import InputError
from csa_report.extract import Tuning, extract_indicators
from csa_report.indicators import Indicators
from csa_report.period import Period, provisional_note, require_complete_period, utc_now
from csa_report.policies import load_policies
from csa_report.policies.models import PolicySet
from csa_report.reference import regimes
from csa_report.render import RenderResult, ReportContext, build_context, render_report
from csa_report.render.model import HUMAN_SIGNOFF
from csa_report.render.scanning import encryption_dates, scanning_days_from_url
from csa_report.render.series import monthly_series_from_url
from csa_report.render.summary import PreviousReport
from csa_report.settings import AuditSettings, S3Settings, SourceSettings, require

__all__ = [
    "CorrectionLike",
    "PreviousReport",
    "ReportInputs",
    "check_report",
    "compared_report",
    "extract",
    "previous_figures",
    "publication_date_of",
    "refuse_incomplete_period",
    "render_artefacts",
    "report_context",
    "report_inputs",
    "run_checks",
    "segment_indicators",
]


class CorrectionLike(Protocol):
    """A correction asked for (csa_report.filing.guard.Correction): the report id it supersedes, and why."""

    @property
    def supersedes(self) -> str: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class ReportInputs:
    """What a report of one period is made from: the source database, the policy documents and the waivers."""

    source_db: str
    period: Period
    as_of: datetime
    policies: PolicySet
    waivers: tuple[Waiver, ...]
    tuning: Tuning


def report_inputs(source: SourceSettings, period: Period, as_of: datetime) -> ReportInputs:
    """The inputs named by the settings (command-line values already merged in): a missing source database or
    policy folder is a ConfigError naming the setting; a bad policy document or waivers file is an InputError."""
    db_url = str(require(source.source_db, "source_db"))
    folder = Path(require(source.policies, "policies"))
    policies = load_policies(folder, period)
    waivers = tuple(load_waivers(source.waivers)) if source.waivers else ()
    return ReportInputs(db_url, period, as_of, policies, waivers, Tuning.of(source))


def extract(source_db: str, period: Period, as_of: datetime, tuning: Tuning | None = None) -> Indicators:
    """Every indicator of the standard form for ``period`` as of ``as_of`` (``tuning``: the run's
    ``CSA_EXTRACT_*`` options; None reads them from the environment)."""
    return extract_indicators(source_db, period, as_of, tuning)


def run_checks(
    db_url: str,
    period: Period,
    as_of: datetime,
    policies: PolicySet,
    waivers: Sequence[Waiver] = (),
    *,
    indicators: Indicators | None = None,
    previous: PreviousFigures | None = None,
) -> CheckResult:
    """Every rule on the source database, the policy documents and the indicators (extracted when not given).
    ``previous``: the previous period's filed figures (:func:`previous_figures`) for the year-on-year rule."""
    if indicators is None:
        indicators = extract(db_url, period, as_of)
    return evaluate(db_url, period, as_of, policies, waivers, indicators=indicators, previous=previous)


def check_report(inputs: ReportInputs, indicators: Indicators, previous: PreviousFigures | None = None) -> CheckResult:
    return run_checks(
        inputs.source_db,
        inputs.period,
        inputs.as_of,
        inputs.policies,
        inputs.waivers,
        indicators=indicators,
        previous=previous,
    )


def previous_figures(audit: AuditSettings, s3: S3Settings, provider: str, period: Period) -> PreviousFigures | None:
    """The figures of the previous period's latest filing (PLAUS-2 compares with them), from the audit trail and
    the archive; None when there is none on record, creating nothing. A correction is checked against the
    previous period too: the year-on-year comparison is between periods, not between versions of one report."""
    from csa_report.storage.previous import compared_filing

    found = compared_filing(audit, s3, provider, period, None)
    if found is None:
        return None
    report_id, _, values = found
    return PreviousFigures(report_id, values)


def segment_indicators(db_url: str, indicators: Indicators) -> tuple[Indicators, ...]:
    """For a period that straddles legal regimes, the indicators of each regime segment (same as-of), so that
    the report can show one value per segment beside the whole period's; nothing for a one-regime period."""
    from csa_report.render.context import instruments_in_force

    period = indicators.period
    segments = instruments_in_force(regimes(), period.start, period.end)
    if len(segments) < 2:
        return ()
    return tuple(extract(db_url, Period.parse(f"{s.first_day}/{s.last_day}"), indicators.as_of) for s in segments)


def report_context(
    db_url: str,
    indicators: Indicators,
    policies: PolicySet,
    result: CheckResult,
    publication_date: date,
    signoff: str = HUMAN_SIGNOFF,
    correction: CorrectionLike | None = None,
    verification: str | None = None,
    now: datetime | None = None,
    previous: PreviousReport | None = None,
) -> ReportContext:
    """The one context a report is rendered from: figures, policy prose, findings, regimes, monthly series. A
    report of an incomplete period (as-of before its end or after ``now``, default the clock) is marked
    provisional in its manifest and on its first page. ``previous``: the filed report its summary compares
    with (:func:`compared_report`); None says there is none."""
    provisional = provisional_note(indicators.period, indicators.as_of, now or utc_now())
    series = monthly_series_from_url(db_url, indicators.period, indicators.as_of)
    return build_context(
        indicators,
        policies,
        findings=result.findings,
        waivers=result.waivers,
        not_applicable=result.not_applicable,
        regimes=regimes(),
        series=series,
        publication_date=publication_date,
        signoff=signoff,
        segments=segment_indicators(db_url, indicators),
        scanning=scanning_days_from_url(db_url, indicators.period, encryption_dates(policies)),
        supersedes=correction.supersedes if correction is not None else None,
        reason=correction.reason if correction is not None else None,
        verification=verification,
        provisional=provisional,
        previous=previous,
    )


def compared_report(
    audit: AuditSettings, s3: S3Settings, provider: str, period: Period, correction: CorrectionLike | None = None
) -> PreviousReport | None:
    """The filed report the summary of ``provider``'s report of ``period`` compares with, from the audit trail
    and the archive: for a correction, the filing it corrects; else the previous period's latest filing. None
    when there is none (the summary then says so); never fails the run."""
    from csa_report.storage.previous import compared_filing

    found = compared_filing(audit, s3, provider, period, correction.supersedes if correction else None)
    if found is None:
        return None
    report_id, of, values = found
    return PreviousReport(report_id, str(of), values, corrected=correction is not None)


def render_artefacts(
    context: ReportContext, out_dir: Path, template_dir: Path | None = None, timeout_s: float | None = None
) -> RenderResult:
    """The six artefacts of ``context`` in ``out_dir``; equal contexts give byte-identical files. ``timeout_s``:
    the render_timeout_s setting (the PDF layout past it is exit 4; None: the setting's default)."""
    templates = Path(template_dir) if template_dir is not None else None
    return render_report(context, Path(out_dir), templates, timeout_s)


def publication_date_of(text: str | None, filing_day: date) -> date:
    """The date printed as the publication date: ``text`` (YYYY-MM-DD), else ``filing_day``, the day the report
    is made for filing (the entry point's clock, read once), never the as-of instant: data as of 15 January and
    filed on 7 December is published on 7 December."""
    if text is None or not text.strip():
        return filing_day
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--publication-date {text!r} does not parse: expected YYYY-MM-DD") from None


def refuse_incomplete_period(period: Period, as_of: datetime, allow_incomplete_period: bool) -> None:
    """``run``/``demo`` (and the flow): an as-of before the period's end or after now is refused (exit 2) unless
    allowed; an allowed one gives a provisional report (see :func:`report_context`)."""
    require_complete_period(period, as_of, utc_now(), allow_incomplete_period)
