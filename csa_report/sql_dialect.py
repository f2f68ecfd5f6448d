"""The one SQL dialect of csa-report: instants, days, day arithmetic and epoch seconds on every backend.

Extraction (csa_report.extract), the compliance checks (csa_report.checks) and the report's monthly series
(csa_report.render.series) build their SQL with these expressions, so a backend difference is written once.
:class:`SqlDialect` holds the PostgreSQL forms (native timestamps, intervals, ``EXTRACT(epoch …)``); each backend
is a subclass that overrides only what differs (each source backend names its own: csa_report.sources).

SQLite keeps timestamps as text, and other tools write them in other shapes (``2025-01-01T00:00:00``,
``2025-01-01 00:00:00.000000``), which do not compare correctly as strings. Normalising each value with
``datetime()``/``date()`` costs a little CPU but makes the day boundaries exact whatever wrote the file.
PostgreSQL compares native timestamps; the session runs in UTC (csa_report.db), so ``timestamptz`` views compare
correctly too. DuckDB (a file or views over Parquet, csa_report.lake) takes the PostgreSQL forms unchanged; a
difference it ever needs belongs in :class:`DuckDBDialect`, not in a copy of a query.

Every value reaches the database as a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    Interval,
    String,
    and_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from csa_report.period import Period

_SQLITE_TS = "%Y-%m-%d %H:%M:%S"


def midnight(day: date) -> datetime:
    """The instant the day begins (naive UTC)."""
    return datetime(day.year, day.month, day.day)


class SqlDialect:
    """Expression builders for one backend; these are the PostgreSQL forms, subclasses override what differs."""

    name: ClassVar[str] = "postgresql"

    def ts(self, col: Any) -> ColumnElement[Any]:
        """A timestamp column in a form that compares correctly with :meth:`at` and the bound instants."""
        result: ColumnElement[Any] = col
        return result

    def day(self, col: Any) -> ColumnElement[Any]:
        """A date column in a form that compares correctly with :meth:`on` and the bound days."""
        result: ColumnElement[Any] = col
        return result

    def at(self, value: datetime) -> ColumnElement[Any]:
        """A bound instant (naive UTC)."""
        return literal(value, DateTime)

    def on(self, value: date) -> ColumnElement[Any]:
        """A bound calendar day."""
        return literal(value, Date)

    def bind_instant(self, name: str, value: datetime) -> BindParameter[Any]:
        """A named bound instant (naive UTC), shared by every statement of one extraction."""
        return bindparam(name, value)

    def bind_day(self, name: str, value: date) -> BindParameter[Any]:
        """A named bound calendar day."""
        return bindparam(name, value)

    def plus_days(self, col: Any, days: int) -> ColumnElement[Any]:
        """The timestamp ``col`` + ``days`` whole days, comparable with :meth:`ts` and :meth:`at`."""
        result: ColumnElement[Any] = col + literal(timedelta(days=days), Interval)
        return result

    def plus_seconds(self, col: Any, seconds: int) -> ColumnElement[Any]:
        """The timestamp ``col`` + ``seconds``, comparable with :meth:`ts` and :meth:`at` (policy thresholds in
        hours or days become seconds, so "exactly at the limit" is exact on every backend)."""
        result: ColumnElement[Any] = col + literal(timedelta(seconds=seconds), Interval)
        return result

    def seconds_between(self, start: Any, end: Any) -> ColumnElement[Any]:
        """Whole seconds from ``start`` to ``end`` (timestamps or :meth:`at` values), computed by the database."""
        return cast(extract("epoch", end - start), BigInteger)

    def epoch_seconds(self, col: Any) -> ColumnElement[int]:
        """Whole seconds since the epoch (fractions truncated), for exact means."""
        return cast(func.floor(extract("epoch", col)), BigInteger)

    def month(self, col: Any) -> ColumnElement[str]:
        """``YYYY-MM`` of a timestamp column."""
        return func.to_char(func.date_trunc("month", col), "YYYY-MM")

    def between_days(self, col: Any, first: date, last: date | None) -> ColumnElement[bool]:
        """``col`` (a timestamp) falls on a day in ``first..last`` (``last`` None: open-ended)."""
        lower = self.ts(col) >= self.at(midnight(first))
        if last is None:
            return lower
        return and_(lower, self.ts(col) < self.at(midnight(last + timedelta(days=1))))

    def date_between(self, col: Any, first: date, last: date) -> ColumnElement[bool]:
        """``col`` (a date) is a day in ``first..last``."""
        return and_(self.day(col) >= self.on(first), self.day(col) <= self.on(last))

    def bit_or(self, col: Any) -> ColumnElement[Any] | None:
        """The aggregate OR of an integer column's bits, or None where the backend has no such aggregate."""
        return func.bit_or(col)

    def exact(self, expr: Any) -> ColumnElement[Any]:
        """An instant (column or :meth:`at_exact` value) in a form that compares with its fraction of a second:
        comparisons with the as-of instant, which may have one (a review 0.3 s after it is not yet given)."""
        result: ColumnElement[Any] = expr
        return result

    def at_exact(self, value: datetime) -> ColumnElement[Any]:
        """A bound instant with its fraction of a second, for :meth:`exact`."""
        return self.at(value)

    def not_after(self, col: Any, value: datetime) -> ColumnElement[bool]:
        """``col`` happened at or before the instant ``value``, fractions of a second included."""
        return self.exact(col) <= self.exact(self.at_exact(value))

    def after(self, col: Any, value: datetime) -> ColumnElement[bool]:
        """``col`` happened after the instant ``value``, fractions of a second included."""
        return self.exact(col) > self.exact(self.at_exact(value))

    def before(self, col: Any, value: datetime) -> ColumnElement[bool]:
        """``col`` (a timestamp or a computed deadline) lies before the instant ``value``, fractions of a second
        included."""
        return self.exact(col) < self.exact(self.at_exact(value))

    @staticmethod
    def instant(value: Any) -> datetime | None:
        """A timestamp as returned by the driver (SQLite gives text) as a naive datetime."""
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return midnight(value)
        return datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)


class PostgresDialect(SqlDialect):
    name: ClassVar[str] = "postgresql"


class DuckDBDialect(SqlDialect):
    name: ClassVar[str] = "duckdb"


class SqliteDialect(SqlDialect):
    """Timestamps and days are text: every compared column is normalised, every bound value is text."""

    name: ClassVar[str] = "sqlite"

    def ts(self, col: Any) -> ColumnElement[Any]:
        return func.datetime(col)

    def day(self, col: Any) -> ColumnElement[Any]:
        return func.date(col)

    def at(self, value: datetime) -> ColumnElement[Any]:
        # Whole seconds, as the checks have always compared (``ts`` drops fractions from the column too).
        return literal(value.strftime(_SQLITE_TS), String)

    def on(self, value: date) -> ColumnElement[Any]:
        return literal(value.isoformat(), String)

    def bind_instant(self, name: str, value: datetime) -> BindParameter[Any]:
        # The extraction's bounds keep a fraction when the instant has one.
        return bindparam(name, _sqlite_ts(value), type_=String)

    def bind_day(self, name: str, value: date) -> BindParameter[Any]:
        return bindparam(name, value.isoformat(), type_=String)

    def plus_days(self, col: Any, days: int) -> ColumnElement[Any]:
        return func.datetime(col, literal(f"+{days} days", String))

    def plus_seconds(self, col: Any, seconds: int) -> ColumnElement[Any]:
        return func.datetime(col, literal(f"+{seconds} seconds", String))

    def seconds_between(self, start: Any, end: Any) -> ColumnElement[Any]:
        return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), BigInteger)

    def epoch_seconds(self, col: Any) -> ColumnElement[int]:
        return cast(func.strftime("%s", col), Integer)

    def month(self, col: Any) -> ColumnElement[str]:
        return func.strftime("%Y-%m", col)

    def bit_or(self, col: Any) -> ColumnElement[Any] | None:
        return None

    def exact(self, expr: Any) -> ColumnElement[Any]:
        # julianday keeps the milliseconds that datetime() drops; applied to both sides, SQLite rounds both the
        # same way. Only the as-of comparisons use it (period bounds are whole days, where datetime() is exact
        # and several times cheaper than strftime('%f')).
        return func.julianday(expr)

    def at_exact(self, value: datetime) -> ColumnElement[Any]:
        return literal(_sqlite_ts(value), String)


@dataclass(frozen=True)
class PeriodParams:
    """A dialect with one run's period and as-of instant as named bound parameters, shared by all statements."""

    sql: SqlDialect
    start: BindParameter[Any]
    end_before: BindParameter[Any]
    first_day: BindParameter[Any]
    last_day: BindParameter[Any]
    as_of: BindParameter[Any]

    @classmethod
    def bind(cls, sql: SqlDialect, period: Period, as_of: datetime) -> PeriodParams:
        return cls(
            sql,
            sql.bind_instant("p_start", period.start_at),
            sql.bind_instant("p_end", period.end_before),
            sql.bind_day("p_first_day", period.start),
            sql.bind_day("p_last_day", period.end),
            sql.bind_instant("p_as_of", as_of),
        )

    def in_period(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        t = self.sql.ts(col)
        return (t >= self.start) & (t < self.end_before)

    def day_in_period(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        d = self.sql.day(col)
        return (d >= self.first_day) & (d <= self.last_day)

    def by_as_of(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        """Happened at or before the as-of instant (a null never did), fractions of a second included."""
        return col.is_not(None) & (self.sql.exact(col) <= self.sql.exact(self.as_of))

    def seconds(self, col: ColumnElement[Any]) -> ColumnElement[int]:
        """Whole seconds since the epoch (fractions truncated), for exact means."""
        return self.sql.epoch_seconds(col)


def flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where the condition holds, else 0: the building block of conditional aggregates."""
    return case((cond, literal(1)), else_=literal(0))


def _sqlite_ts(value: datetime | date) -> str:
    if isinstance(value, datetime) and value.microsecond:
        return value.strftime(_SQLITE_TS + ".%f")
    return value.strftime(_SQLITE_TS)
