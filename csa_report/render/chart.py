"""The report's one figure as inline SVG, written by hand (no plotting library, byte-stable output).

Three small panels (known CSAM, possible new CSAM, solicitation), each with two lines over the months of the
period: automated flags (solid, circles) and those confirmed on review (dashed, squares) — distinguishable without
colour. Dates that explain a change in the lines are marked across every panel and named in the legend: the
first day of each legal regime after the first (a stretch without a derogation is shaded) and the day each
service became end-to-end encrypted. The SVG carries <title> and <desc>; the report also prints the same numbers
as a table.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from typing import Final

from csa_report.render.model import ChartMark, ChartPoint
from csa_report.vocabulary import CATEGORY_LABELS

_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WIDTH: Final = 720
PANEL_H: Final = 110
LEGEND_H: Final = 34
MARK_LINE_H: Final = 16
LEFT: Final = 56
RIGHT: Final = 16
TOP_PAD: Final = 24
BOTTOM_PAD: Final = 34
FLAGGED_COLOUR: Final = "#1f4e9c"
CONFIRMED_COLOUR: Final = "#b4441a"
REGIME_COLOUR: Final = "#333333"
E2EE_COLOUR: Final = "#6a3d9a"
GAP_FILL: Final = "#e6e6e6"


def _f(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: int) -> int:
    """The smallest 1/2/5 × 10^k (at least 4) that is ≥ value, so four ticks are whole numbers."""
    if value <= 4:
        return 4
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            candidate = step * magnitude * 4
            if candidate >= value:
                return candidate
        magnitude *= 10


def month_label(month: str) -> str:
    year, mm = month.split("-")
    return f"{_MONTHS[int(mm) - 1]} {year}"


def _day_x(day: str, months: Sequence[str], left: float, step: float) -> float | None:
    """Where a day falls on the month axis (each month spans one step, its days evenly), or None outside it."""
    d = date.fromisoformat(day)
    key = f"{d.year:04d}-{d.month:02d}"
    if key not in months:
        return None
    length = calendar.monthrange(d.year, d.month)[1]
    return left + step * (months.index(key) + (d.day - 1) / length)


def _mark_legend(marks: Sequence[ChartMark], top: float) -> list[str]:
    """One legend line per mark: its number, its symbol and what happened that day."""
    out: list[str] = []
    for k, m in enumerate(marks):
        y = top + k * MARK_LINE_H
        colour = E2EE_COLOUR if m.kind == "e2ee" else REGIME_COLOUR
        dash = "2 3" if m.kind == "e2ee" else "5 3"
        if m.kind == "gap":
            out.append(f'<rect x="{LEFT}" y="{_f(y - 9)}" width="28" height="12" fill="{GAP_FILL}"/>')
        out.append(
            f'<line x1="{LEFT + 14}" y1="{_f(y - 10)}" x2="{LEFT + 14}" y2="{_f(y + 4)}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
        )
        out.append(
            f'<text x="{LEFT + 36}" y="{_f(y)}" fill="#1a1a1a"><tspan font-weight="bold">{k + 1}</tspan> '
            f"{escape(m.label)}</text>"
        )
    return out


def render_svg(points: Sequence[ChartPoint], *, title: str, desc: str, marks: Sequence[ChartMark] = ()) -> str:
    months = sorted({p.month for p in points})
    categories = [c for c in CATEGORY_LABELS if any(p.category == c for p in points)]
    by_key = {(p.month, p.category): p for p in points}
    plot_w = WIDTH - LEFT - RIGHT
    n = max(len(months), 1)
    step = plot_w / n
    # Only the marks that fall inside the figure's months are drawn (and numbered).
    marks = [m for m in marks if _day_x(m.day, months, LEFT, step) is not None]
    legend_h = LEGEND_H + MARK_LINE_H * len(marks)
    height = legend_h + len(categories) * (PANEL_H + TOP_PAD + BOTTOM_PAD)

    def x_of(i: int) -> float:
        return LEFT + step * (i + 0.5)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        # legend
        f'<line x1="{LEFT}" y1="17" x2="{LEFT + 28}" y2="17" stroke="{FLAGGED_COLOUR}" stroke-width="2.5"/>',
        f'<circle cx="{LEFT + 14}" cy="17" r="3.5" fill="{FLAGGED_COLOUR}"/>',
        f'<text x="{LEFT + 36}" y="21" fill="#1a1a1a">Automated flags</text>',
        f'<line x1="{LEFT + 190}" y1="17" x2="{LEFT + 218}" y2="17" stroke="{CONFIRMED_COLOUR}" '
        f'stroke-width="2.5" stroke-dasharray="6 4"/>',
        f'<rect x="{LEFT + 200.5}" y="13.5" width="7" height="7" fill="{CONFIRMED_COLOUR}"/>',
        f'<text x="{LEFT + 226}" y="21" fill="#1a1a1a">Of these, confirmed on review</text>',
        *_mark_legend(marks, LEGEND_H + 8),
    ]
    for k, category in enumerate(categories):
        top = legend_h + k * (PANEL_H + TOP_PAD + BOTTOM_PAD) + TOP_PAD
        bottom = top + PANEL_H
        values = [
            by_key.get((m, category), ChartPoint(month=m, category=category, flagged=0, confirmed=0)) for m in months
        ]
        vmax = nice_max(max([0, *(v.flagged for v in values), *(v.confirmed for v in values)]))

        def y_of(v: int, top: float = top, vmax: int = vmax) -> float:
            return top + PANEL_H - PANEL_H * v / vmax

        out.append('<g class="panel" aria-hidden="true">')
        out.extend(_panel_marks(marks, months, step, top, bottom))
        out.append(
            f'<text x="{LEFT}" y="{_f(top - 8)}" font-weight="bold" fill="#1a1a1a">'
            f"{escape(CATEGORY_LABELS[category])}</text>"
        )
        for t in range(5):
            tv = vmax * t // 4
            y = y_of(tv)
            out.append(
                f'<line x1="{LEFT}" y1="{_f(y)}" x2="{WIDTH - RIGHT}" y2="{_f(y)}" '
                f'stroke="{"#888888" if t == 0 else "#dddddd"}" stroke-width="1"/>'
            )
            out.append(f'<text x="{LEFT - 6}" y="{_f(y + 4)}" text-anchor="end" fill="#444444">{tv:,}</text>')
        every = 1 if n <= 12 else (2 if n <= 24 else 3)
        for i, m in enumerate(months):
            if i % every == 0:
                mon, year = month_label(m).split(" ")
                out.append(
                    f'<text x="{_f(x_of(i))}" y="{_f(bottom + 14)}" text-anchor="middle" fill="#444444">{mon}</text>'
                )
                if i == 0 or mon == "Jan":
                    out.append(
                        f'<text x="{_f(x_of(i))}" y="{_f(bottom + 27)}" text-anchor="middle" '
                        f'fill="#444444">{year}</text>'
                    )
        flagged = " ".join(f"{_f(x_of(i))},{_f(y_of(v.flagged))}" for i, v in enumerate(values))
        confirmed = " ".join(f"{_f(x_of(i))},{_f(y_of(v.confirmed))}" for i, v in enumerate(values))
        out.append(f'<polyline points="{flagged}" fill="none" stroke="{FLAGGED_COLOUR}" stroke-width="2.5"/>')
        out.append(
            f'<polyline points="{confirmed}" fill="none" stroke="{CONFIRMED_COLOUR}" '
            f'stroke-width="2.5" stroke-dasharray="6 4"/>'
        )
        for i, v in enumerate(values):
            out.append(f'<circle cx="{_f(x_of(i))}" cy="{_f(y_of(v.flagged))}" r="3.5" fill="{FLAGGED_COLOUR}"/>')
            out.append(
                f'<rect x="{_f(x_of(i) - 3.5)}" y="{_f(y_of(v.confirmed) - 3.5)}" width="7" height="7" '
                f'fill="{CONFIRMED_COLOUR}"/>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _panel_marks(
    marks: Sequence[ChartMark], months: Sequence[str], step: float, top: float, bottom: float
) -> list[str]:
    """The marks across one panel: the shaded stretch without a derogation, then a numbered line per date."""
    out: list[str] = []
    end_x = WIDTH - RIGHT
    for m in marks:
        x = _day_x(m.day, months, LEFT, step)
        if m.kind == "gap" and x is not None:
            after = (date.fromisoformat(m.until) + timedelta(days=1)).isoformat() if m.until else ""
            until = _day_x(after, months, LEFT, step) if after else None
            x2 = end_x if until is None else until
            out.append(
                f'<rect x="{_f(x)}" y="{_f(top)}" width="{_f(max(x2 - x, 1))}" height="{PANEL_H}" fill="{GAP_FILL}"/>'
            )
    for k, m in enumerate(marks):
        x = _day_x(m.day, months, LEFT, step)
        if x is None:
            continue
        colour = E2EE_COLOUR if m.kind == "e2ee" else REGIME_COLOUR
        dash = "2 3" if m.kind == "e2ee" else "5 3"
        out.append(
            f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(bottom)}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{_f(x + 3)}" y="{_f(top + 11)}" font-weight="bold" fill="{colour}">{k + 1}</text>')
    return out
