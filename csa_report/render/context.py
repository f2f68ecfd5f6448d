"""Build the report context (``ReportContext``) from indicators, policies, findings, regimes and provenance.

This is the assembler: the header (header.py), the nine sections of the standard form (Implementing Regulation
(EU) 2024/2916, one builder each in sections/), the regime segments (segments.py), the chart, findings and
waivers (annex.py) and the provenance. The builder is pure: no database, no clock; the publication date and the
as-of instant are inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from csa_report import __version__
from csa_report.indicators import SCHEMA_ID, Indicators
from csa_report.period import format_instant
from csa_report.policies.models import PolicySet
from csa_report.reference import Regime
from csa_report.render.annex import (
    FindingLike,
    NotAppliedLike,
    WaiverLike,
    build_chart,
    chart_marks,
    finding_entries,
    not_applied_entries,
    waiver_entries,
)
from csa_report.render.cells import format_value, na_cell, row_cell, slug, text_or_na, value_cell
from csa_report.render.definitions import DEFINITIONS
from csa_report.render.header import build_header, gap_notice, instruments_in_force, report_title
from csa_report.render.model import (
    HUMAN_SIGNOFF,
    ContactPoint,
    Definition,
    PolicyProvenance,
    Provenance,
    ReportContext,
)
from csa_report.render.scanning import ScanDays
from csa_report.render.sections import SECTION_TITLES, FieldBuilder, build_sections
from csa_report.render.sections.base import processed_definition
from csa_report.render.segments import segment_figures
from csa_report.render.series import MonthPoint
from csa_report.render.summary import PreviousReport, build_summary, correction_sentence
from csa_report.render.tables import section_tables, segment_tables


def build_context(
    indicators: Indicators,
    policies: PolicySet,
    *,
    findings: Sequence[FindingLike] = (),
    waivers: Sequence[WaiverLike] = (),
    not_applicable: Sequence[NotAppliedLike] = (),
    regimes: Sequence[Regime],
    series: Sequence[MonthPoint],
    publication_date: date,
    tool_version: str = __version__,
    signoff: str = HUMAN_SIGNOFF,
    segments: Sequence[Indicators] = (),
    supersedes: str | None = None,
    reason: str | None = None,
    verification: str | None = None,
    provisional: str | None = None,
    previous: PreviousReport | None = None,
    scanning: Sequence[ScanDays] | None = None,
) -> ReportContext:
    """The one context object of a report. Pure: equal inputs give an equal context. ``supersedes`` and
    ``reason``: the filing this report corrects, and why. ``previous`` is the filed report the summary compares
    with (the previous period's last filing, or the corrected filing), with its report.json values.
    ``scanning``: the days each service was scanned per regime segment (render.scanning); None: not counted, so
    the per-service scope statement gives only the days in scope."""
    correction = correction_sentence(supersedes, reason or "") if supersedes else None
    b = FieldBuilder(indicators, policies)
    period = indicators.period
    instruments = instruments_in_force(regimes, period.start, period.end)
    header = build_header(
        indicators,
        policies,
        instruments,
        columns=b.columns(),
        publication_date=publication_date,
        tool_version=tool_version,
        findings=findings,
        scanning=scanning,
    )
    b.findings = tuple(findings)
    b.scanning = tuple(scanning) if scanning is not None else None
    sections = build_sections(b)
    per_segment = segment_figures(sections, header.columns, instruments, segments, policies)
    sections = tuple(section_tables(s, header.columns) for s in sections)
    provenance = Provenance(
        period=str(period),
        as_of=format_instant(indicators.as_of),
        publication_date=publication_date.isoformat(),
        tool_version=tool_version,
        schema_version=SCHEMA_ID,
        policies=tuple(PolicyProvenance(**entry) for entry in policies.provenance()),
        signoff=signoff,
        correction=correction,
        supersedes=supersedes,
        reason=" ".join(reason.split()) if supersedes and reason else None,
        verification=verification,
        provisional=provisional,
    )
    p = policies.provider
    summary = build_summary(
        header,
        sections,
        correction=correction,
        contact=ContactPoint(name=p.contact.name, role=p.contact.role, email=p.contact.email) if p.contact else None,
        dpo=ContactPoint(name=p.dpo.name, email=p.dpo.email) if p.dpo else None,
        previous=previous,
    )
    return ReportContext(
        header=header,
        sections=sections,
        chart=build_chart(series, chart_marks(instruments, policies.provider.services, period.start, period.end)),
        findings=finding_entries(findings),
        waivers=waiver_entries(findings, waivers),
        definitions=tuple(
            Definition(term=t, text=processed_definition(policies) if t == "Processed" else x) for t, x in DEFINITIONS
        ),
        provenance=provenance,
        rows=indicators.rows,
        extra_rows=tuple(sorted(b.extra, key=lambda r: r.sort_key)),
        segment_columns=per_segment.columns,
        segment_groups=per_segment.groups,
        segment_rows=per_segment.rows,
        segment_tables=segment_tables(per_segment.groups, per_segment.columns, header.columns),
        summary=summary,
        not_applicable=not_applied_entries(not_applicable),
    )


def as_of_datetime(context: ReportContext) -> datetime:
    from csa_report.period import parse_as_of

    return parse_as_of(context.provenance.as_of)


# Names other modules import from here; they live in the modules above.
__all__ = [
    "SECTION_TITLES",
    "FindingLike",
    "NotAppliedLike",
    "WaiverLike",
    "as_of_datetime",
    "build_context",
    "format_value",
    "gap_notice",
    "instruments_in_force",
    "na_cell",
    "processed_definition",
    "report_title",
    "row_cell",
    "segment_figures",
    "slug",
    "text_or_na",
    "value_cell",
]
