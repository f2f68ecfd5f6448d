"""DuckDB over a folder of Parquet exports: the reporting schema as views, one per table.

A provider whose trust-and-safety data lives in a lake exports each table of the reporting schema
(data-contract §1) as Parquet — one file ``<table>.parquet`` or a folder ``<table>/`` of part files — and points
csa-report at a small DuckDB file that holds only views over them::

    csa-report db parquet-views --db duckdb:///lake.duckdb --folder /data/csa-exports
    csa-report extract --db duckdb:///lake.duckdb --period 2025 --out out/

The views hold the folder's absolute path; the Parquet files are read at every extraction, never copied.
"""

from __future__ import annotations

import logging
from pathlib import Path

from csa_report.db import connect, describe, make_engine, normalise_url, read_only_source
from csa_report.errors import ConfigError, DataError
from csa_report.source_schema import TABLE_ORDER

log = logging.getLogger(__name__)


def parquet_source(folder: Path, table: str) -> str:
    """The Parquet glob for ``table`` in ``folder``: ``<table>.parquet`` or every ``*.parquet`` under ``<table>/``."""
    single = folder / f"{table}.parquet"
    parts = folder / table
    if single.is_file():
        return str(single.resolve())
    if parts.is_dir() and any(parts.rglob("*.parquet")):
        return str(parts.resolve() / "**" / "*.parquet")
    raise DataError(
        f"Parquet folder {folder}: no {table}.parquet and no folder {table}/ of *.parquet files "
        "(one export per table of the reporting schema is needed)"
    )


def view_statements(folder: Path) -> list[str]:
    """``CREATE OR REPLACE VIEW`` for every table of the reporting schema, reading the folder's Parquet files."""
    statements = []
    for table in TABLE_ORDER:
        # A view stores its text, so the path cannot be a bound parameter: it is a quoted literal (quotes doubled,
        # DuckDB strings know no backslash escapes) and the table names are our own.
        path = parquet_source(folder, table).replace("'", "''")
        statements.append(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608
    return statements


def create_parquet_views(raw_url: str, folder: Path) -> list[str]:
    """Create (or replace) the views in the DuckDB database at ``raw_url``; returns the tables mapped."""
    url = normalise_url(raw_url)
    if url.get_backend_name() != "duckdb":
        raise ConfigError(f"parquet views need a DuckDB database URL (duckdb:///file.duckdb), got {describe(url)}")
    if not folder.is_dir():
        raise ConfigError(f"Parquet folder {folder} does not exist or is not a folder")
    statements = view_statements(folder)
    engine = make_engine(raw_url)
    try:
        with connect(engine, f"database {describe(url)}") as conn:
            for sql in statements:
                conn.exec_driver_sql(sql)
            conn.commit()
    finally:
        engine.dispose()
    log.info("database %s: %d views over the Parquet files in %s", describe(url), len(statements), folder)
    return list(TABLE_ORDER)


def export_parquet(raw_url: str, folder: Path) -> None:
    """Write every table of the reporting schema in the DuckDB database at ``raw_url`` to
    ``folder/<table>.parquet`` (the shape ``create_parquet_views`` reads; used by the tests and the benchmark)."""
    url = normalise_url(raw_url)
    if url.get_backend_name() != "duckdb":
        raise ConfigError(f"Parquet export reads a DuckDB database URL (duckdb:///file.duckdb), got {describe(url)}")
    folder.mkdir(parents=True, exist_ok=True)
    with read_only_source(raw_url, "database") as conn:
        for table in TABLE_ORDER:
            target = str((folder / f"{table}.parquet").resolve()).replace("'", "''")
            conn.exec_driver_sql(f"COPY {table} TO '{target}' (FORMAT parquet)")
