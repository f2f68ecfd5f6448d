"""Portable SQL pieces for the checks: instants, days and day arithmetic on SQLite and PostgreSQL.

Every value reaches the database as a bound parameter. On SQLite, timestamps are text that other tools may write
in other shapes (``T`` or space, fractions), so each compared column goes through ``datetime()``/``date()``;
PostgreSQL compares native values (sessions run in UTC, see csa_report.db).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Interval, String, and_, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement

_SQLITE_TS = "%Y-%m-%d %H:%M:%S"


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@dataclass(frozen=True)
class Sql:
    """Expression builders for one dialect (``sqlite`` or ``postgresql``)."""

    dialect: str

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def ts(self, col: Any) -> ColumnElement[Any]:
        """A timestamp column in a form that compares correctly with :meth:`at`."""
        return func.datetime(col) if self.sqlite else col

    def at(self, value: datetime) -> ColumnElement[Any]:
        """A bound instant (naive UTC)."""
        if self.sqlite:
            return literal(value.strftime(_SQLITE_TS), String)
        return literal(value, DateTime)

    def day(self, col: Any) -> ColumnElement[Any]:
        """A date column in a form that compares correctly with :meth:`on`."""
        return func.date(col) if self.sqlite else col

    def on(self, value: date) -> ColumnElement[Any]:
        """A bound calendar day."""
        if self.sqlite:
            return literal(value.isoformat(), String)
        return literal(value, Date)

    def plus_days(self, col: Any, days: int) -> ColumnElement[Any]:
        """The timestamp ``col`` + ``days`` whole days, comparable with :meth:`ts` and :meth:`at`."""
        if self.sqlite:
            return func.datetime(col, literal(f"+{days} days", String))
        result: ColumnElement[Any] = col + literal(timedelta(days=days), Interval)
        return result

    def plus_seconds(self, col: Any, seconds: int) -> ColumnElement[Any]:
        """The timestamp ``col`` + ``seconds``, comparable with :meth:`ts` and :meth:`at` (policy thresholds in
        hours or days become seconds, so "exactly at the limit" is exact on both dialects)."""
        if self.sqlite:
            return func.datetime(col, literal(f"+{seconds} seconds", String))
        result: ColumnElement[Any] = col + literal(timedelta(seconds=seconds), Interval)
        return result

    def seconds_between(self, start: Any, end: Any) -> ColumnElement[Any]:
        """Whole seconds from ``start`` to ``end`` (timestamps or :meth:`at` values), computed by the database."""
        if self.sqlite:
            return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), BigInteger)
        return cast(extract("epoch", end - start), BigInteger)

    def between_days(self, col: Any, first: date, last: date | None) -> ColumnElement[bool]:
        """``col`` (a timestamp) falls on a day in ``first..last`` (``last`` None: open-ended)."""
        lower = self.ts(col) >= self.at(day_start(first))
        if last is None:
            return lower
        return and_(lower, self.ts(col) < self.at(day_start(last + timedelta(days=1))))

    def date_between(self, col: Any, first: date, last: date) -> ColumnElement[bool]:
        """``col`` (a date) is a day in ``first..last``."""
        return and_(self.day(col) >= self.on(first), self.day(col) <= self.on(last))

    @staticmethod
    def instant(value: Any) -> datetime | None:
        """A timestamp as returned by the driver (SQLite gives text) as a naive datetime."""
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return day_start(value)
        return datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)
