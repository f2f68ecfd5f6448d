"""Bulk loading of generated chunks: COPY on PostgreSQL and DuckDB, large executemany transactions on SQLite.

Only the seeding connection is tuned (SQLite journal and sync off): a failed seed leaves a database to delete,
which is acceptable for synthetic data and makes loading several times faster.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import inspect, text

from csa_report.db import connect, describe, make_engine, normalise_url
from csa_report.errors import DataError, InputError
from csa_report.migrate import upgrade
from csa_report.seed.rows import COLUMNS, ID_TABLES, TIMESTAMP_COLUMNS, Batch
from csa_report.source_schema import TABLE_ORDER


class Loader(Protocol):
    def write(self, batch: Batch) -> None: ...

    def finish(self) -> None: ...


def prepare(raw_url: str) -> None:
    """Create the reporting schema when it is absent; refuse a database that already holds rows."""
    engine = make_engine(raw_url)
    where = f"database {describe(normalise_url(raw_url))}"
    try:
        with connect(engine, where) as conn:
            present = set(inspect(conn).get_table_names())
        missing = [t for t in TABLE_ORDER if t not in present]
        if missing and len(missing) < len(TABLE_ORDER):
            raise DataError(
                f"{where} has only part of the reporting schema (missing {', '.join(missing)}); "
                "seed into an empty database"
            )
        if missing:
            upgrade(raw_url, "source")
        with connect(engine, where) as conn:
            filled = [t for t in TABLE_ORDER if conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None]  # noqa: S608 - fixed table names
        if filled:
            raise InputError(f"{where} is not empty (table {filled[0]} holds rows): seed into an empty database")
    finally:
        engine.dispose()


@contextmanager
def open_loader(raw_url: str) -> Iterator[Loader]:
    """A loader on one writable connection; rows become visible when ``finish`` commits."""
    engine = make_engine(raw_url)
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        backend = normalise_url(raw_url).get_backend_name()
        if backend == "sqlite":
            yield SqliteLoader(driver)
        elif backend == "duckdb":
            loader = DuckdbLoader(driver)
            try:
                yield loader
            finally:
                loader.close()
        else:
            yield PostgresLoader(driver)
    finally:
        raw.close()
        engine.dispose()


def _insert_sql(table: str) -> str:
    # SQLAlchemy stores SQLite DATETIME as 'YYYY-MM-DD HH:MM:SS.ffffff'; append the fraction in SQL (NULL stays
    # NULL) so our rows compare as text exactly like rows SQLAlchemy writes and binds.
    marks = ", ".join("? || '.000000'" if c in TIMESTAMP_COLUMNS else "?" for c in COLUMNS[table])
    return f"INSERT INTO {table} ({', '.join(COLUMNS[table])}) VALUES ({marks})"  # noqa: S608 - fixed names


class SqliteLoader:
    #: Commit after this many rows: large transactions, but a bounded amount of dirty pages.
    COMMIT_EVERY = 2_000_000

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: keeps the primary-key indexes hot
        self._sql = {t: _insert_sql(t) for t in TABLE_ORDER}
        self._uncommitted = 0

    def write(self, batch: Batch) -> None:
        for table in TABLE_ORDER:
            rows = batch[table]
            if rows:
                self.conn.executemany(self._sql[table], rows)
                self._uncommitted += len(rows)
        if self._uncommitted >= self.COMMIT_EVERY:
            self.conn.commit()
            self._uncommitted = 0

    def finish(self) -> None:
        self.conn.commit()


class DuckdbLoader:
    """DuckDB's bulk path is COPY from a file: each chunk goes through a temporary CSV per table (executemany
    would be row by row). One transaction: a failure leaves the database empty."""

    NULL = "\\N"

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._dir = tempfile.TemporaryDirectory(prefix="csa-seed-")
        self._csv = Path(self._dir.name) / "chunk.csv"
        conn.execute("BEGIN TRANSACTION")

    def write(self, batch: Batch) -> None:
        for table in TABLE_ORDER:
            rows = batch[table]
            if not rows:
                continue
            with self._csv.open("w", encoding="utf-8", newline="") as f:
                out = csv.writer(f)
                out.writerows(tuple(self.NULL if v is None else v for v in row) for row in rows)
            path = str(self._csv).replace("'", "''")
            self.conn.execute(
                f"COPY {table} ({', '.join(COLUMNS[table])}) FROM '{path}' "  # fixed names, our own file
                f"(FORMAT csv, HEADER false, NULLSTR '{self.NULL}')"
            )

    def finish(self) -> None:
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self._dir.cleanup()


class PostgresLoader:
    """COPY in one transaction: a failure leaves the database empty."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._skip_fk_triggers()
        self._sql = {t: f"COPY {t} ({', '.join(COLUMNS[t])}) FROM STDIN" for t in TABLE_ORDER}

    def write(self, batch: Batch) -> None:
        with self.conn.cursor() as cur:
            for table in TABLE_ORDER:
                rows = batch[table]
                if not rows:
                    continue
                with cur.copy(self._sql[table]) as copy:
                    for row in rows:
                        copy.write_row(row)

    def _skip_fk_triggers(self) -> None:
        """Skip the per-row foreign-key triggers while copying, when the role may (superuser or owner of
        the setting): that halves the load time. The generator only writes children after their parents, and
        the seed tests check every reference with joins, so nothing is lost."""
        try:
            self.conn.execute("SET session_replication_role = replica")
            self.conn.commit()
        except psycopg.errors.InsufficientPrivilege:
            self.conn.rollback()

    def finish(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute("RESET session_replication_role")
            # Ids were assigned by the generator: move the id sequences past them for later inserts.
            for table in ID_TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "  # noqa: S608
                    "HAVING max(id) IS NOT NULL"
                )
            self.conn.commit()
            for table in TABLE_ORDER:
                cur.execute(f"ANALYZE {table}")
            self.conn.commit()
