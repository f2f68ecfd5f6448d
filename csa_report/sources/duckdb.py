"""DuckDB (optional extra ``duckdb``): a file, or views over Parquet files (csa_report.lake)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import Double, create_engine, event, func
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement

from csa_report.errors import ConfigError, DataError
from csa_report.sources.base import Loader, SessionTuning, SourceBackend, describe
from csa_report.sources.sqlite import file_path
from csa_report.sql_dialect import DuckDBDialect, SqlDialect


class DuckdbBackend(SourceBackend):
    name: ClassVar[str] = "duckdb"
    schemes: ClassVar[tuple[str, ...]] = ("duckdb",)
    dialect_names: ClassVar[tuple[str, ...]] = ("duckdb",)
    # No snapshot isolation to ask for: one connection, and DuckDB spreads one statement over all its threads.

    def prepare_location(self, url: URL) -> None:
        path = file_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def engine(self, url: URL, *, read_only: bool, must_exist: bool) -> Engine:
        try:
            import duckdb_engine  # noqa: F401 - registers the dialect
        except ImportError:
            raise ConfigError(
                f"database URL {describe(url)}: DuckDB support is not installed (pip install 'csa-report[duckdb]')"
            ) from None
        path = file_path(url)
        if (read_only or must_exist) and path is not None and not path.exists():
            raise DataError(f"DuckDB database {path} does not exist (from {describe(url)})")
        # No TimeZone setting: it needs DuckDB's ICU extension, which may not be installable offline. Without ICU,
        # DuckDB shows and compares TIMESTAMPTZ in UTC, like the other backends' sessions.
        engine = create_engine(url, poolclass=NullPool, connect_args={"read_only": read_only})
        from csa_report.lake import prepare_duckdb_connection  # lake imports the sources

        # No extension download at run time; views over Parquet on S3 get their object store registered first.
        event.listen(engine, "connect", prepare_duckdb_connection)
        return engine

    # The SQLAlchemy inspector of duckdb-engine runs PostgreSQL catalog queries DuckDB does not answer: the base
    # class's information-schema catalogue is what DuckDB answers.

    def not_integer(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        # DuckDB's NUMERIC is DECIMAL(18,3): a petabyte of bytes in one row would not fit the cast. floor() keeps
        # an integer column's type and a fraction of a floating one.
        return col != func.floor(col)

    def unbounded_total(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        # Near 2^63 a double is close enough: the limit is what matters, not the last digit.
        return func.sum(func.cast(col, Double))

    def sql(self) -> SqlDialect:
        return DuckDBDialect()

    def apply_session(self, conn: Connection, tuning: SessionTuning) -> None:
        # DuckDB takes up to 80 % of RAM by default (2.5 GB at 10 M detections over Parquet); a limit makes its hash
        # aggregates spill to the temporary folder instead (an int from the settings, so no quoting to escape).
        if tuning.duckdb_memory_mb is not None:
            conn.exec_driver_sql(f"SET memory_limit = '{int(tuning.duckdb_memory_mb)}MiB'")

    @contextmanager
    def loader(self, engine: Engine) -> Iterator[Loader]:
        from csa_report.sources.loaders import DuckdbLoader

        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            loader = DuckdbLoader(driver)
            try:
                yield loader
            finally:
                loader.close()
        finally:
            raw.close()
