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
from typing import Any, TypeVar, cast

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

from csa_report.errors import ConfigError, DataError, UnreachableError
from csa_report.spark.url import is_spark_url

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts and first delay for connecting; the delay doubles each time (1, 2, 4 s by default).
CONNECT_ATTEMPTS = 4
CONNECT_BACKOFF_S = 1.0


def normalise_url(raw: str) -> URL:
    """Parse a database URL as a user would write it and choose our driver where none is named."""
    text = raw.strip()
    if is_spark_url(text):
        return _spark_url(text)
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
        port = url.port  # a non-numeric port only fails when read
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"database URL {redact(raw)!r} does not parse: expected e.g. sqlite:///source.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"database URL {redact(raw)!r}: port {port} is not a TCP port (1–65535)")
    backend = url.get_backend_name()
    driver = url.get_driver_name() if "+" in url.drivername else ""
    if driver in _ASYNC_DRIVERS or driver.startswith("async") or driver.startswith("aio"):
        raise ConfigError(
            f"database URL {redact(raw)!r}: the asynchronous driver {driver!r} is not supported; "
            "use postgresql:// or sqlite:///"
        )
    if backend == "postgresql" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we install
    elif backend in ("sqlite", "duckdb"):
        pass
    elif backend != "postgresql":
        raise ConfigError(
            f"database URL {redact(raw)!r}: only PostgreSQL and SQLite (and DuckDB, and Spark Connect sc://) are "
            f"supported (got {backend!r})"
        )
    return url


#: Async drivers SQLAlchemy knows by name; csa-report connects synchronously.
_ASYNC_DRIVERS = ("asyncpg", "aiosqlite", "psycopg_async", "asyncmy", "aiomysql")
_SQLITE_HEADER = b"SQLite format 3\x00"


def _spark_url(text: str) -> URL:
    """A Spark Connect URL, checked (no credentials in it), as a URL for messages: sc://host:port/database."""
    from csa_report.spark.url import SparkUrl

    spark = SparkUrl.parse(text)
    return URL.create("sc", host=spark.host, port=spark.port, database=spark.database)


def _check_sqlite_file(path: Path) -> None:
    """A source that is a folder or not an SQLite file is a configuration error, not a failed connection."""
    if path.is_dir():
        raise ConfigError(f"SQLite database {path} is a folder, not a database file")
    if path.exists():
        try:
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise ConfigError(f"SQLite database {path} cannot be read: {exc.strerror or exc}") from None
        if head and head != _SQLITE_HEADER:
            raise ConfigError(f"{path} is not an SQLite database file")


def _create(url: URL | str, **kw: Any) -> Engine:
    """create_engine, with a driver that is unknown or not installed reported as a configuration error."""
    try:
        return create_engine(url, **kw)
    except (NoSuchModuleError, ImportError) as exc:
        name = url.drivername if isinstance(url, URL) else str(url)
        raise ConfigError(
            f"database driver {name!r} is not available ({type(exc).__name__}); csa-report "
            "supports postgresql:// (psycopg 3) and sqlite:///"
        ) from None


def redact(raw: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    if is_spark_url(raw):
        from csa_report.spark.url import shown

        return shown(raw.strip())
    try:
        return make_url(raw.strip()).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a non-numeric port
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
    if url.get_backend_name() == "sc":
        raise ConfigError(
            f"{describe(url)} is a Spark Connect source: csa-report reads it (extract, check, render, run) but does "
            "not create, migrate or seed it; define the tables or views in Spark (docs/spark.md)"
        )
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if (read_only or must_exist) and path is not None and not _exists(path):
            raise DataError(f"SQLite database {path} does not exist (from {describe(url)})")
        if path is not None:
            _check_sqlite_file(path)
        if read_only and path is not None:
            uri = f"file:{path.resolve()}?mode=ro"

            def _connect() -> sqlite3.Connection:
                return sqlite3.connect(uri, uri=True, check_same_thread=False)

            return create_engine("sqlite://", creator=_connect, poolclass=NullPool)
        return _create(url, poolclass=NullPool)
    if url.get_backend_name() == "duckdb":
        return _duckdb_engine(url, read_only=read_only, must_exist=must_exist)
    options = "-c TimeZone=UTC"
    if read_only:
        options += " -c default_transaction_read_only=on"
    engine = _create(url, poolclass=NullPool, connect_args={"options": options, "connect_timeout": 10})

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.autocommit = False

    return engine


def _duckdb_engine(url: URL, *, read_only: bool, must_exist: bool) -> Engine:
    """DuckDB (optional extra ``duckdb``): a file, or views over Parquet files (csa_report.lake)."""
    try:
        import duckdb_engine  # noqa: F401 - registers the dialect
    except ImportError:
        raise ConfigError(
            f"database URL {describe(url)}: DuckDB support is not installed (pip install 'csa-report[duckdb]')"
        ) from None
    path = _sqlite_path(url)
    if (read_only or must_exist) and path is not None and not path.exists():
        raise DataError(f"DuckDB database {path} does not exist (from {describe(url)})")
    # No TimeZone setting: it needs DuckDB's ICU extension, which may not be installable offline. Without ICU,
    # DuckDB shows and compares TIMESTAMPTZ in UTC, like the other backends' sessions.
    engine = create_engine(url, poolclass=NullPool, connect_args={"read_only": read_only})
    from csa_report.lake import prepare_duckdb_connection  # lake imports this module

    # No extension download at run time; views over Parquet on S3 get their object store registered first.
    event.listen(engine, "connect", prepare_duckdb_connection)
    return engine


def with_retries(action: Callable[[], T], what: str, attempts: int = CONNECT_ATTEMPTS) -> T:
    """Run ``action``; on a connection failure retry with exponential backoff, then raise UnreachableError."""
    delay = CONNECT_BACKOFF_S
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except OperationalError as exc:
            refused = _missing_database_or_role(exc)
            if refused:
                raise ConfigError(f"{what}: {refused}") from None
            if not _is_connection_error(exc):
                raise
            last = exc
            if attempt < attempts:
                log.warning("%s unreachable (attempt %d of %d); retrying in %.0f s", what, attempt, attempts, delay)
                time.sleep(delay)
                delay *= 2
    reason = str(getattr(last, "orig", last)).strip().splitlines()[0] if last else "unknown"
    raise UnreachableError(f"{what} stayed unreachable after {attempts} attempts: {reason}")


def _missing_database_or_role(exc: DBAPIError) -> str | None:
    """The server answered and refused: a database or role that does not exist, or a failed login. Waiting
    will not change that, so it is a configuration error (exit 2), not an unreachable server (exit 3)."""
    text = " ".join(str(exc.orig).split())
    lowered = text.lower()
    for marker in ("does not exist", "authentication failed", "no pg_hba.conf entry"):
        if marker in lowered:
            start = lowered.find("fatal:")
            return text[start + 6 :].strip() if start >= 0 else text[:200]
    return None


def _is_connection_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    markers = (
        "connection refused",
        "could not connect",
        "timeout",
        "timed out",
        "unable to open database",
        "could not translate host",
        "name or service not known",
        "connection to server",
        "no route",
    )
    return any(m in text for m in markers)


@contextmanager
def connect(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection, retried while the database is unreachable."""
    conn = with_retries(engine.connect, what)
    try:
        yield conn
    finally:
        conn.close()


def _exists(path: Path) -> bool:
    """``path.exists()``, except that a name the file system cannot hold (too long, NUL) is a path that does not
    exist: the user's URL is wrong, not the tool."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


@contextmanager
def read_only_source(raw_url: str, what: str = "source database") -> Iterator[Connection]:
    """A read-only connection to the database at ``raw_url`` (retried while unreachable), its engine disposed
    afterwards: the one way extraction, checks, the report's series and the tools open the source."""
    if is_spark_url(raw_url):
        # Glue until the callers take a statement runner: a Spark session in a Connection's shape.
        from csa_report.spark.connection import spark_connection

        with spark_connection(raw_url, what) as spark:
            yield cast(Connection, spark)
        return
    url = normalise_url(raw_url)
    engine = make_engine(raw_url, read_only=True)
    try:
        with connect(engine, f"{what} {describe(url)}") as conn:
            yield conn
    finally:
        engine.dispose()


def require_tables(conn: Connection, columns: dict[str, tuple[str, ...]]) -> None:
    """Raise DataError naming the first missing table or column of the reporting schema."""
    if conn.dialect.name == "spark":
        cast(Any, conn).require_tables(columns)  # csa_report.spark.connection
        return
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
    rows = conn.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_catalog = current_database()"
        )
    )
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), set()).add(str(column))
    return out
