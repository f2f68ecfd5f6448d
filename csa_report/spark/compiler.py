"""SQLAlchemy statements as Spark SQL text with named parameters (``:name``), without an engine.

The extraction, the checks and the report's series build SQLAlchemy Core statements; for Spark they are compiled
here and sent as ``spark.sql(text, args=params)``: every value stays a bound parameter, Spark substitutes it as a
typed literal. No SQLAlchemy dialect for Spark Connect exists (PyHive's speaks HiveServer2), and none is needed:
only the compiler is used, never a DB-API connection.

What differs from the generic compiler, once:

* identifiers are quoted with backticks (Spark reads ``"x"`` as a string), every one of them, so no Spark
  keyword (``items``, ``day``) ever needs a list;
* types are Spark's names (``STRING``, ``BIGINT``, ``TIMESTAMP``);
* ``/`` is always true division in Spark, so ``//`` becomes ``FLOOR(a / b)``;
* a CTE's ``MATERIALIZED`` hint (PostgreSQL) is dropped: Spark has no such keyword, it decides reuse itself;
* naive datetimes (csa-report's instants are naive UTC) are sent as UTC-aware values, because the Spark client
  reads a naive one in the client machine's local time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import default
from sqlalchemy.sql import compiler
from sqlalchemy.sql.expression import ClauseElement

#: Prefixes of other backends that Spark's grammar does not have.
_DROPPED_PREFIXES = frozenset({"MATERIALIZED", "NOT MATERIALIZED"})


class SparkTypeCompiler(compiler.GenericTypeCompiler):
    """Spark SQL's type names for the casts csa-report writes."""

    def visit_TEXT(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    def visit_VARCHAR(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    def visit_text(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:
        return "INT"

    def visit_BIGINT(self, type_: Any, **kw: Any) -> str:
        return "BIGINT"

    def visit_DATETIME(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMP"

    def visit_TIMESTAMP(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMP"

    def visit_BOOLEAN(self, type_: Any, **kw: Any) -> str:
        return "BOOLEAN"

    def visit_FLOAT(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    def visit_DOUBLE(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    def visit_NUMERIC(self, type_: Any, **kw: Any) -> str:
        # Spark's DECIMAL without precision is DECIMAL(10,0): never what a cast of ours means.
        precision = getattr(type_, "precision", None) or 38
        scale = getattr(type_, "scale", None) or 0
        return f"DECIMAL({precision},{scale})"


class SparkCompiler(compiler.SQLCompiler):
    def _generate_prefixes(self, stmt: Any, prefixes: Any, **kw: Any) -> str:
        kept = [(p, d) for p, d in prefixes if str(getattr(p, "text", p)).strip().upper() not in _DROPPED_PREFIXES]
        return str(super()._generate_prefixes(stmt, kept, **kw))  # type: ignore[no-untyped-call]


class SparkIdentifierPreparer(compiler.IdentifierPreparer):
    def __init__(self, dialect: default.DefaultDialect) -> None:
        super().__init__(dialect, initial_quote="`", escape_quote="`")

    def _requires_quotes(self, value: str) -> bool:
        return True


class SparkSqlDialect(default.DefaultDialect):
    """Compilation only: Spark SQL text, ``:name`` parameters."""

    name = "spark"
    paramstyle = "named"
    positional = False
    supports_native_boolean = True
    div_is_floordiv = False
    statement_compiler = SparkCompiler
    type_compiler_cls = SparkTypeCompiler
    preparer = SparkIdentifierPreparer  # type: ignore[assignment]


_DIALECT = SparkSqlDialect()


def to_spark_sql(statement: ClauseElement) -> tuple[str, dict[str, Any]]:
    """The statement's Spark SQL text and its named parameters (lists in ``IN`` expanded to one each)."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return str(compiled), spark_args(compiled.params)


def spark_args(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as Spark should read them: naive datetimes are UTC."""
    return {
        k: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v) for k, v in params.items()
    }
