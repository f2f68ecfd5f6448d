"""The annex and figure of the report: the monthly chart, the check findings and the waivers applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final, Protocol

from csa_report.checks.findings import SEVERITY_RANK
from csa_report.render.chart import month_label, render_svg
from csa_report.render.model import (
    Chart,
    ChartMark,
    ChartMonth,
    ChartPoint,
    FindingEntry,
    InstrumentInForce,
    NotAppliedEntry,
    WaiverEntry,
)
from csa_report.render.series import MonthPoint
from csa_report.vocabulary import CATEGORY_LABELS

#: The findings' order in the annex: the checks' own (blocking, review, warning); anything else last.
SEVERITY_ORDER: Final[dict[str, int]] = {str(k): v for k, v in SEVERITY_RANK.items()}
CHART_TITLE: Final = "Automated flags and confirmed automated flags per month and category"


class FindingLike(Protocol):
    """What the report needs of a check finding (csa_report.checks.Finding)."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def reference(self) -> str: ...


class NotAppliedLike(Protocol):
    """What the report needs of a rule that did not apply (csa_report.checks.findings.NotApplied)."""

    @property
    def rule(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def text(self) -> str: ...


class ServiceLike(Protocol):
    """What the figure needs of a service (policies.models.Service): its name (and ``e2ee_from``, read when
    present)."""

    @property
    def name(self) -> str: ...


class WaiverLike(Protocol):
    """What the report needs of a waiver (csa_report.checks.findings.WaiverUse; ``status`` and ``expires``
    are read when present)."""

    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def waived_by(self) -> str: ...


def chart_marks(
    instruments: Sequence[InstrumentInForce], services: Sequence[ServiceLike], first: date, last: date
) -> tuple[ChartMark, ...]:
    """The dates the figure marks, in time order: each legal regime's first day after the period's first (a
    stretch without a derogation as a shaded span), and each service's first end-to-end encrypted day."""
    marks: list[tuple[str, int, ChartMark]] = []
    for i in instruments:
        if i.first_day <= first.isoformat():
            continue
        if i.derogation:
            mark = ChartMark(day=i.first_day, kind="regime", label=f"{i.first_day}: {i.name} applies")
        else:
            mark = ChartMark(
                day=i.first_day,
                kind="gap",
                until=i.last_day,
                label=f"{i.first_day} to {i.last_day}: no derogation in force (shaded)",
            )
        marks.append((mark.day, 0, mark))
    for s in services:
        day = getattr(s, "e2ee_from", None)
        if isinstance(day, date) and first < day <= last:
            text = f"{day.isoformat()}: {s.name} end-to-end encrypted from this day"
            marks.append((day.isoformat(), 1, ChartMark(day=day.isoformat(), kind="e2ee", label=text)))
    return tuple(m for _, _, m in sorted(marks, key=lambda t: (t[0], t[1], t[2].label)))


def build_chart(series: Sequence[MonthPoint], marks: Sequence[ChartMark] = ()) -> Chart:
    points = tuple(
        ChartPoint(month=m.month, category=m.category, flagged=m.flagged, confirmed=m.confirmed) for m in series
    )
    first = month_label(points[0].month) if points else ""
    last = month_label(points[-1].month) if points else ""
    marked = (
        " Numbered vertical lines mark: " + "; ".join(f"{k}) {m.label}" for k, m in enumerate(marks, 1)) + "."
        if marks
        else ""
    )
    desc = (
        f"Line charts, one per category, from {first} to {last}: the number of items automatically flagged "
        "in each month (solid line) and how many of those automated flags human review confirmed by the as-of "
        f"instant (dashed line). User reports are in neither line.{marked} The same numbers are in the table below."
    )
    categories = [c for c in CATEGORY_LABELS if any(p.category == c for p in points)]
    by_key = {(p.month, p.category): p for p in points}
    table = tuple(
        ChartMonth(
            month=month,
            counts=tuple(
                v
                for c in categories
                for v in (
                    (by_key[(month, c)].flagged, by_key[(month, c)].confirmed) if (month, c) in by_key else (0, 0)
                )
            ),
        )
        for month in sorted({p.month for p in points})
    )
    columns = ("Automated flags", "Of these, confirmed")
    return Chart(
        title=CHART_TITLE,
        desc=desc,
        svg=render_svg(points, title=CHART_TITLE, desc=desc, marks=marks),
        points=points,
        marks=tuple(marks),
        table_groups=tuple(CATEGORY_LABELS[c] for c in categories),
        table_columns=columns,
        table=table,
    )


#: Rules listed before every other finding in the annex: an unanswered legal question frames how every other
#: figure and finding of the report is read (issue 22 item 2).
FIRST_RULES: Final = ("POSITION-1",)


def finding_entries(findings: Sequence[FindingLike]) -> tuple[FindingEntry, ...]:
    """The findings: the open legal questions (POSITION-1) first, then the most severe first."""
    return tuple(
        sorted(
            (
                FindingEntry(
                    rule=f.rule,
                    severity=str(f.severity),
                    message=f.message,
                    count=int(f.count),
                    reference=f.reference,
                    waived=getattr(f, "waived_by", None) is not None,
                )
                for f in findings
            ),
            key=lambda f: (f.rule not in FIRST_RULES, SEVERITY_ORDER.get(f.severity, 9), f.rule, f.message),
        )
    )


def not_applied_entries(rules: Sequence[NotAppliedLike]) -> tuple[NotAppliedEntry, ...]:
    """The rules that did not apply, in rule order."""
    return tuple(
        sorted((NotAppliedEntry(rule=r.rule, reference=r.reference, text=r.text) for r in rules), key=lambda r: r.rule)
    )


def waiver_entries(findings: Sequence[FindingLike], waivers: Sequence[WaiverLike]) -> tuple[WaiverEntry, ...]:
    """The waivers file's entries (with their status), or else the waivers recorded on the findings."""
    entries: set[WaiverEntry] = set()
    for w in waivers:
        expires = getattr(w, "expires", None)
        entries.add(
            WaiverEntry(
                rule=w.rule,
                reason=w.reason,
                waived_by=w.waived_by,
                status=str(getattr(w, "status", "applied")),
                expires=expires.isoformat() if isinstance(expires, date) else "",
            )
        )
    if not waivers:
        for f in findings:
            by = getattr(f, "waived_by", None)
            if by is not None:
                entries.add(
                    WaiverEntry(
                        rule=f.rule,
                        reason=str(getattr(f, "waiver_reason", "") or ""),
                        waived_by=str(by),
                        status="applied",
                        expires="",
                    )
                )
    return tuple(sorted(entries, key=lambda w: (w.rule, w.waived_by, w.reason)))
