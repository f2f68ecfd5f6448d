"""PostgreSQL through psycopg 3: sessions in UTC, read-only at the server, one exported snapshot shared by the
extraction's connections, and the hash-aggregate tuning docs/benchmarks.md measured."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool

from csa_report.sources.base import Loader, SessionTuning, SourceBackend, create, inspected_columns, parse_url
from csa_report.sql_dialect import PostgresDialect, SqlDialect

#: Grouping by account or item is a hash aggregate over millions of keys. PostgreSQL underestimates its
#: memory and sorts instead (text sorts under the locale's collation are slow): give the hash room.
WORK_MEM: Final = "256MB"


def snapshot_id(value: Any) -> str:
    """The exported snapshot id, checked to be what PostgreSQL hands out (hex digits and dashes)."""
    text = str(value)
    if not text or any(ch not in "0123456789ABCDEFabcdef-" for ch in text):
        raise ValueError(f"unexpected snapshot id from pg_export_snapshot(): {text!r}")
    return text


class PostgresBackend(SourceBackend):
    name: ClassVar[str] = "postgresql"
    schemes: ClassVar[tuple[str, ...]] = ("postgresql", "postgres")
    dialect_names: ClassVar[tuple[str, ...]] = ("postgresql",)
    snapshot_isolation: ClassVar[str | None] = "REPEATABLE READ"
    shares_snapshots: ClassVar[bool] = True

    def parse(self, raw: str) -> URL:
        text = raw.strip()
        if text.startswith("postgres://"):
            text = "postgresql://" + text[len("postgres://") :]
        url = parse_url(text, raw)
        if "+" not in url.drivername:
            url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we install
        return url

    def engine(self, url: URL, *, read_only: bool, must_exist: bool) -> Engine:
        options = "-c TimeZone=UTC"
        if read_only:
            options += " -c default_transaction_read_only=on"
        engine = create(url, poolclass=NullPool, connect_args={"options": options, "connect_timeout": 10})

        @event.listens_for(engine, "connect")
        def _no_autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.autocommit = False

        return engine

    def apply_session(self, conn: Connection, tuning: SessionTuning) -> None:
        # LOCAL: only this read-only transaction; the values are our own, validated ints and fixed words.
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        conn.exec_driver_sql("SET LOCAL enable_sort = off")  # prefer the hash (see WORK_MEM)
        conn.exec_driver_sql(f"SET LOCAL jit = {'on' if tuning.jit else 'off'}")
        conn.exec_driver_sql(f"SET LOCAL max_parallel_workers_per_gather = {int(tuning.parallel_workers)}")

    def share_snapshot(self, conn: Connection) -> Callable[[Connection], None]:
        snapshot = snapshot_id(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())

        def adopt(other: Connection) -> None:
            # Must come first in the transaction: every connection then reads the same snapshot.
            other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")

        return adopt

    def table_columns(self, conn: Connection) -> dict[str, set[str]]:
        return inspected_columns(conn)

    def sql(self) -> SqlDialect:
        return PostgresDialect()

    @contextmanager
    def loader(self, engine: Engine) -> Iterator[Loader]:
        from csa_report.sources.loaders import PostgresLoader

        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            yield PostgresLoader(driver)
        finally:
            raw.close()
