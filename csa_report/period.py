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


def resolve_period(period: str | None, as_of: datetime) -> Period:
    """``None`` or ``previous-year`` (the scheduled January run) means the calendar year before the as-of date."""
    if period in (None, "", "previous-year"):
        year = as_of.year - 1
        return Period(date(year, 1, 1), date(year, 12, 31))
    return Period.parse(period)


def check_as_of(period: Period, as_of: datetime) -> None:
    """An as-of instant before the period starts cannot describe it."""
    if as_of < period.start_at:
        raise PeriodError(
            f"as-of {format_instant(as_of)} is before the period {period} starts; "
            "give an as-of at or after the period's start (usually after its end)"
        )


def incomplete_period(period: Period, as_of: datetime, now: datetime, *, show_now: bool = True) -> str | None:
    """Why a report of ``period`` as of ``as_of``, made at ``now``, would not describe the whole period: an as-of
    before the period's end misses the rest of it, an as-of after now claims data that does not exist yet. None
    when the period is complete. Pure (the caller passes the clock). ``show_now=False`` leaves the clock out of
    the text, for what is printed in an artefact (same inputs, same bytes)."""
    if as_of < period.end_before:
        return (
            f"as-of {format_instant(as_of)} is before the period {period} ends "
            f"({format_instant(period.end_before)}): the rest of the period is missing"
        )
    if as_of > now:
        clock = f" (now {format_instant(now)})" if show_now else ""
        return f"as-of {format_instant(as_of)} is in the future{clock}: events up to it have not all happened"
    return None


def require_complete_period(period: Period, as_of: datetime, now: datetime, allow_incomplete: bool) -> str | None:
    """The rule for ``run`` and ``demo``: an incomplete period (see :func:`incomplete_period`) is refused
    (PeriodError, exit 2) unless the operator allowed it; then the reason is returned, for the report's
    provisional marker. None when the period is complete."""
    reason = incomplete_period(period, as_of, now)
    if reason is not None and not allow_incomplete:
        raise PeriodError(
            f"{reason}; give an as-of after the period's end and not in the future, or "
            "--allow-incomplete-period for a provisional report that cannot be filed as final"
        )
    return reason


def provisional_note(period: Period, as_of: datetime, now: datetime) -> str | None:
    """The marker a report of an incomplete period carries in its manifest and on its first page."""
    reason = incomplete_period(period, as_of, now, show_now=False)
    if reason is None:
        return None
    return f"provisional report, not to be filed as the final report for {period}: {reason}"


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; whole seconds unless the instant has a fraction."""
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def utc_now() -> datetime:
    """The one clock of the tool; tests and reproducible runs pass an explicit as-of instead."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
