"""Spark SQL's forms of the expressions of csa_report.sql_dialect, written once.

Spark has native timestamps (``TIMESTAMP``, and ``TIMESTAMP_NTZ`` in tables written without a time zone) with
microseconds, like PostgreSQL; the session runs in UTC (csa_report.spark.source sets it), so both kinds compare
with the bound instants as UTC. What differs from the PostgreSQL forms:

* day and second arithmetic is ``ts + make_dt_interval(days, 0, 0, seconds)`` (no ``INTERVAL`` parameters);
* epoch seconds come from ``unix_micros`` and exact decimals, never a double: whole seconds are the floor (as
  PostgreSQL's ``floor(extract(epoch …))``), a span of seconds is rounded half away from zero (as PostgreSQL's
  cast of ``extract(epoch from a - b)`` to bigint, and SQLite's ``round``);
* ``YYYY-MM`` is ``date_format(ts, 'yyyy-MM')``.

The rest is common ground, so it is not overridden: ``FILTER (WHERE …)``, ``bit_or`` (an aggregate in Spark),
``count(DISTINCT …)``, ``true``/``false`` and ``CASE`` work as in PostgreSQL; ``/`` is always true division
(csa_report.spark.compiler writes ``//`` as ``FLOOR``); ``round`` on decimals rounds half away from zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Numeric, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from csa_report.sql_dialect import SqlDialect

#: Microseconds per second as an exact decimal: decimal division keeps every digit, a double would not.
_MICROS = literal(Decimal(1_000_000), Numeric(7, 0))


def _micros(col: Any) -> ColumnElement[Any]:
    """Microseconds since the epoch as an exact DECIMAL (``unix_micros`` wants a TIMESTAMP; an NTZ column is
    read as UTC, the session's zone)."""
    return cast(func.unix_micros(cast(col, DateTime)), Numeric(20, 0))


class SparkDialect(SqlDialect):
    name: ClassVar[str] = "spark"

    def plus_days(self, col: Any, days: int) -> ColumnElement[Any]:
        result: ColumnElement[Any] = col + func.make_dt_interval(literal(days), literal(0), literal(0), literal(0))
        return result

    def plus_seconds(self, col: Any, seconds: int) -> ColumnElement[Any]:
        result: ColumnElement[Any] = col + func.make_dt_interval(literal(0), literal(0), literal(0), literal(seconds))
        return result

    def seconds_between(self, start: Any, end: Any) -> ColumnElement[Any]:
        return cast(func.round((_micros(end) - _micros(start)) / _MICROS, 0), BigInteger)

    def epoch_seconds(self, col: Any) -> ColumnElement[int]:
        return cast(func.floor(_micros(col) / _MICROS), BigInteger)

    def month(self, col: Any) -> ColumnElement[str]:
        return func.date_format(col, literal("yyyy-MM"))
