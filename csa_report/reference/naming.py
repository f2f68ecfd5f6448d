"""The legal instruments of a period named as the law names them, from the reference data (regimes.yaml).

Within one regime the report names that regime's instrument as it stood at the period's end, with the acts that
amend it ("Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307"). A self-standing act that
re-enacts an expired one (Regulation (EU) 2026/1881) is named alone, never as an amendment. A period that spans
several regimes names each instrument with its days, and the days without a derogation between them.

Used by the report's title and header (csa_report.render.header) and meant for the submission e-mail's subject
and text (:func:`instruments_phrase`), so that every artefact says the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from csa_report.reference import Regime, regime_by_id, regimes


@dataclass(frozen=True)
class Segment:
    """Days ``first``..``last`` of a period under one regime (``regime`` None: no regime of the reference data)."""

    regime: Regime | None
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def derogation(self) -> bool:
        return self.regime is not None and self.regime.derogation


def segments(start: date, end: date) -> tuple[Segment, ...]:
    """The period cut at each regime's boundaries, in time order; days no regime covers are a segment too."""
    out: list[Segment] = []
    ordered = regimes()
    day = start
    while day <= end:
        current = next((r for r in ordered if r.covers(day)), None)
        if current is not None:
            last = min(current.applies_until, end)
        else:
            upcoming = [r.applies_from for r in ordered if r.applies_from > day]
            last = min(min(upcoming) - timedelta(days=1), end) if upcoming else end
        out.append(Segment(current, day, last))
        day = last + timedelta(days=1)
    return tuple(out)


def instrument_name(regime: Regime, on: date) -> str:
    """The instrument as it stood on ``on``: with the amending acts then in force."""
    return regime.name_on(on)


def relation(regime: Regime) -> str:
    """How the instrument relates to the one before it, in plain words ("" when there is nothing to say)."""
    if regime.re_enacts is None:
        return ""
    old = regime_by_id(regime.re_enacts)
    old_name = old.name if old is not None else f"Regulation (EU) {regime.re_enacts}"
    expired = f", which expired after {old.applies_until.isoformat()}" if old is not None else ""
    return f"a self-standing regulation that re-enacts the derogation of {old_name}{expired}; it does not amend it"


def instruments_phrase(start: date, end: date) -> str:
    """The instruments of ``start``..``end`` in one phrase, e.g. for 2026: "Regulation (EU) 2021/1232, as
    amended by Regulation (EU) 2024/1307 (2026-01-01 to 2026-04-03), and under Regulation (EU) 2026/1881
    (2026-07-31 to 2026-12-31); no derogation in force from 2026-04-04 to 2026-07-30" (it follows "under").
    "" when no derogation applied."""
    parts = segments(start, end)
    with_derogation = [s for s in parts if s.derogation]
    if not with_derogation:
        return ""
    if len(parts) == 1:
        s = parts[0]
        assert s.regime is not None  # a derogation segment has its regime
        return instrument_name(s.regime, s.last)
    named = [
        f"{instrument_name(s.regime, s.last)} ({s.first.isoformat()} to {s.last.isoformat()})"
        for s in with_derogation
        if s.regime is not None
    ]
    # "and under" repeats the preposition: the second instrument is not read as a second amending act
    phrase = ", and under ".join(named)
    gaps = [s for s in parts if not s.derogation]
    if gaps:
        phrase += "; no derogation in force " + " and ".join(
            f"from {g.first.isoformat()} to {g.last.isoformat()}" for g in gaps
        )
    return phrase


def report_title(start: date, end: date) -> str:
    """'Transparency report under <instruments>', or the no-derogation title."""
    phrase = instruments_phrase(start, end)
    if not phrase:
        return "Transparency report (no derogation applied during the period)"
    return "Transparency report under " + phrase
