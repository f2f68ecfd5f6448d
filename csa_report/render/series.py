"""The monthly series behind the report's figure: automated flags vs confirmed items, per category.

One aggregate query over ``detections`` (no rows pulled into Python), grouped by month of ``flagged_at`` and
category, portable across SQLite and PostgreSQL; months without detections are filled with zeros afterwards.

* ``flagged``: automated detections flagged in the month (``automated`` true) — the A of form section 6.
* ``confirmed``: of those automated flags, the ones whose verdict is ``confirmed`` and whose review happened at or
  before the as-of instant — like compared with like: a user report is no automated flag, so it is in neither
  line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.engine import Connection

from csa_report.period import Period
from csa_report.source_schema import Detection
from csa_report.sources import sql_of
from csa_report.vocabulary import CATEGORIES

_detections = Detection.__table__


@dataclass(frozen=True, slots=True)
class MonthPoint:
    month: str  # YYYY-MM
    category: str
    flagged: int
    confirmed: int


def months_of(period: Period) -> list[str]:
    """Every YYYY-MM the period touches, in order."""
    out: list[str] = []
    y, m = period.start.year, period.start.month
    while date(y, m, 1) <= period.end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_series(conn: Connection, period: Period, as_of: datetime) -> tuple[MonthPoint, ...]:
    """Monthly automated flags and confirmed items per category, every month × category of the period."""
    d = _detections.c
    sql = sql_of(conn)
    month = sql.month(d.flagged_at).label("month")
    flagged = func.sum(case((d.automated == literal(True), 1), else_=0)).label("flagged")
    confirmed = func.sum(
        case(
            (
                and_(
                    d.automated == literal(True),
                    d.verdict == "confirmed",
                    d.reviewed_at.is_not(None),
                    sql.ts(d.reviewed_at) <= sql.at(as_of),
                ),
                1,
            ),
            else_=0,
        )
    ).label("confirmed")
    stmt = (
        select(month, d.category, flagged, confirmed)
        .where(sql.ts(d.flagged_at) >= sql.at(period.start_at), sql.ts(d.flagged_at) < sql.at(period.end_before))
        .group_by(month, d.category)
        .order_by(month, d.category)
    )
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for row in conn.execute(stmt):
        found[(str(row.month), str(row.category))] = (int(row.flagged or 0), int(row.confirmed or 0))
    return tuple(MonthPoint(m, c, *found.get((m, c), (0, 0))) for m in months_of(period) for c in CATEGORIES)


def monthly_series_from_url(db_url: str, period: Period, as_of: datetime) -> tuple[MonthPoint, ...]:
    """``monthly_series`` on a read-only connection to the source database at ``db_url``."""
    from csa_report.db import read_only_source

    with read_only_source(db_url) as conn:
        return monthly_series(conn, period, as_of)
