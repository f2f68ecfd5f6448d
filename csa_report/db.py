"""Database URLs and engines: how csa-report connects to the source (read-only) and writable databases.

URLs are accepted as users copy them: ``postgresql://user@host/db`` works without naming a driver (we pick
psycopg 3), ``postgres://`` is understood, and ``sqlite:///file.db`` is a file relative to the working directory.
What differs between engines is each backend's (csa_report.sources); here are the retry schedule and the doors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from csa_report.errors import ConfigError, UnreachableError
from csa_report.sources import backend_for, backend_of
from csa_report.sources.base import describe as describe
from csa_report.sources.base import redact_raw

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts and first delay for connecting; the delay doubles each time (1, 2, 4 s by default).
CONNECT_ATTEMPTS = 4
CONNECT_BACKOFF_S = 1.0


def normalise_url(raw: str) -> URL:
    """Parse a database URL as a user would write it, checked by its backend, our driver chosen where none is
    named (csa_report.sources)."""
    url = backend_for(raw).parse(raw)
    driver = url.get_driver_name() if "+" in url.drivername else ""
    if driver in _ASYNC_DRIVERS or driver.startswith("async") or driver.startswith("aio"):
        raise ConfigError(
            f"database URL {redact(raw)!r}: the asynchronous driver {driver!r} is not supported; "
            "use postgresql:// or sqlite:///"
        )
    return url


#: Async drivers SQLAlchemy knows by name; csa-report connects synchronously.
_ASYNC_DRIVERS = ("asyncpg", "aiosqlite", "psycopg_async", "asyncmy", "aiomysql")


def redact(raw: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    try:
        backend = backend_for(raw)
    except ConfigError:
        return redact_raw(raw)
    return backend.redact(raw)


def make_engine(raw_url: str, *, read_only: bool = False, must_exist: bool = False) -> Engine:
    """An engine whose sessions use UTC; ``read_only`` makes every transaction read-only at the server."""
    url = normalise_url(raw_url)
    return backend_for(raw_url).engine(url, read_only=read_only, must_exist=must_exist)


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


@contextmanager
def read_only_source(raw_url: str, what: str = "source database") -> Iterator[Connection]:
    """A read-only connection to the database at ``raw_url`` (retried while unreachable), its engine disposed
    afterwards: the one way extraction, checks, the report's series and the tools open the source."""
    url = normalise_url(raw_url)
    with backend_for(raw_url).read_only(raw_url, url, what) as conn:
        yield conn


def require_tables(conn: Connection, columns: dict[str, tuple[str, ...]]) -> None:
    """Raise DataError naming the first missing table or column of the reporting schema."""
    backend_of(conn).require_tables(conn, columns)
