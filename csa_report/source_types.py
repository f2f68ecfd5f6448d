"""Column types of the source data, checked like the enumerations (data-contract §1): a count that is not a
non-negative integer, or a name that is not text, is a data error naming the table, the column and how many rows
are affected; totals that could overflow a 64-bit sum are refused the same way.

Why: SQLite stores whatever it is given (``items='abc'``, ``-5``, ``1.5``, a BLOB service name) and its SUM
silently reads text as 0, so such rows would turn into plausible but wrong figures. PostgreSQL's column types
already rule out most of this; there the column's declared type is checked instead, and negatives in both.

One aggregate query per table (counts only; no row reaches Python, no value is ever shown).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import case, column, func, literal, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from csa_report.errors import DataError
from csa_report.sources import backend_of

#: Counts summed into indicators: must be non-negative integers.
COUNTS: Final[dict[str, tuple[str, ...]]] = {"processing_volumes": ("items", "bytes")}
#: Names shown in the report (services, organisations, technologies): must be text.
NAMES: Final[dict[str, tuple[str, ...]]] = {
    "processing_volumes": ("service",),
    "detections": ("service", "technology"),
    "reports": ("service", "recipient"),
    "content_actions": ("service",),
    "account_actions": ("service",),
    "complaints": ("service",),
}
#: Largest total of a count column that every sum over a subset of its rows still fits in (64-bit signed).
MAX_TOTAL: Final = 2**63 - 1


def _n(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, literal(1)), else_=literal(0))), literal(0))


def validate_types(conn: Connection) -> None:
    """Raise DataError listing every (table, column) whose values do not have the contract's type."""
    backend = backend_of(conn)
    by_value = backend.typed_by_value
    problems: list[str] = []
    for name in sorted(set(COUNTS) | set(NAMES)):
        counts, names = COUNTS.get(name, ()), NAMES.get(name, ())
        if not by_value:
            # Elsewhere the declared column types (below) say whether names are text: only counts need a pass.
            names = ()
            if not counts:
                continue
        t = table(name, *(column(c) for c in (*counts, *names)))
        exprs: list[ColumnElement[Any]] = []
        for c in counts:
            col = t.c[c]
            exprs.append(_n(backend.not_integer(col)))
            exprs.append(_n(backend.negative(col)))
            # The backend's sum that never overflows itself (TOTAL, NUMERIC or DOUBLE) says whether the indicator
            # sums would.
            exprs.append(func.coalesce(backend.unbounded_total(col), literal(0)))
        for c in names:
            exprs.append(_n(backend.not_text(t.c[c])))
        row = conn.execute(select(*exprs).select_from(t)).one()
        values = list(row)
        for c in counts:
            non_integer, negative, total = values[0], values[1], values[2]
            values = values[3:]
            if non_integer:
                problems.append(f"{name}.{c}: {non_integer} row(s) hold a value that is not an integer count")
            if negative:
                problems.append(f"{name}.{c}: {negative} row(s) hold a negative count")
            if not non_integer and not negative and float(total or 0) > MAX_TOTAL:
                problems.append(f"{name}.{c}: the total of its counts does not fit a 64-bit sum")
        for c in names:
            not_text = values[0]
            values = values[1:]
            if not_text:
                problems.append(f"{name}.{c}: {not_text} row(s) hold a value that is not text")
    if not by_value:
        problems += _declared_types(conn)
    if problems:
        raise DataError("source data outside the types of data-contract §1: " + "; ".join(problems))


_INTEGER_TYPES: Final = ("SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER", "NUMERIC", "DECIMAL")
_TEXT_TYPES: Final = ("TEXT", "VARCHAR", "CHARACTER VARYING", "CHARACTER", "CHAR", "STRING")


def _declared_types(conn: Connection) -> list[str]:
    """Where the declared column type decides: counts integer or numeric, names text (the backend's catalogue)."""
    found: list[str] = []
    tables = sorted(set(COUNTS) | set(NAMES))
    declared = backend_of(conn).declared_types(conn, tables)
    for name in tables:
        for c in COUNTS.get(name, ()):
            d = declared.get((name, c))
            if d is not None and not d.split("(")[0].strip().startswith(_INTEGER_TYPES):
                found.append(f"{name}.{c}: declared as {d}, not an integer type")
        for c in NAMES.get(name, ()):
            d = declared.get((name, c))
            if d is not None and not d.split("(")[0].strip().startswith(_TEXT_TYPES):
                found.append(f"{name}.{c}: declared as {d}, not a text type")
    return found
