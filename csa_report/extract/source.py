"""The extraction's read on the source: one read-only connection, the schema checked, one snapshot, computed.

``tuning`` is the run's ``extract_*`` settings (``Tuning.of(settings.source)``), by default their defaults;
docs/benchmarks.md says why.
"""

from __future__ import annotations

import logging
from datetime import datetime

from csa_report.db import describe, normalise_url, read_only_source, require_tables
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
            result = compute_indicators(conn, period, as_of, tuning)
    log.info(
        "extracted %d indicator rows for %s (%d services) from %s",
        len(result.rows),
        period,
        len(result.services),
        describe(url),
    )
    return result
