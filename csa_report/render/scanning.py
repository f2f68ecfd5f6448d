"""The days each service was scanned in each regime segment of the period, from ``processing_volumes``.

The per-service scope statement (render.disclosures.scope_statements) says on which days a service was scanned
under which regime; those days are counted by the database (one aggregate query: distinct days with items > 0,
the first and the last of them, per service and segment), never derived from the policies alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, false, func, literal, null, or_, select
from sqlalchemy.engine import Connection

from csa_report.period import Period
from csa_report.policies.models import PolicySet
from csa_report.reference.naming import segments
from csa_report.source_schema import ProcessingVolume
from csa_report.sources import sql_of

_volumes = ProcessingVolume.__table__


@dataclass(frozen=True, slots=True)
class ScanDays:
    """``days`` distinct days with scanning of ``service`` in the segment that starts on ``segment``;
    ``encrypted`` of them on or after the service's end-to-end encryption date, in a segment whose regime
    excludes end-to-end encrypted communications."""

    service: str
    segment: date
    days: int
    first: date
    last: date
    encrypted: int = 0


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def scanning_days(
    conn: Connection, period: Period, e2ee_from: Mapping[str, date] | None = None
) -> tuple[ScanDays, ...]:
    """Per service and regime segment of ``period``: the days with scanned items, ordered by service and day.
    ``e2ee_from``: each end-to-end encrypted service's encryption date (provider.md), for ``encrypted``."""
    v = _volumes.c
    sql = sql_of(conn)
    cut = segments(period.start, period.end)
    excluding = [s for s in cut if s.regime is not None and s.regime.excludes_e2ee]
    encrypted = or_(
        false(),
        *(
            and_(v.service == name, sql.date_between(v.day, max(day, s.first), s.last))
            for name, day in sorted((e2ee_from or {}).items())
            for s in excluding
            if day <= s.last
        ),
    )
    # The segment number must be a column of its own to be grouped by (PostgreSQL compares bound parameters
    # of a repeated expression as different values).
    inner = (
        select(
            v.service,
            sql.day(v.day).label("day"),
            case(*((sql.date_between(v.day, s.first, s.last), literal(i)) for i, s in enumerate(cut))).label("seg"),
            case((encrypted, sql.day(v.day)), else_=null()).label("enc"),
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
            func.count(func.distinct(inner.c.enc)),
        )
        .group_by(inner.c.service, inner.c.seg)
        .order_by(inner.c.service, inner.c.seg)
    )
    return tuple(
        ScanDays(str(service), cut[int(seg)].first, int(days), _day(first), _day(last), int(enc))
        for service, seg, days, first, last, enc in conn.execute(stmt)
    )


def scanning_days_from_url(
    db_url: str, period: Period, e2ee_from: Mapping[str, date] | None = None
) -> tuple[ScanDays, ...]:
    """``scanning_days`` on a read-only connection to the source database at ``db_url``."""
    from csa_report.db import read_only_source

    with read_only_source(db_url) as conn:
        return scanning_days(conn, period, e2ee_from)


def encryption_dates(policies: PolicySet) -> dict[str, date]:
    """Each end-to-end encrypted service of provider.md with its encryption date."""
    return {s.name: s.e2ee_from for s in policies.provider.services if s.e2ee and s.e2ee_from is not None}
