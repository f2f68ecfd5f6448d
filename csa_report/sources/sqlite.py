"""SQLite: a file (or memory), typed by value; read-only through SQLite's own ``mode=ro``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import create_engine, func, literal
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement

from csa_report.errors import ConfigError, DataError
from csa_report.sources.base import Loader, SourceBackend, create, describe, inspected_columns
from csa_report.sql_dialect import SqlDialect, SqliteDialect

_SQLITE_HEADER = b"SQLite format 3\x00"


def file_path(url: URL) -> Path | None:
    """The database file of a file backend's URL; None for memory or a ``file:`` URI."""
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def exists(path: Path) -> bool:
    """``path.exists()``, except that a name the file system cannot hold (too long, NUL) is a path that does not
    exist: the user's URL is wrong, not the tool."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _check_file(path: Path) -> None:
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


class SqliteBackend(SourceBackend):
    name: ClassVar[str] = "sqlite"
    schemes: ClassVar[tuple[str, ...]] = ("sqlite",)
    dialect_names: ClassVar[tuple[str, ...]] = ("sqlite",)
    # SQLite stores whatever it is given and its SUM reads text as 0: values are checked, not declarations.
    typed_by_value: ClassVar[bool] = True
    alters_by_copy: ClassVar[bool] = True

    def prepare_location(self, url: URL) -> None:
        path = file_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def engine(self, url: URL, *, read_only: bool, must_exist: bool) -> Engine:
        path = file_path(url)
        if (read_only or must_exist) and path is not None and not exists(path):
            raise DataError(f"SQLite database {path} does not exist (from {describe(url)})")
        if path is not None:
            _check_file(path)
        if read_only and path is not None:
            uri = f"file:{path.resolve()}?mode=ro"

            def _connect() -> sqlite3.Connection:
                return sqlite3.connect(uri, uri=True, check_same_thread=False)

            return create_engine("sqlite://", creator=_connect, poolclass=NullPool)
        return create(url, poolclass=NullPool)

    def table_columns(self, conn: Connection) -> dict[str, set[str]]:
        return inspected_columns(conn)

    def not_integer(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        return func.typeof(col).not_in(("integer", "null"))

    def negative(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        return (func.typeof(col) == literal("integer")) & (col < 0)

    def unbounded_total(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.total(col)  # a double: never overflows

    def not_text(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        return func.typeof(col).not_in(("text", "null"))

    def sql(self) -> SqlDialect:
        return SqliteDialect()

    @contextmanager
    def loader(self, engine: Engine) -> Iterator[Loader]:
        from csa_report.sources.loaders import SqliteLoader

        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            yield SqliteLoader(driver)
        finally:
            raw.close()
