"""Loading generated chunks into an empty reporting schema, with the backend's bulk loader
(csa_report.sources.loaders: COPY on PostgreSQL and DuckDB, large executemany transactions on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect, text

from csa_report.db import connect, describe, make_engine, normalise_url
from csa_report.errors import DataError, InputError
from csa_report.migrate import upgrade
from csa_report.source_schema import TABLE_ORDER
from csa_report.sources import Loader, backend_for

__all__ = ["Loader", "open_loader", "prepare"]


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
    try:
        with backend_for(raw_url).loader(engine) as loader:
            yield loader
    finally:
        engine.dispose()
