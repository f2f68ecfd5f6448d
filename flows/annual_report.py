"""The ``annual_report`` flow (workflow.md): extract → check → render → stage → sign-off → submit → publish.

Each step is a task an operator can see and retry in the Prefect UI. Everything before sign-off is pure and
persisted (a retry or a resumed suspension reuses it); everything after happens exactly once. The flow body
itself has no side effects, because Prefect runs it again from the top when a suspended run resumes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, get_run_logger

from csa_report.period import Period, format_instant, parse_as_of, utc_now
from csa_report.settings import load_settings, require
from tasks.extract import extract


def resolve_period(period: str | None, as_of: datetime) -> Period:
    """``None`` or ``previous-year`` (the scheduled January run) means the calendar year before the as-of date."""
    if period in (None, "", "previous-year"):
        year = as_of.year - 1
        return Period(date(year, 1, 1), date(year, 12, 31))
    return Period.parse(period)


@flow(name="annual_report", persist_result=True, log_prints=False)
def annual_report(
    period: str | None = "previous-year",
    as_of: str | None = None,
    source_db: str | None = None,
) -> dict[str, Any]:
    """Produce the annual report of ``period`` as of ``as_of`` (default: now).

    The source database comes from the settings (``CSA_SOURCE_DB``) unless given, so that credentials in a
    URL need not appear among the run's parameters in the UI.
    """
    logger = get_run_logger()
    settings = load_settings(source_db=source_db)
    db_url: str = require(settings.source_db, "source_db")
    at = parse_as_of(as_of) if as_of else utc_now()
    p = resolve_period(period, at)
    logger.info("annual report for %s as of %s", p, format_instant(at))
    indicators = extract(db_url, str(p), at)
    return {"period": str(p), "as_of": format_instant(at), "indicators": indicators}
