"""Closed date intervals (``until`` None = open-ended) for transfer grounds and legal regimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from csa_report.period import Period
from csa_report.reference import regimes


@dataclass(frozen=True, order=True)
class Span:
    first: date
    last: date | None  # None: no end

    def intersect(self, other: Span) -> Span | None:
        first = max(self.first, other.first)
        lasts = [d for d in (self.last, other.last) if d is not None]
        last = min(lasts) if lasts else None
        if last is not None and last < first:
            return None
        return Span(first, last)

    def contains(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def closed(self) -> tuple[date, date]:
        """For a span already clipped to a period."""
        return self.first, self.last if self.last is not None else self.first


def period_span(period: Period) -> Span:
    return Span(period.start, period.end)


def no_derogation_spans(period: Period) -> list[Span]:
    """Days of ``period`` with no derogation in force: regimes marked ``derogation: false`` and days no regime
    covers (before the first or after the last known one)."""
    spans: list[Span] = []
    day = period.start
    ordered = regimes()
    while day <= period.end:
        current = next((r for r in ordered if r.covers(day)), None)
        if current is not None:
            last = min(current.applies_until, period.end)
            if not current.derogation:
                spans.append(Span(day, last))
        else:
            upcoming = [r.applies_from for r in ordered if r.applies_from > day]
            last = min((min(upcoming) - timedelta(days=1)) if upcoming else period.end, period.end)
            spans.append(Span(day, last))
        day = last + timedelta(days=1)
    return _merge(spans)


def e2ee_excluded_spans(period: Period) -> list[Span]:
    """Days of ``period`` on which a regime that excludes end-to-end encrypted communications applies."""
    out = []
    for r in regimes():
        if r.excludes_e2ee:
            clipped = Span(r.applies_from, r.applies_until).intersect(period_span(period))
            if clipped is not None:
                out.append(clipped)
    return _merge(out)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for s in sorted(spans):
        if merged:
            prev = merged[-1]
            if prev.last is None or prev.last + timedelta(days=1) >= s.first:
                last = None if prev.last is None or s.last is None else max(prev.last, s.last)
                merged[-1] = Span(prev.first, last)
                continue
        merged.append(s)
    return merged
