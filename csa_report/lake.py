"""DuckDB over Parquet exports, in a local folder or on S3-compatible storage: the reporting schema as views.

A provider whose trust-and-safety data lives in a lake exports each table of the reporting schema
(data-contract §1) as Parquet — one file ``<table>.parquet`` or a folder ``<table>/`` of part files, Hive-style
partition folders (``<table>/year=2025/part-0.parquet``) included — and points csa-report at a small DuckDB
file that holds only views over them::

    csa-report db parquet-views --db duckdb:///lake.duckdb --folder /data/csa-exports
    csa-report db parquet-views --db duckdb:///lake.duckdb --folder s3://exports/csa
    csa-report extract --db duckdb:///lake.duckdb --period 2025 --out out/

The views hold the folder's absolute path or the ``s3://`` URL; the Parquet files are read in place at every
extraction, never copied. On S3 DuckDB reads through an fsspec file system (s3fs, the optional extra ``lake``)
registered on each connection: DuckDB's own ``httpfs`` extension would be downloaded at run time, so automatic
extension installs are switched off. The store's endpoint and region (no secret) are kept in the DuckDB file in
``csa_report_object_store``; the credentials come from the S3 settings the entry point bound
(:func:`object_store_settings`) or boto3's chain when a connection opens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from csa_report.db import connect, describe, make_engine, normalise_url, read_only_source
from csa_report.errors import ConfigError, DataError, UnreachableError
from csa_report.settings import S3Settings
from csa_report.source_schema import TABLE_ORDER

if TYPE_CHECKING:
    from s3fs import S3FileSystem

log = logging.getLogger(__name__)

#: The table in a views file that records where its ``s3://`` views point (endpoint and region, never a key).
STORE_TABLE = "csa_report_object_store"
_SCHEMES = ("s3://", "s3a://")


def is_object_store(folder: str | Path) -> bool:
    return isinstance(folder, str) and folder.lower().startswith(_SCHEMES)


@dataclass(frozen=True)
class StoreLocation:
    """``s3://bucket/prefix`` taken apart; the prefix has no leading or trailing slash."""

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


def parse_store_url(text: str) -> StoreLocation:
    """The bucket and prefix of an ``s3://`` folder. A URL that carries credentials is refused: keys come from
    the settings or boto3's chain, and a key in a URL ends up in shell histories, logs and the views file."""
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError(
            "the Parquet folder URL holds credentials: give only s3://bucket/prefix and set the keys in the "
            "settings (CSA_S3_ACCESS_KEY, CSA_S3_SECRET_KEY) or boto3's chain (profile, role)"
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"the Parquet folder URL {parts.scheme}://{parts.netloc}{parts.path} takes no ?query or #part"
        )
    if not parts.netloc:
        raise ConfigError(f"the Parquet folder URL {text!r} names no bucket (s3://bucket/prefix)")
    return StoreLocation(parts.netloc, parts.path.strip("/"))


@dataclass(frozen=True)
class ObjectStore:
    """Where the exports are served: the endpoint (None: AWS) and region, as recorded in the views file."""

    endpoint: str | None
    region: str
    location: StoreLocation


def _credentials(s3: S3Settings) -> dict[str, Any]:
    if s3.s3_access_key and s3.s3_secret_key:
        return {"key": s3.s3_access_key.get_secret_value(), "secret": s3.s3_secret_key.get_secret_value()}
    from csa_report.credentials import aws_session

    session = aws_session(s3)
    found = session.get_credentials() if session is not None else None
    if found is not None:
        frozen = found.get_frozen_credentials()
        return {"key": frozen.access_key, "secret": frozen.secret_key, "token": frozen.token}
    return {}  # boto3's standard chain: environment, profile, web identity, task or instance role


def s3_filesystem(store: ObjectStore, s3: S3Settings) -> S3FileSystem:
    """An s3fs file system for ``store``: botocore's standard retries (``s3_max_attempts`` in all) and no cache
    of listings, so an extraction sees the objects as they are when it runs."""
    try:
        from s3fs import S3FileSystem
    except ImportError:
        raise ConfigError("Parquet on S3 needs s3fs: pip install 'csa-report[lake]'") from None
    fs = S3FileSystem(
        endpoint_url=store.endpoint,
        client_kwargs={"region_name": store.region},
        config_kwargs={
            "retries": {"mode": "standard", "max_attempts": s3.s3_max_attempts},
            "connect_timeout": 5,
            "read_timeout": 60,
            # Path-style for S3-compatible servers (SeaweedFS, MinIO), as the rest of csa-report does.
            "s3": {"addressing_style": "path" if store.endpoint else "virtual"},
        },
        skip_instance_cache=True,
        use_listings_cache=False,
        **_credentials(s3),
    )
    fs.retries = 1  # botocore already retried: s3fs's own loop (5 by default) would multiply the schedule
    return fs


def _store_failures() -> tuple[type[BaseException], ...]:
    """What s3fs raises when the store does not answer or refuses: OSError subclasses (its translation of S3
    errors), botocore's connection errors, aiohttp's and asyncio's timeouts."""
    import asyncio

    from aiohttp import ClientError as HttpClientError
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, BotoCoreError, ClientError, HttpClientError, asyncio.TimeoutError)


def _store_error(exc: BaseException, where: str, attempts: int) -> Exception:
    if isinstance(exc, PermissionError):
        return ConfigError(f"{where} was refused: check s3_access_key / s3_secret_key and the bucket policy")
    if isinstance(exc, FileNotFoundError):
        return ConfigError(f"{where}: the bucket does not exist")
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return UnreachableError(f"{where} stayed unreachable after {attempts} attempts: {first}")


def list_objects(fs: S3FileSystem, loc: StoreLocation, attempts: int) -> list[str]:
    """Every object key under the prefix (one recursive listing), or the error that says why not."""
    where = f"object store {fs.endpoint_url or 'AWS S3'} ({loc.url})"
    try:
        found = fs.find(f"{loc.bucket}/{loc.prefix}".rstrip("/"))
    except _store_failures() as exc:
        raise _store_error(exc, where, attempts) from None
    return [str(key).split("/", 1)[1] if "/" in str(key) else "" for key in found]


def store_source(keys: list[str], loc: StoreLocation, table: str) -> str:
    """The ``s3://`` glob for ``table``: ``<table>.parquet`` or every ``*.parquet`` under ``<table>/``."""
    single, parts = loc.key(f"{table}.parquet"), loc.key(f"{table}/")
    if single in keys:
        return f"s3://{loc.bucket}/{single}"
    if any(k.startswith(parts) and k.endswith(".parquet") for k in keys):
        return f"s3://{loc.bucket}/{parts}**/*.parquet"
    raise DataError(
        f"Parquet folder {loc.url}: no {table}.parquet and no folder {table}/ of *.parquet files "
        "(one export per table of the reporting schema is needed)"
    )


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


def _view(table: str, source: str) -> str:
    # A view stores its text, so the path cannot be a bound parameter: it is a quoted literal (quotes doubled,
    # DuckDB strings know no backslash escapes) and the table names are our own.
    path = source.replace("'", "''")
    return f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{path}')"  # noqa: S608


def view_statements(folder: Path) -> list[str]:
    """``CREATE OR REPLACE VIEW`` for every table of the reporting schema, reading the folder's Parquet files."""
    return [_view(table, parquet_source(folder, table)) for table in TABLE_ORDER]


def _duckdb_url(raw_url: str) -> str:
    url = normalise_url(raw_url)
    if url.get_backend_name() != "duckdb":
        raise ConfigError(f"parquet views need a DuckDB database URL (duckdb:///file.duckdb), got {describe(url)}")
    return describe(url)


def create_parquet_views(raw_url: str, folder: Path | str, s3: S3Settings | None = None) -> list[str]:
    """Create (or replace) the views in the DuckDB database at ``raw_url`` over a local folder or an ``s3://``
    prefix (``s3``: the object store's settings, needed for an ``s3://`` folder); returns the tables mapped."""
    where = _duckdb_url(raw_url)
    if is_object_store(folder):
        return _create_store_views(raw_url, str(folder), s3)
    path = Path(folder)
    if not path.is_dir():
        raise ConfigError(f"Parquet folder {path} does not exist or is not a folder")
    _apply(raw_url, view_statements(path), None)
    log.info("database %s: %d views over the Parquet files in %s", where, len(TABLE_ORDER), path)
    return list(TABLE_ORDER)


def _create_store_views(raw_url: str, folder: str, s3: S3Settings | None) -> list[str]:
    if s3 is None:
        raise ConfigError("an s3:// Parquet folder needs the object store's settings (s3_endpoint, s3_region)")
    loc = parse_store_url(folder)
    store = ObjectStore(s3.s3_endpoint, s3.s3_region, loc)
    keys = list_objects(s3_filesystem(store, s3), loc, s3.s3_max_attempts)
    statements = [_view(table, store_source(keys, loc, table)) for table in TABLE_ORDER]
    _apply(raw_url, statements, store, s3)
    log.info("database %s: %d views over the Parquet objects under %s", _duckdb_url(raw_url), len(statements), loc.url)
    return list(TABLE_ORDER)


def _apply(raw_url: str, statements: list[str], store: ObjectStore | None, s3: S3Settings | None = None) -> None:
    engine = make_engine(raw_url)
    try:
        with connect(engine, f"database {_duckdb_url(raw_url)}") as conn:
            if store is None:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STORE_TABLE}")
            else:
                # Registered before the views are created: DuckDB binds a view's query when it is created.
                register_store(conn.connection.dbapi_connection, store, s3)
                conn.exec_driver_sql(
                    f"CREATE OR REPLACE TABLE {STORE_TABLE} (endpoint VARCHAR, region VARCHAR, url VARCHAR)"
                )
                conn.exec_driver_sql(
                    f"INSERT INTO {STORE_TABLE} VALUES (?, ?, ?)",  # noqa: S608
                    (store.endpoint, store.region, store.location.url),
                )
            for sql in statements:
                conn.exec_driver_sql(sql)
            conn.commit()
    finally:
        engine.dispose()


_BOUND_S3: ContextVar[S3Settings | None] = ContextVar("csa_report_lake_s3", default=None)


@contextmanager
def object_store_settings(s3: S3Settings) -> Iterator[S3Settings]:
    """For the duration, DuckDB views over Parquet on S3 are read with ``s3`` (credentials, retries). Bound by
    the entry point that read the settings (the ``extract``, ``check`` and ``render`` commands, the flow), since
    a source is opened by its URL alone, deep in extraction, checks and render; Prefect copies it into tasks."""
    token = _BOUND_S3.set(s3)
    try:
        yield s3
    finally:
        _BOUND_S3.reset(token)


def _bound_s3(store: ObjectStore) -> S3Settings:
    s3 = _BOUND_S3.get()
    if s3 is None:
        raise ConfigError(
            f"the source database holds views over Parquet on {store.location.url}, but no S3 settings were "
            "handed to this read (a program calling csa-report's library binds them with "
            "csa_report.lake.object_store_settings(settings.s3))"
        )
    return s3


def register_store(dbapi_conn: Any, store: ObjectStore, s3: S3Settings | None = None) -> None:
    """Register an s3fs file system for ``store`` on a DuckDB connection, after checking that the store answers
    (exit 3 after botocore's retries when it does not) and still holds every table (exit 2 naming one).
    ``s3``: the settings to read it with; by default those bound with :func:`object_store_settings`."""
    s3 = s3 if s3 is not None else _bound_s3(store)
    fs = s3_filesystem(store, s3)
    keys = list_objects(fs, store.location, s3.s3_max_attempts)
    for table in TABLE_ORDER:
        store_source(keys, store.location, table)
    if "s3" in dbapi_conn.list_filesystems():
        dbapi_conn.unregister_filesystem("s3")
    dbapi_conn.register_filesystem(fs)


def prepare_duckdb_connection(dbapi_conn: Any, _record: Any = None) -> None:
    """On every DuckDB connection: no extension is downloaded at run time, and when the file holds views over
    an object store, that store's file system is registered before any view is read."""
    dbapi_conn.execute("SET autoinstall_known_extensions = false")
    recorded = dbapi_conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema()", [STORE_TABLE]
    ).fetchone()
    if not recorded or not recorded[0]:
        return
    row = dbapi_conn.execute(f"SELECT endpoint, region, url FROM {STORE_TABLE}").fetchone()  # noqa: S608
    if row is not None:
        register_store(dbapi_conn, ObjectStore(row[0], str(row[1]), parse_store_url(str(row[2]))))


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
