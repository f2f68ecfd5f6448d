"""SCOPE-1, SCOPE-3: what may be scanned, and when (Art. 1(2); 2026/1881 Art. 1(3)); SCOPE-2 (the 2026 gap) is in
csa_report.checks.gap, SCOPE-4 in csa_report.checks.encryption."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from csa_report.checks.intervals import Span, e2ee_excluded_spans
from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import Detection, ProcessingVolume

D = Detection.__table__
PV = ProcessingVolume.__table__


@rule(
    "SCOPE-1",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 1(2) (audio communications excluded)",
    "no audio is scanned",
    "data",
    {"detections": ("service", "data_type", "flagged_at")},
)
def scope_1(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    stmt = (
        select(D.c.service, func.count())
        .where(
            D.c.data_type == "audio",
            q.ts(D.c.flagged_at) >= q.at(ctx.period.start_at),
            q.ts(D.c.flagged_at) < q.at(ctx.period.end_before),
        )
        .group_by(D.c.service)
        .order_by(D.c.service)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    total = sum(int(n) for _, n in rows)
    return Violation(
        f"{total} detection(s) in the period concern audio, which the Regulation excludes",
        total,
        {"by_service": [{"service": s, "count": int(n)} for s, n in rows]},
    )


@rule(
    "SCOPE-3",
    "blocking",
    "Reg. (EU) 2026/1881 Art. 1(3) (end-to-end encrypted communications excluded)",
    "no scanning of an end-to-end encrypted service while 2026/1881 applies",
    "data",
    {"detections": ("service", "flagged_at", "automated"), "processing_volumes": ("service", "day", "items")},
)
def scope_3(ctx: CheckContext) -> Violation | None:
    """Automated detections, and processing_volumes rows with items, of an ``e2ee`` service on days from its
    ``e2ee_from`` while an E2EE-excluding regime applies. A user's own report is not scanning; scanning that
    found nothing is still scanning."""
    excluded = e2ee_excluded_spans(ctx.period)
    q = ctx.sql
    found: list[dict[str, Any]] = []
    for service in ctx.policies.provider.services:
        if not service.e2ee or service.e2ee_from is None:
            continue
        spans = [s for e in excluded if (s := e.intersect(Span(service.e2ee_from, None))) is not None]
        if not spans:
            continue
        stmt = select(func.count()).where(
            D.c.service == service.name,
            D.c.automated.is_(True),
            or_(*(q.between_days(D.c.flagged_at, *s.closed()) for s in spans)),
        )
        n = int(ctx.db.execute(stmt).scalar_one())
        v_stmt = select(func.count(), func.coalesce(func.sum(PV.c["items"]), 0)).where(
            PV.c.service == service.name,
            PV.c["items"] > 0,
            or_(*(q.date_between(PV.c.day, *s.closed()) for s in spans)),
        )
        v_rows, v_items = ctx.db.execute(v_stmt).one()
        if n or v_rows:
            found.append(
                {
                    "service": service.name,
                    "e2ee_from": service.e2ee_from,
                    "count": n + int(v_rows),
                    "detections": n,
                    "volume_rows": int(v_rows),
                    "items": int(v_items),
                }
            )
    if not found:
        return None
    total = sum(int(f["count"]) for f in found)
    detections = sum(int(f["detections"]) for f in found)
    names = ", ".join(f["service"] for f in found)
    return Violation(
        f"scanning of end-to-end encrypted service(s) ({names}) on days when Regulation (EU) 2026/1881 applies, "
        f"which excludes such communications: {detections} automated detection(s) and "
        f"{total - detections} processing_volumes row(s)",
        total,
        {"by_service": found},
    )
