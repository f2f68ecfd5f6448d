"""Database URLs and engines: how csa-report connects to the source (read-only) and writable databases.

URLs are accepted as users copy them: ``postgresql://user@host/db`` works without naming a driver (we pick
psycopg 3), ``postgres://`` is understood, and ``sqlite:///file.db`` is a file relative to the working directory.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from csa_report.errors import ConfigError, DataError, UnreachableError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts and first delay for connecting; the delay doubles each time (1, 2, 4 s by default).
CONNECT_ATTEMPTS = 4
CONNECT_BACKOFF_S = 1.0


def normalise_url(raw: str) -> URL:
    """Parse a database URL as a user would write it and choose our driver where none is named."""
    text = raw.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f"database URL {redact(raw)!r} does not parse: expected e.g. sqlite:///source.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we install
    elif backend in ("sqlite", "duckdb"):
        pass
    elif backend != "postgresql":
        raise ConfigError(
            f"database URL {redact(raw)!r}: only PostgreSQL and SQLite (and DuckDB) are supported (got {backend!r})"
        )
    return url


def redact(raw: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    try:
        return make_url(raw.strip()).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def describe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_path(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(raw_url: str, *, read_only: bool = False, must_exist: bool = False) -> Engine:
    """An engine whose sessions use UTC; ``read_only`` makes every transaction read-only at the server."""
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if (read_only or must_exist) and path is not None and not path.exists():
            raise DataError(f"SQLite database {path} does not exist (from {describe(url)})")
        if read_only and path is not None:
            uri = f"file:{path.resolve()}?mode=ro"

            def _connect() -> sqlite3.Connection:
                return sqlite3.connect(uri, uri=True, check_same_thread=False)

            return create_engine("sqlite://", creator=_connect, poolclass=NullPool)
        return create_engine(url, poolclass=NullPool)
    if url.get_backend_name() == "duckdb":
        return _duckdb_engine(url, read_only=read_only, must_exist=must_exist)
    options = "-c TimeZone=UTC"
    if read_only:
        options += " -c default_transaction_read_only=on"
    engine = create_engine(url, poolclass=NullPool, connect_args={"options": options, "connect_timeout": 10})

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.autocommit = False

    return engine


def _duckdb_engine(url: URL, *, read_only: bool, must_exist: bool) -> Engine:
    """DuckDB (optional extra ``duckdb``): a file, or views over Parquet files (csa_report.lake)."""
    try:
        import duckdb_engine  # noqa: F401 - registers the dialect
    except ImportError:
        raise ConfigError(f"database URL {describe(url)}: DuckDB support is not installed "
                          "(pip install 'csa-report[duckdb]')") from None
    path = _sqlite_path(url)
    if (read_only or must_exist) and path is not None and not path.exists():
        raise DataError(f"DuckDB database {path} does not exist (from {describe(url)})")
    # No TimeZone setting: it needs DuckDB's ICU extension, which may not be installable offline. Without ICU,
    # DuckDB shows and compares TIMESTAMPTZ in UTC, like the other backends' sessions.
    return create_engine(url, poolclass=NullPool, connect_args={"read_only": read_only})


def with_retries(action: Callable[[], T], what: str, attempts: int = CONNECT_ATTEMPTS) -> T:
    """Run ``action``; on a connection failure retry with exponential backoff, then raise UnreachableError."""
    delay = CONNECT_BACKOFF_S
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except OperationalError as exc:
            if not _is_connection_error(exc):
                raise
            last = exc
            if attempt < attempts:
                log.warning("%s unreachable (attempt %d of %d); retrying in %.0f s", what, attempt, attempts, delay)
                time.sleep(delay)
                delay *= 2
    reason = str(getattr(last, "orig", last)).strip().splitlines()[0] if last else "unknown"
    raise UnreachableError(f"{what} stayed unreachable after {attempts} attempts: {reason}")


def _is_connection_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    markers = ("connection refused", "could not connect", "timeout", "timed out", "unable to open database",
               "could not translate host", "name or service not known", "connection to server", "no route")
    return any(m in text for m in markers)


@contextmanager
def connect(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection, retried while the database is unreachable."""
    conn = with_retries(engine.connect, what)
    try:
        yield conn
    finally:
        conn.close()


def require_tables(conn: Connection, columns: dict[str, tuple[str, ...]]) -> None:
    """Raise DataError naming the first missing table or column of the reporting schema."""
    columns_of: Callable[[str], set[str]]
    if conn.dialect.name == "duckdb":
        catalog = _duckdb_columns(conn)
        present = set(catalog)
        columns_of = catalog.__getitem__
    else:
        insp = inspect(conn)
        present = set(insp.get_table_names()) | set(insp.get_view_names())

        def columns_of(table: str) -> set[str]:
            return {c["name"] for c in insp.get_columns(table)}

    for table, wanted in columns.items():
        if table not in present:
            raise DataError(
                f"source database: table {table!r} is missing (the reporting schema of data-contract §1 needs it; "
                "create it with `csa-report db upgrade --db URL` or map it with a view)"
            )
        have = columns_of(table)
        missing = [c for c in wanted if c not in have]
        if missing:
            raise DataError(f"source database: table {table!r} has no column {missing[0]!r} (data-contract §1)")


def _duckdb_columns(conn: Connection) -> dict[str, set[str]]:
    """Tables and views of the current schema with their columns, from DuckDB's information schema (the
    SQLAlchemy inspector of duckdb-engine runs PostgreSQL catalog queries that DuckDB does not answer)."""
    rows = conn.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_catalog = current_database()"))
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), set()).add(str(column))
    return out
