"""Portable pieces of SQL for the extraction: timestamps, days and whole seconds on SQLite and PostgreSQL.

SQLite keeps timestamps as text, and other tools write them in other shapes (``2025-01-01T00:00:00``,
``2025-01-01 00:00:00.000000``), which do not compare correctly as strings. Normalising each value with
``datetime()`` costs a little CPU but makes the day boundaries exact whatever wrote the file. PostgreSQL compares
native timestamps; the session runs in UTC (csa_report.db), so ``timestamptz`` views compare correctly too.
DuckDB (a file or views over Parquet, csa_report.lake) takes the PostgreSQL forms unchanged: native timestamps,
``EXTRACT(epoch …)``; a difference it ever needs belongs here, not in a copy of a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, Integer, String, bindparam, case, cast, extract, func, literal
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from csa_report.period import Period

_SQLITE_TS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Sql:
    """Expression builders bound to one dialect and one (period, as-of)."""

    dialect: str
    start: BindParameter[object]
    end_before: BindParameter[object]
    first_day: BindParameter[object]
    last_day: BindParameter[object]
    as_of: BindParameter[object]

    @classmethod
    def for_run(cls, dialect: str, period: Period, as_of: datetime) -> Sql:
        if dialect == "sqlite":
            return cls(
                dialect,
                bindparam("p_start", _sqlite_ts(period.start_at), type_=String),
                bindparam("p_end", _sqlite_ts(period.end_before), type_=String),
                bindparam("p_first_day", period.start.isoformat(), type_=String),
                bindparam("p_last_day", period.end.isoformat(), type_=String),
                bindparam("p_as_of", _sqlite_ts(as_of), type_=String),
            )
        return cls(
            dialect,
            bindparam("p_start", period.start_at),
            bindparam("p_end", period.end_before),
            bindparam("p_first_day", period.start),
            bindparam("p_last_day", period.end),
            bindparam("p_as_of", as_of),
        )

    def ts(self, col: ColumnElement[object]) -> ColumnElement[object]:
        """A timestamp column in a form that compares correctly with the bound instants."""
        return func.datetime(col) if self.dialect == "sqlite" else col

    def day(self, col: ColumnElement[object]) -> ColumnElement[object]:
        return func.date(col) if self.dialect == "sqlite" else col

    def in_period(self, col: ColumnElement[object]) -> ColumnElement[bool]:
        t = self.ts(col)
        return (t >= self.start) & (t < self.end_before)

    def day_in_period(self, col: ColumnElement[object]) -> ColumnElement[bool]:
        d = self.day(col)
        return (d >= self.first_day) & (d <= self.last_day)

    def by_as_of(self, col: ColumnElement[object]) -> ColumnElement[bool]:
        """Happened at or before the as-of instant (a null never did)."""
        return col.is_not(None) & (self.ts(col) <= self.as_of)

    def seconds(self, col: ColumnElement[object]) -> ColumnElement[int]:
        """Whole seconds since the epoch (fractions truncated), for exact means."""
        if self.dialect == "sqlite":
            return cast(func.strftime("%s", col), Integer)
        return cast(func.floor(extract("epoch", col)), BigInteger)


def flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where the condition holds, else 0: the building block of conditional aggregates."""
    return case((cond, literal(1)), else_=literal(0))


def _sqlite_ts(value: datetime | date) -> str:
    if isinstance(value, datetime) and value.microsecond:
        return value.strftime(_SQLITE_TS + ".%f")
    return value.strftime(_SQLITE_TS)
