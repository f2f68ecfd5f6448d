"""The source backends csa-report reads: one class per engine (:mod:`.sqlite`, :mod:`.postgresql`,
:mod:`.duckdb`, :mod:`.spark`), chosen here and nowhere else. Only this package knows backend names; the rest
of csa-report asks the backend of a URL (:func:`backend_for`) or of a connection (:func:`backend_of`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import URL

from csa_report.errors import ConfigError
from csa_report.sources.base import Loader, SourceBackend, parse_url, redact_raw
from csa_report.sources.duckdb import DuckdbBackend
from csa_report.sources.postgresql import PostgresBackend
from csa_report.sources.spark import SparkBackend
from csa_report.sources.sqlite import SqliteBackend
from csa_report.sql_dialect import SqlDialect

__all__ = ["BACKENDS", "Loader", "SourceBackend", "backend_for", "backend_of", "sql_of"]

BACKENDS: Final[tuple[SourceBackend, ...]] = (PostgresBackend(), SqliteBackend(), DuckdbBackend(), SparkBackend())
_BY_DIALECT: Final = {name: b for b in BACKENDS for name in b.dialect_names}


def backend_for(url: str | URL) -> SourceBackend:
    """The backend of a database URL (as written or parsed); ConfigError naming the supported ones otherwise."""
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    for backend in BACKENDS:
        if backend.accepts(raw):
            return backend
    parsed = parse_url(raw.strip(), raw)  # a URL that does not parse is told so first
    raise ConfigError(
        f"database URL {redact_raw(raw)!r}: only PostgreSQL and SQLite (and DuckDB, and Spark Connect sc://) are "
        f"supported (got {parsed.get_backend_name()!r})"
    )


def backend_of(conn: Connection) -> SourceBackend:
    """The backend of an open connection (by its SQLAlchemy dialect); PostgreSQL's forms for one we do not know."""
    return _BY_DIALECT.get(conn.dialect.name, BACKENDS[0])


def sql_of(conn: Connection) -> SqlDialect:
    """The SQL expression forms of the connection's backend (csa_report.sql_dialect)."""
    return backend_of(conn).sql()
