"""The extraction's read on the source: one read-only connection, the schema checked, one snapshot, computed.

``tuning`` is the run's ``extract_*`` settings (``Tuning.of(settings.source)``), by default their defaults;
docs/benchmarks.md says why.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine.url import URL
from sqlalchemy.exc import OperationalError

from csa_report.db import describe, normalise_url, read_only_source, require_tables
from csa_report.errors import ConfigError
from csa_report.extract.compute import compute_indicators
from csa_report.extract.session import Tuning, apply_session, isolation_level
from csa_report.extract.tables import REQUIRED_COLUMNS
from csa_report.indicators import Indicators
from csa_report.period import Period, check_as_of
from csa_report.source_types import validate_types

log = logging.getLogger(__name__)


def extract_indicators(db_url: str, period: Period, as_of: datetime, tuning: Tuning | None = None) -> Indicators:
    """Open the source read-only, check the schema, compute. Raises DataError / UnreachableError."""
    check_as_of(period, as_of)
    tuning = tuning or Tuning()
    url = normalise_url(db_url)
    with read_only_source(db_url) as conn:
        require_tables(conn, REQUIRED_COLUMNS)
        validate_types(conn)  # counts are integers ≥ 0, names are text (csa_report.source_types)
        conn.rollback()  # end the inspection's implicit transaction before choosing the isolation
        isolation = isolation_level(conn)
        if isolation:
            # One snapshot for all statements, so the sections agree with each other.
            conn.execution_options(isolation_level=isolation)
        with conn.begin():
            # work_mem, enable_sort, jit, parallel workers: measured in docs/benchmarks.md.
            apply_session(conn, tuning)
            try:
                result = compute_indicators(conn, period, as_of, tuning)
            except OperationalError as exc:
                _raise_if_out_of_memory(exc, url, tuning)
                raise
    log.info(
        "extracted %d indicator rows for %s (%d services) from %s",
        len(result.rows),
        period,
        len(result.services),
        describe(url),
    )
    return result


def _raise_if_out_of_memory(exc: OperationalError, url: URL, tuning: Tuning) -> None:
    """A DuckDB memory limit too small for an operator that cannot spill is the user's setting (exit 2), not an
    unreachable database: waiting and retrying would fail the same way."""
    text = " ".join(str(exc.orig).split())
    if "out of memory" not in text.lower():
        return
    limit = f"{tuning.duckdb_memory_mb} MiB" if tuning.duckdb_memory_mb is not None else "DuckDB's default"
    raise ConfigError(
        f"source database {describe(url)} ran out of memory during the extraction ({text[:160]}); the memory "
        f"limit is {limit}: raise CSA_EXTRACT_DUCKDB_MEMORY_MB, or unset it"
    ) from None
