"""What a source backend owns: which URLs it accepts, how its engine is made, its read-only snapshot, its
catalogue of tables and column types, its checks of stored values, the bulk loader ``seed`` uses, and its SQL
expression forms (csa_report.sql_dialect). Everything else is written once against this interface, so a new
backend is one new module here (and an entry in csa_report.sources.BACKENDS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import Numeric, create_engine, func, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.sql.elements import ColumnElement

from csa_report.errors import ConfigError, DataError

if TYPE_CHECKING:
    from csa_report.seed.rows import Batch
    from csa_report.sql_dialect import SqlDialect


class SessionTuning(Protocol):
    """The extraction's knobs a backend may apply (csa_report.extract.session.Tuning)."""

    @property
    def jit(self) -> bool: ...

    @property
    def parallel_workers(self) -> int: ...

    @property
    def duckdb_memory_mb(self) -> int | None: ...


class Loader(Protocol):
    """Writes generated chunks into an empty reporting schema (csa_report.seed.load); ``finish`` commits."""

    def write(self, batch: Batch) -> None: ...

    def finish(self) -> None: ...


#: How a URL is shown: with its password hidden.
def describe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def redact_raw(raw: str) -> str:
    try:
        return make_url(raw.strip()).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a non-numeric port
        return "<unparsable URL>"


def parse_url(text_: str, raw: str) -> URL:
    """``make_url`` with a URL that does not parse, or whose port is no TCP port, as a configuration error."""
    try:
        url = make_url(text_)
        port = url.port  # a non-numeric port only fails when read
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"database URL {redact_raw(raw)!r} does not parse: expected e.g. sqlite:///source.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"database URL {redact_raw(raw)!r}: port {port} is not a TCP port (1–65535)")
    return url


def create(url: URL | str, **kw: Any) -> Engine:
    """create_engine, with a driver that is unknown or not installed reported as a configuration error."""
    try:
        return create_engine(url, **kw)
    except (NoSuchModuleError, ImportError) as exc:
        name = url.drivername if isinstance(url, URL) else str(url)
        raise ConfigError(
            f"database driver {name!r} is not available ({type(exc).__name__}); csa-report "
            "supports postgresql:// (psycopg 3) and sqlite:///"
        ) from None


def inspected_columns(conn: Connection) -> dict[str, set[str]]:
    """Tables and views of the default schema with their columns, from SQLAlchemy's inspector."""
    insp = inspect(conn)
    names = set(insp.get_table_names()) | set(insp.get_view_names())
    return {t: {c["name"] for c in insp.get_columns(t)} for t in names}


class SourceBackend:
    """One database engine csa-report reads (and, where it can, creates and seeds). These defaults are the
    SQLAlchemy ones; each backend overrides what differs."""

    #: The backend's name in messages and in ``csa-report`` options.
    name: ClassVar[str]
    #: URL schemes (before any ``+driver``) this backend accepts.
    schemes: ClassVar[tuple[str, ...]]
    #: SQLAlchemy dialect names (``conn.dialect.name``) of its connections.
    dialect_names: ClassVar[tuple[str, ...]]
    #: Isolation of the read-only transaction that gives every statement one snapshot (None: the default).
    snapshot_isolation: ClassVar[str | None] = None
    #: Whether extra read-only connections can share the main transaction's snapshot (parallel statements).
    shares_snapshots: ClassVar[bool] = False
    #: Whether stored values may be of any type whatever the column says (so values, not declarations, are checked).
    typed_by_value: ClassVar[bool] = False
    #: Whether Alembic must rebuild tables to alter them (``render_as_batch``).
    alters_by_copy: ClassVar[bool] = False

    # -- URLs and engines ----------------------------------------------------------------------------------------

    def accepts(self, raw: str) -> bool:
        scheme = raw.strip().split(":", 1)[0].split("+", 1)[0].lower()
        return scheme in self.schemes

    def parse(self, raw: str) -> URL:
        """The URL as the user wrote it, with our driver chosen where none is named; ConfigError if refused."""
        return parse_url(raw.strip(), raw)

    def redact(self, raw: str) -> str:
        return redact_raw(raw)

    def prepare_location(self, url: URL) -> None:
        """Make room for a database that is about to be created (a file backend's folder)."""

    def engine(self, url: URL, *, read_only: bool, must_exist: bool) -> Engine:
        raise NotImplementedError

    @contextmanager
    def read_only(self, raw_url: str, url: URL, what: str) -> Iterator[Connection]:
        """A read-only connection (retried while unreachable), its engine disposed afterwards."""
        from csa_report.db import connect  # the retry schedule lives with the connections

        engine = self.engine(url, read_only=True, must_exist=False)
        try:
            with connect(engine, f"{what} {describe(url)}") as conn:
                yield conn
        finally:
            engine.dispose()

    # -- the extraction's transaction ----------------------------------------------------------------------------

    def apply_session(self, conn: Connection, tuning: SessionTuning) -> None:
        """Set the extraction's transaction-local options (nothing by default)."""

    def share_snapshot(self, conn: Connection) -> Callable[[Connection], None]:
        """Export ``conn``'s snapshot; the returned function makes another connection's transaction read it."""
        raise NotImplementedError(f"{self.name} connections cannot share a snapshot")

    # -- the catalogue ---------------------------------------------------------------------------------------------

    def table_columns(self, conn: Connection) -> dict[str, set[str]]:
        """Tables and views of the current schema with their columns."""
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

    def require_tables(self, conn: Connection, columns: Mapping[str, Sequence[str]]) -> None:
        """Raise DataError naming the first missing table or column of the reporting schema."""
        catalog = self.table_columns(conn)
        for table, wanted in columns.items():
            if table not in catalog:
                raise DataError(
                    f"source database: table {table!r} is missing (the reporting schema of data-contract §1 needs "
                    "it; create it with `csa-report db upgrade --db URL` or map it with a view)"
                )
            missing = [c for c in wanted if c not in catalog[table]]
            if missing:
                raise DataError(f"source database: table {table!r} has no column {missing[0]!r} (data-contract §1)")

    def declared_types(self, conn: Connection, tables: Sequence[str]) -> dict[tuple[str, str], str]:
        """(table, column) → its declared type in upper case, from the information schema."""
        rows = conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        )
        wanted = set(tables)
        return {(str(t), str(c)): str(d).upper() for t, c, d in rows if str(t) in wanted}

    # -- checks of stored values (csa_report.source_types) -----------------------------------------------------

    def not_integer(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        """True where a count column holds a value with a fraction."""
        return func.cast(col, Numeric) != func.floor(func.cast(col, Numeric))

    def negative(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        return col < 0

    def unbounded_total(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """A sum of the column that never overflows itself, to say whether the indicator sums would."""
        return func.sum(func.cast(col, Numeric))

    def not_text(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        raise NotImplementedError  # only backends that are typed by value check names by value

    # -- SQL forms and loading -------------------------------------------------------------------------------------

    def sql(self) -> SqlDialect:
        raise NotImplementedError

    def loader(self, engine: Engine) -> AbstractContextManager[Loader]:
        raise ConfigError(f"seed cannot load a {self.name} database")
