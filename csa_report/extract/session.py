"""How the extraction's read-only transaction is tuned and how its statements are run.

The source's backend (csa_report.sources) says what its transaction needs: on PostgreSQL the session settings
apply only to the read-only transaction (``SET LOCAL``), and the independent statements may run concurrently on
separate read-only connections that all read the snapshot the main transaction exported, so every section is
computed from the same instant of the database.

Backends that cannot share a snapshot (SQLite, DuckDB, Spark) run the statements one after the other on one
connection: SQLite cannot share a read snapshot between connections, and DuckDB and Spark already spread one
statement over all their threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from csa_report.db import connect
from csa_report.sources import backend_of

if TYPE_CHECKING:
    from csa_report.settings import SourceSettings

log = logging.getLogger(__name__)

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Tuning:
    """Knobs of the extraction transaction (settings ``extract_*``, docs/benchmarks.md says why these defaults)."""

    #: PostgreSQL JIT: it compiles expressions of statements it overestimates (about 2 s each on large
    #: statements) and never pays back on the extraction's single pass per table.
    jit: bool = False
    #: ``max_parallel_workers_per_gather``: 0 keeps each statement on one core, which measured best on a small
    #: shared machine; raise it where the database server has idle cores.
    parallel_workers: int = 0
    #: Read-only connections the independent statements are spread over (PostgreSQL only); 1 = sequential.
    connections: int = 1
    #: DuckDB's ``memory_limit`` for the extraction (MiB); None = DuckDB's default (80 % of RAM). Hash aggregates
    #: past it spill to the temporary folder: same figures, less memory, somewhat slower (docs/benchmarks.md).
    duckdb_memory_mb: int | None = None

    @classmethod
    def of(cls, source: SourceSettings) -> Tuning:
        """The extraction options of the run's source settings (``CSA_EXTRACT_*``)."""
        return cls(
            jit=source.extract_jit,
            parallel_workers=source.extract_parallel_workers,
            connections=source.extract_connections,
            duckdb_memory_mb=source.extract_duckdb_memory_mb,
        )


def isolation_level(conn: Connection) -> str | None:
    """The isolation the read-only transaction needs for one consistent snapshot, or None (the default)."""
    return backend_of(conn).snapshot_isolation


def apply_session(conn: Connection, tuning: Tuning) -> None:
    """Set the backend's transaction-local options on a connection inside its read-only transaction."""
    backend_of(conn).apply_session(conn, tuning)


def run_statements(conn: Connection, statements: Mapping[str, Executable], tuning: Tuning) -> dict[str, Rows]:
    """Execute each named statement and return its rows as dicts, keyed by name (same keys, same order).

    With ``tuning.connections`` > 1 on a backend that shares snapshots, the statements are spread over that many
    connections (this one included), each in a read-only transaction on the snapshot of ``conn``'s transaction,
    which must already be open.
    """
    names = list(statements)
    workers = min(tuning.connections, len(names))
    backend = backend_of(conn)
    if workers <= 1 or not backend.shares_snapshots:
        return {name: _rows(conn, statements[name]) for name in names}
    adopt = backend.share_snapshot(conn)
    # Round-robin in the given order: the caller lists the heaviest statements first.
    buckets: list[list[str]] = [names[i::workers] for i in range(workers)]
    results: dict[str, Rows] = {}
    lock = threading.Lock()

    def run_bucket(bucket: Sequence[str]) -> None:
        with connect(conn.engine, "source database (extra read-only connection)") as other:
            other = other.execution_options(isolation_level=backend.snapshot_isolation)
            with other.begin():
                adopt(other)
                backend.apply_session(other, tuning)
                for name in bucket:
                    rows = _rows(other, statements[name])
                    with lock:
                        results[name] = rows

    with ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="csa-extract") as pool:
        futures = [pool.submit(run_bucket, b) for b in buckets[1:]]
        for name in buckets[0]:
            rows = _rows(conn, statements[name])
            with lock:
                results[name] = rows
        for f in futures:
            f.result()  # re-raises a worker's error here
    log.debug("ran %d statements on %d connections sharing snapshot", len(names), workers)
    return {name: results[name] for name in names}


def _rows(conn: Connection, statement: Executable) -> Rows:
    return [dict(r) for r in conn.execute(statement).mappings()]
