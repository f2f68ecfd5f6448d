"""The days each service was scanned in each regime segment of the period, from ``processing_volumes``.

The per-service scope statement (render.disclosures.scope_statements) says on which days a service was scanned
under which regime; those days are counted by the database (one aggregate query: distinct days with items > 0,
the first and the last of them, per service and segment), never derived from the policies alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.engine import Connection

from csa_report.period import Period
from csa_report.reference.naming import segments
from csa_report.source_schema import ProcessingVolume
from csa_report.sources import sql_of

_volumes = ProcessingVolume.__table__


@dataclass(frozen=True, slots=True)
class ScanDays:
    """``days`` distinct days with scanning of ``service`` in the segment that starts on ``segment``."""

    service: str
    segment: date
    days: int
    first: date
    last: date


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def scanning_days(conn: Connection, period: Period) -> tuple[ScanDays, ...]:
    """Per service and regime segment of ``period``: the days with scanned items, ordered by service and day."""
    v = _volumes.c
    sql = sql_of(conn)
    cut = segments(period.start, period.end)
    # The segment number must be a column of its own to be grouped by (PostgreSQL compares bound parameters
    # of a repeated expression as different values).
    inner = (
        select(
            v.service,
            sql.day(v.day).label("day"),
            case(*((sql.date_between(v.day, s.first, s.last), literal(i)) for i, s in enumerate(cut))).label("seg"),
        )
        .where(v["items"] > 0, sql.date_between(v.day, period.start, period.end))
        .subquery("scanned")
    )
    stmt = (
        select(
            inner.c.service,
            inner.c.seg,
            func.count(func.distinct(inner.c.day)),
            func.min(inner.c.day),
            func.max(inner.c.day),
        )
        .group_by(inner.c.service, inner.c.seg)
        .order_by(inner.c.service, inner.c.seg)
    )
    return tuple(
        ScanDays(str(service), cut[int(seg)].first, int(days), _day(first), _day(last))
        for service, seg, days, first, last in conn.execute(stmt)
    )


def scanning_days_from_url(db_url: str, period: Period) -> tuple[ScanDays, ...]:
    """``scanning_days`` on a read-only connection to the source database at ``db_url``."""
    from csa_report.db import read_only_source

    with read_only_source(db_url) as conn:
        return scanning_days(conn, period)
