"""The bulk loaders ``seed`` writes with, one per backend that can be seeded (csa_report.sources.*.loader):
COPY on PostgreSQL and DuckDB, large executemany transactions on SQLite.

Only the seeding connection is tuned (SQLite journal and sync off): a failed seed leaves a database to delete,
which is acceptable for synthetic data and makes loading several times faster.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from csa_report.seed.rows import COLUMNS, ID_TABLES, TIMESTAMP_COLUMNS, Batch
from csa_report.source_schema import TABLE_ORDER


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
