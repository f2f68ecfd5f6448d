"""The names in the source data (services, technologies, recipients) validated like the policies' names.

One aggregate statement per (table, column): its distinct values with their row counts (names, never personal
data; no row reaches Python). Each value is held to :func:`csa_report.names.name_problem`; any invalid one is a
DataError (exit 2) naming the table, the column, the value escaped and how many rows hold it. The check step runs
this before the rules, so every rule compares valid names only, and a name that is valid but not declared in
provider.md is SERVICE-1's blocking finding (csa_report.checks.declared).

A value longer than :data:`~csa_report.names.MAX_NAME_CHARS` characters is read cut to its first :data:`CUT`, with
its full length beside it, so a 10,000-character name costs no more than a short one.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import case, column, func, literal, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnClause

from csa_report.db import require_tables
from csa_report.errors import DataError
from csa_report.names import MAX_NAME_CHARS, escaped, name_problem
from csa_report.source_types import NAMES

#: Invalid values shown in one message; the rest are counted.
SHOWN: Final = 3
#: Characters of a too-long value that are read and shown.
CUT: Final = 40


def distinct_names(conn: Connection, table_name: str, col: str) -> list[tuple[str, int, int]]:
    """(value, its length, rows) per distinct non-null value, in order; a value longer than MAX_NAME_CHARS is
    cut to its first :data:`CUT` characters. Cut in SQL only when too long: SQLite's string functions stop at a
    NUL, so a short value is read whole (and its NUL seen)."""
    c: ColumnClause[Any] = column(col)
    t = table(table_name, c)
    length = func.length(c)
    shown = case((length > MAX_NAME_CHARS, func.substr(c, literal(1), literal(CUT))), else_=c)
    stmt = select(shown, length, func.count()).select_from(t).where(c.is_not(None)).group_by(c).order_by(c)
    return [(str(v), int(n), int(rows)) for v, n, rows in conn.execute(stmt).all()]


def source_name_problems(conn: Connection) -> list[str]:
    """One phrase per invalid value: the value escaped, why, and where with how many rows
    (``'Example Chat ' starts or ends with a space, in detections.service (171 rows), reports.service (2 rows)``)."""
    found: dict[tuple[str, str], list[str]] = {}
    for table_name in _present(conn):
        for col in NAMES[table_name]:
            for value, length, rows in distinct_names(conn, table_name, col):
                if length > MAX_NAME_CHARS:
                    why = f"is {length} characters long; a name has at most {MAX_NAME_CHARS}"
                    shown = escaped(value[:CUT]) + "…"
                else:
                    why = name_problem(value, listed=True) or ""
                    shown = escaped(value)
                if why:
                    where = f"{table_name}.{col} ({rows} row{'s' if rows != 1 else ''})"
                    found.setdefault((shown, why), []).append(where)
    return [f"{shown} {why}, in {', '.join(where)}" for (shown, why), where in sorted(found.items())]


def _present(conn: Connection) -> list[str]:
    """The name tables that have their name columns. A missing one is skipped here: every rule reading it reports
    it missing (the runner's CheckFailure, exit 2), SERVICE-1 too."""
    try:
        require_tables(conn, dict(NAMES))  # one inspection in the usual case
        return sorted(NAMES)
    except DataError:
        present = []
        for table_name in sorted(NAMES):
            try:
                require_tables(conn, {table_name: NAMES[table_name]})
                present.append(table_name)
            except DataError:
                continue
        return present


def check_source_names(conn: Connection) -> None:
    """Raise DataError when a service, technology or recipient name in the source data is not a valid name."""
    try:
        problems = source_name_problems(conn)
    finally:
        conn.rollback()  # read-only: end the statement's transaction before the rules begin theirs
    if problems:
        more = len(problems) - SHOWN
        tail = f"; and {more} more invalid name{'s' if more != 1 else ''}" if more > 0 else ""
        raise DataError(
            "source data holds names that are not valid (docs/data-contract.md, names): "
            + "; ".join(problems[:SHOWN])
            + tail
        )
