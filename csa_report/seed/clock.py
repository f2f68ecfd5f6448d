"""Instants as whole epoch seconds while generating, and their text form for loading.

Generating millions of rows spends most of its time on timestamps, so the generator works on plain ``int``
seconds since 1970-01-01 (UTC, naive) and turns them into text through two caches: one string per day and one
per second of the day. The text form ``YYYY-MM-DD HH:MM:SS`` is what PostgreSQL's COPY parses; the SQLite loader
appends SQLAlchemy's ``.000000`` so that our rows compare like the rows SQLAlchemy itself would have written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

MINUTE: Final = 60
HOUR: Final = 3600
DAY: Final = 86400

_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()


def day_start(day: date) -> int:
    """The first second of ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class InstantText:
    """Formats epoch seconds as ``YYYY-MM-DD HH:MM:SS``; cheap enough to call tens of millions of times."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def __call__(self, instant: int | None) -> str | None:
        if instant is None:
            return None
        d, s = divmod(instant, DAY)
        prefix = self._days.get(d)
        if prefix is None:
            prefix = date.fromordinal(d + _EPOCH_ORDINAL).isoformat() + " "
            self._days[d] = prefix
        return prefix + self._times[s]
