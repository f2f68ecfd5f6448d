"""The legal instruments a letter names: which acts applied on which days of the period, and the reference
"Article 3(1)(g)(vii) of …" the subject and the body cite.

The names themselves come from the reference data (csa_report/reference/regimes.yaml): a letter takes them as
input and never spells an act's number itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from csa_report.errors import InputError
from csa_report.period import Period

#: The provision that obliges the provider to publish and send the report, in every regime so far.
ARTICLE = "Article 3(1)(g)(vii)"


@dataclass(frozen=True)
class Instrument:
    """One act that applied on some days of the period (or, with ``derogation`` false, days on which none did)."""

    #: The regime's id in the reference data ("2021/1232", "gap-2026", "2026/1881"); it picks the body template.
    regime: str
    #: As the law names it on the last day it applied in the period: "Regulation (EU) 2021/1232, as amended by
    #: Regulation (EU) 2024/1307".
    title: str
    first_day: date
    last_day: date
    derogation: bool = True
    #: The act excludes end-to-end-encrypted communications (2026/1881, Art. 1(3)).
    excludes_e2ee: bool = False

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def derogations(instruments: Sequence[Instrument]) -> list[Instrument]:
    return [i for i in instruments if i.derogation]


def legal_reference(instruments: Sequence[Instrument]) -> str:
    """'Article 3(1)(g)(vii) of A' or, for a period under two acts, 'Article 3(1)(g)(vii) of A, and of B': the
    comma keeps B from reading as one more amendment of A."""
    titles = [i.title for i in derogations(instruments)]
    if not titles:
        raise InputError("no derogation applied on any day of the period: there is no report under it to send")
    return f"{ARTICLE} of " + ", and of ".join(titles)


def period_label(period: Period) -> str:
    """'2025' for a calendar year, '2026-07-31 to 2026-12-31' otherwise."""
    start, end = period.start, period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start.isoformat()} to {end.isoformat()}"


def instruments_from_reference(period: Period) -> tuple[Instrument, ...]:
    """TEMPORARY ADAPTER, to be replaced by the reference data's own instrument-naming function (issue 22 item
    1) once it exists: the instruments of ``period`` as the report's header names them today."""
    from csa_report.reference import regimes
    from csa_report.render.header import instruments_in_force

    return tuple(
        Instrument(
            regime=i.id,
            title=i.name,
            first_day=date.fromisoformat(i.first_day),
            last_day=date.fromisoformat(i.last_day),
            derogation=i.derogation,
            excludes_e2ee=i.excludes_e2ee,
        )
        for i in instruments_in_force(regimes(), period.start, period.end)
    )
