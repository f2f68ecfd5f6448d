"""Spark SQL as a source: one Spark Connect session, the reporting schema checked, statements run in Spark.

:class:`SparkSource` is a *statement runner*: it takes a SQLAlchemy statement (or Spark SQL text and named
parameters), runs it in Spark with ``spark.sql(text, args=…)`` and returns the aggregate rows, nothing else.
No event row ever reaches Python: the statements are the same aggregate SQL the other backends run.

* **Opening** follows the project's retry schedule (csa_report.db ``CONNECT_ATTEMPTS``/``CONNECT_BACKOFF_S``):
  the Spark client's own retries are switched off so a dead endpoint is exit 3 after that schedule, not after
  the client's fifteen attempts of up to a minute each.
* **The session** is a new one per source opened (released on close), in UTC and ANSI mode (an overflowing
  sum is an error, never a wrapped figure), with ``database=`` of the URL as its current database.
* **Read-only** by construction: only ``SELECT`` statements are sent. Spark has no read-only transaction; give
  the principal read access only (docs/spark.md).
* **One snapshot** is not something Spark offers over several statements; docs/spark.md says how to pin one
  (Delta / Iceberg versions in the views).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql.expression import ClauseElement

from csa_report.db import CONNECT_ATTEMPTS, CONNECT_BACKOFF_S
from csa_report.errors import ConfigError, DataError, ToolError, UnreachableError
from csa_report.spark.compiler import spark_args, to_spark_sql
from csa_report.spark.url import SparkUrl

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

log = logging.getLogger(__name__)

#: Spark conditions that mean "the schema does not have it": a data error, exit 2, like the other backends.
_MISSING_TABLE = ("TABLE_OR_VIEW_NOT_FOUND",)
_MISSING_DATABASE = ("SCHEMA_NOT_FOUND", "CATALOG_NOT_FOUND", "NO_SUCH_CATALOG_EXCEPTION")
_MISSING_COLUMN = ("UNRESOLVED_COLUMN", "FIELD_NOT_FOUND")
#: gRPC status names that say the endpoint is not (or no longer) reachable.
_UNREACHABLE = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})


class SparkStatementError(Exception):
    """A statement Spark refused or failed (not an unreachable endpoint, not a missing table)."""


@dataclass(frozen=True)
class Row(Sequence[Any]):
    """One result row: by position, unpacked, or by column name (attribute or :meth:`as_dict`)."""

    names: tuple[str, ...]
    values: tuple[Any, ...]

    def __getitem__(self, i: Any) -> Any:
        return self.values[i]

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[self.names.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self.names, self.values, strict=True))


def _import_spark() -> Any:
    try:
        with warnings.catch_warnings():
            # pyspark warns about the pandas version at import; csa-report never hands it a pandas frame.
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql.connect.session import SparkSession
    except ImportError as exc:
        raise ConfigError(
            f"Spark Connect support is not installed ({exc.name or exc}): pip install 'csa-report[spark]'"
        ) from None
    # pyspark logs every failed query with the server's whole stack trace at ERROR; the failure reaches the
    # caller as an exception (one line for the user), so the log is noise.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return SparkSession


class SparkSource:
    """A Spark Connect session on the source data, opened by :meth:`open`, closed by :meth:`close`."""

    def __init__(self, url: SparkUrl, session: SparkSession, what: str) -> None:
        self.url = url
        self.what = what
        self._session = session
        self._columns: dict[str, dict[str, str]] = {}

    # -- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, raw_url: str, what: str = "source database") -> SparkSource:
        url = SparkUrl.parse(raw_url)
        spark_session = _import_spark()
        label = f"{what} {url.describe()}"
        delay = CONNECT_BACKOFF_S
        last = "unknown"
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            session = spark_session.builder.remote(url.client_url()).create()
            session.client.set_retry_policies([])  # our schedule, not the client's (see the module docstring)
            source = cls(url, session, label)
            try:
                source._configure()
                return source
            except UnreachableError as exc:
                last = str(exc)
                source.close()
            except BaseException:
                source.close()
                raise
            if attempt < CONNECT_ATTEMPTS:
                log.warning(
                    "%s unreachable (attempt %d of %d); retrying in %.0f s", label, attempt, CONNECT_ATTEMPTS, delay
                )
                time.sleep(delay)
                delay *= 2
        raise UnreachableError(f"{label} stayed unreachable after {CONNECT_ATTEMPTS} attempts: {last}")

    def _configure(self) -> None:
        conf = self._call(lambda: self._session.conf)
        self._call(lambda: conf.set("spark.sql.session.timeZone", "UTC"))
        self._call(lambda: conf.set("spark.sql.ansi.enabled", "true"))
        if self.url.database:
            try:
                # IDENTIFIER(): the name is a bound parameter, never SQL text.
                self.run_sql("USE IDENTIFIER(:db)", {"db": self.url.database})
            except DataError:
                raise ConfigError(f"{self.what}: database {self.url.database!r} does not exist") from None

    def close(self) -> None:
        try:
            self._session.stop()  # releases the session on the server
        except Exception as exc:  # a server already gone: nothing left to release
            log.debug("closing the Spark session failed: %s", exc)

    # -- statements ------------------------------------------------------------------------------------------

    def run(self, statement: ClauseElement) -> list[Row]:
        """The rows of an aggregate statement, computed in Spark."""
        text, params = to_spark_sql(statement)
        return self.run_sql(text, params)

    def run_sql(self, text: str, params: Mapping[str, Any]) -> list[Row]:
        """The rows of Spark SQL ``text`` with named parameters ``params`` (``:name`` in the text)."""
        args = spark_args(params)
        table = self._call(lambda: self._session.sql(text, args=args).toArrow())
        names = tuple(str(n) for n in table.column_names)
        columns = [[_value(v) for v in col.to_pylist()] for col in table.columns]
        return [Row(names, tuple(values)) for values in zip(*columns, strict=True)]

    # -- the schema ------------------------------------------------------------------------------------------

    def columns(self, table: str) -> dict[str, str]:
        """The columns of ``table`` (a table or view of the current database) and their Spark types
        (``bigint``, ``string``, ``timestamp_ntz``, …); DataError if there is no such table."""
        if table not in self._columns:
            schema = self._call(lambda: self._session.table(f"`{table}`").schema)
            self._columns[table] = {f.name: f.dataType.simpleString() for f in schema.fields}
        return self._columns[table]

    def require_tables(self, columns: Mapping[str, Sequence[str]]) -> None:
        """Raise DataError naming the first missing table or column of the reporting schema."""
        for table, wanted in columns.items():
            try:
                have = self.columns(table)
            except DataError:
                raise DataError(
                    f"source database: table {table!r} is missing (the reporting schema of data-contract §1 needs "
                    f"it; in Spark, a table or a view named {table} in database "
                    f"{self.url.database or '(the session default)'})"
                ) from None
            missing = [c for c in wanted if c not in have]
            if missing:
                raise DataError(f"source database: table {table!r} has no column {missing[0]!r} (data-contract §1)")

    # -- errors ----------------------------------------------------------------------------------------------

    def _call(self, action: Any) -> Any:
        """Run a client call; Spark's failures become csa-report's: unreachable (exit 3), a missing table or
        column (exit 2), any other refusal SparkStatementError (its first line)."""
        from pyspark.errors import PySparkException

        try:
            return action()
        except PySparkException as exc:
            raise _translated(exc, self.what) from None


def _translated(exc: Exception, what: str) -> Exception:
    # getErrorClass only where getCondition does not exist: Spark 4 warns (FutureWarning) on every call of it.
    named = _safe(exc, "getCondition") if hasattr(exc, "getCondition") else _safe(exc, "getErrorClass")
    condition = str(named or "")
    status = _safe(exc, "getGrpcStatusCode")
    status_name = str(getattr(status, "name", "") or "")
    message = _first_line(exc)
    if status_name in _UNREACHABLE or "StatusCode.UNAVAILABLE" in str(exc):
        return UnreachableError(f"{what} is unreachable: {_grpc_details(exc)}")
    if condition.startswith(_MISSING_TABLE + _MISSING_DATABASE + _MISSING_COLUMN):
        return DataError(f"{what}: {message}")
    if condition or status_name:
        return SparkStatementError(f"{what}: {message}")
    return ToolError(f"{what}: the Spark client failed: {message}")


def _safe(exc: Exception, method: str) -> Any:
    fn = getattr(exc, method, None)
    try:
        return fn() if callable(fn) else None
    except Exception:  # an exception class without that information
        return None


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _grpc_details(exc: Exception) -> str:
    for line in str(exc).splitlines():
        line = line.strip()
        if line.startswith("details ="):
            return line.removeprefix("details =").strip().strip('"')
    return _first_line(exc)


def _value(v: Any) -> Any:
    """A result value as the other backends give it: instants as naive UTC datetimes."""
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    return v


@contextmanager
def spark_source(raw_url: str, what: str = "source database") -> Iterator[SparkSource]:
    """A Spark source, closed afterwards."""
    source = SparkSource.open(raw_url, what)
    try:
        yield source
    finally:
        source.close()
