"""Glue: a :class:`SparkSource` in the shape of the SQLAlchemy ``Connection`` that extraction, checks and the
report's series are written against today (``execute(statement)`` and its result's ``all``/``one``/
``scalar_one``/``mappings``, ``dialect.name``, ``begin``/``rollback``).

It exists only until those callers take a statement runner instead of a connection; then the runner is
:meth:`SparkSource.run` and this module goes. A statement Spark refuses is raised as
:class:`SparkStatementFailed`, a SQLAlchemyError, so the callers' handling of a failed statement (a check that
"could not run") applies unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import ClauseElement

from csa_report.errors import ToolError
from csa_report.spark.source import Row, SparkSource, SparkStatementError


class SparkStatementFailed(SQLAlchemyError):
    """A statement Spark refused (csa_report.spark.source.SparkStatementError), as a SQLAlchemy error."""


@dataclass(frozen=True)
class _DialectName:
    name: str = "spark"


class SparkResult:
    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def all(self) -> list[Row]:
        return list(self._rows)

    def one(self) -> Row:
        if len(self._rows) != 1:
            raise ToolError(f"internal: expected one row from Spark, got {len(self._rows)}")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def mappings(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self._rows]


class SparkConnection:
    """The SQLAlchemy-shaped face of a SparkSource (see the module docstring)."""

    dialect = _DialectName()

    def __init__(self, source: SparkSource) -> None:
        self.source = source

    def execute(self, statement: ClauseElement, parameters: Mapping[str, Any] | None = None) -> SparkResult:
        if isinstance(statement, TextClause):
            raise ToolError("internal: raw SQL text reached the Spark source; build the statement with SQLAlchemy")
        try:
            return SparkResult(self.source.run(statement))
        except SparkStatementError as exc:
            raise SparkStatementFailed(str(exc)) from None

    def require_tables(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.source.require_tables(columns)

    def declared_types(self, tables: Sequence[str]) -> dict[tuple[str, str], str]:
        """(table, column) → the column's Spark type in upper case, for csa_report.source_types."""
        return {(t, c): d.upper() for t in tables for c, d in self.source.columns(t).items()}

    def begin(self) -> AbstractContextManager[None]:
        return nullcontext()  # no transactions: every statement is a read

    def rollback(self) -> None:
        return None

    def commit(self) -> None:
        return None

    def execution_options(self, **_options: Any) -> SparkConnection:
        return self

    def close(self) -> None:
        self.source.close()


@contextmanager
def spark_connection(raw_url: str, what: str) -> Iterator[SparkConnection]:
    """A SparkConnection on a newly opened source, closed afterwards."""
    source = SparkSource.open(raw_url, what)
    try:
        yield SparkConnection(source)
    finally:
        source.close()
