"""Prefect task ``extract``: the indicators of a period, persisted so a retry or resume does not recompute.

The work is csa_report.extract; this wrapper adds the retry options for an unreachable source.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from csa_report.extract import Tuning, extract_indicators
from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.tasks.retry import retry_options


@task(name="extract", persist_result=True, **retry_options())
def extract(db_url: str, period: str, as_of: datetime, tuning: Tuning | None = None) -> Indicators:
    """Prefect task: the indicators of ``period`` as of ``as_of`` (arguments are plain values so the cache
    key can be computed — an engine would silently disable caching). ``tuning``: the run's extraction options;
    they change how the numbers are computed, never the numbers."""
    return extract_indicators(db_url, Period.parse(period), as_of, tuning)
