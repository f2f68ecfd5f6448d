"""Reporting periods and the as-of instant (data-contract §2).

All instants inside csa-report are naive ``datetime`` objects in UTC: that is how the reporting schema stores
them, and it keeps SQLite and PostgreSQL comparisons identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from csa_report.errors import PeriodError

# ASCII digits only: Python's \d also matches other scripts' digits (``٢٠٢٥``), which the contract does not allow.
_YEAR = re.compile(r"^[0-9]{4}$")
_RANGE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{4}-[0-9]{2}-[0-9]{2})$")
#: The as-of forms of data-contract §2: a date, or a date-time to the second (optional fraction) with no offset,
#: ``Z`` or ``±HH:MM``.
_AS_OF = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
#: Periods must leave room for the day after their end (the exclusive bound) and for an as-of after it.
_FIRST_DAY, _LAST_DAY = date(1, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True, order=True)
class Period:
    """A closed date interval; an event belongs to it when its timestamp falls on a day inside it."""

    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> Period:
        raw = text.strip()
        if _YEAR.match(raw):
            year = int(raw)
            if not _FIRST_DAY.year <= year <= _LAST_DAY.year:
                raise PeriodError(
                    f"period {text!r} is outside the supported years {_FIRST_DAY.year:04d}–{_LAST_DAY.year}"
                )
            return cls(date(year, 1, 1), date(year, 12, 31))
        m = _RANGE.match(raw)
        if not m:
            raise PeriodError(
                f"period {text!r} does not parse: expected YYYY (a calendar year) or "
                "YYYY-MM-DD/YYYY-MM-DD (end inclusive)"
            )
        try:
            start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        except ValueError as exc:
            raise PeriodError(f"period {text!r} does not parse: {exc}") from None
        if end < start:
            raise PeriodError(f"period {text!r} ends ({end}) before it starts ({start})")
        if end > _LAST_DAY:
            raise PeriodError(f"period {text!r} ends after {_LAST_DAY}, the last supported day")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def slug(self) -> str:
        """A path- and key-safe form: ``2025-01-01_2025-12-31``."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def start_at(self) -> datetime:
        """First instant of the period (inclusive)."""
        return datetime(self.start.year, self.start.month, self.start.day)

    @property
    def end_before(self) -> datetime:
        """First instant after the period (exclusive bound)."""
        nxt = self.end + timedelta(days=1)
        return datetime(nxt.year, nxt.month, nxt.day)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains_day(self, day: date) -> bool:
        return self.start <= day <= self.end


def parse_as_of(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time; no offset means UTC. Returns naive UTC."""
    raw = text.strip()
    try:
        if not _AS_OF.fullmatch(raw):
            raise ValueError("not one of the contract's forms")
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            return datetime(d.year, d.month, d.day)
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise PeriodError(f"as-of {text!r} is outside the representable range of instants") from None
    except ValueError:
        raise PeriodError(
            f"as-of {text!r} does not parse: expected ISO 8601 such as 2026-01-08, "
            "2026-01-08T00:00:00, 2026-01-08T00:00:00Z or 2026-01-08T01:00:00+01:00"
        ) from None
    return parsed


def check_as_of(period: Period, as_of: datetime) -> None:
    """An as-of instant before the period starts cannot describe it."""
    if as_of < period.start_at:
        raise PeriodError(
            f"as-of {format_instant(as_of)} is before the period {period} starts; "
            "give an as-of at or after the period's start (usually after its end)"
        )


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; whole seconds unless the instant has a fraction."""
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def utc_now() -> datetime:
    """The one clock of the tool; tests and reproducible runs pass an explicit as-of instead."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
