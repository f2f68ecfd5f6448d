"""Spark SQL through Spark Connect (``sc://``, optional extra ``spark``; csa_report.spark holds the client side).

Spark is read, never created, migrated or seeded by csa-report: ``seed`` writes a DuckDB file or Parquet, which
csa_report.spark.tables registers as Spark tables. No information schema: the catalogue and the declared types
come from the Spark catalog. Stored values take DuckDB's forms (floor() keeps an integer's type, a double sum
never overflows).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, cast

from sqlalchemy import Double, func
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.sql.elements import ColumnElement

from csa_report.errors import ConfigError
from csa_report.sources.base import SourceBackend
from csa_report.sql_dialect import SqlDialect


class SparkBackend(SourceBackend):
    name: ClassVar[str] = "spark"
    schemes: ClassVar[tuple[str, ...]] = ("sc",)
    # csa_report.spark.connection answers ``dialect.name`` with this.
    dialect_names: ClassVar[tuple[str, ...]] = ("spark",)

    def parse(self, raw: str) -> URL:
        """Checked (no credentials in it), as a URL for messages: sc://host:port/database."""
        from csa_report.spark.url import SparkUrl

        spark = SparkUrl.parse(raw.strip())
        return URL.create("sc", host=spark.host, port=spark.port, database=spark.database)

    def redact(self, raw: str) -> str:
        from csa_report.spark.url import shown

        return shown(raw.strip())

    def engine(self, url: URL, *, read_only: bool, must_exist: bool) -> Engine:
        raise ConfigError(
            f"{url.render_as_string()} is a Spark Connect source: csa-report reads it (extract, check, render, run) "
            "but does not create, migrate or seed it; define the tables or views in Spark (docs/spark.md)"
        )

    @contextmanager
    def read_only(self, raw_url: str, url: URL, what: str) -> Iterator[Connection]:
        # Glue until the callers take a statement runner: a Spark session in a Connection's shape.
        from csa_report.spark.connection import spark_connection

        with spark_connection(raw_url, what) as spark:
            yield cast(Connection, spark)

    def require_tables(self, conn: Connection, columns: Mapping[str, Sequence[str]]) -> None:
        cast(Any, conn).require_tables(columns)  # csa_report.spark.connection: missing table or column, exit 2

    def declared_types(self, conn: Connection, tables: Sequence[str]) -> dict[tuple[str, str], str]:
        declared: dict[tuple[str, str], str] = cast(Any, conn).declared_types(tables)
        return declared

    def not_integer(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        return col != func.floor(col)

    def unbounded_total(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.sum(func.cast(col, Double))

    def sql(self) -> SqlDialect:
        from csa_report.spark.dialect import SparkDialect

        return SparkDialect()
