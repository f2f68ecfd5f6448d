"""SCOPE-4: scanning under 2026/1881 of a service that becomes end-to-end encrypted later ("will be applied").

Art. 1(3) of Regulation (EU) 2026/1881 excludes communications to which end-to-end encryption "is, has been or
will be applied". SCOPE-3 reads the exclusion from the service's ``e2ee_from`` on (blocking). Whether the words
"will be applied" also exclude the days before it, from the day the regulation applies, is an open question of
the reference data: while the provider's position does not answer it, the scanning of such a service on those
earlier days is counted for a legal decision.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import false, func, or_, select

from csa_report.checks.intervals import Span, e2ee_excluded_spans
from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.reference import questions_of_period
from csa_report.source_schema import Detection, ProcessingVolume

D = Detection.__table__
PV = ProcessingVolume.__table__


def settling_question(ctx: CheckContext, rule_id: str) -> str | None:
    """The id of the period's open question whose answer settles ``rule_id``, if any."""
    return next((q.id for _r, q in questions_of_period(ctx.period.start, ctx.period.end) if q.settles == rule_id), None)


@rule(
    "SCOPE-4",
    "review",
    "Reg. (EU) 2026/1881 Art. 1(3) (communications to which end-to-end encryption will be applied)",
    "no scanning under 2026/1881 of a service before it becomes end-to-end encrypted, unless the provider's "
    "position reads Art. 1(3) otherwise",
    "data",
    {"detections": ("service", "flagged_at", "automated"), "processing_volumes": ("service", "day", "items")},
)
def scope_4(ctx: CheckContext) -> Violation | None:
    question = settling_question(ctx, "SCOPE-4")
    if question is None or question in ctx.policies.provider.legal_positions:
        return None
    q = ctx.sql
    found: list[dict[str, Any]] = []
    for service in ctx.policies.provider.services:
        if not service.e2ee or service.e2ee_from is None:
            continue
        before = Span(ctx.period.start, service.e2ee_from - timedelta(days=1))
        spans = [s for e in e2ee_excluded_spans(ctx.period) if (s := e.intersect(before)) is not None]
        if not spans:
            continue
        n = int(
            ctx.db.execute(
                select(func.count()).where(
                    D.c.service == service.name,
                    D.c.automated.is_(True),
                    or_(false(), *(q.between_days(D.c.flagged_at, *s.closed()) for s in spans)),
                )
            ).scalar_one()
        )
        rows, items, days = ctx.db.execute(
            select(
                func.count(), func.coalesce(func.sum(PV.c["items"]), 0), func.count(func.distinct(q.day(PV.c.day)))
            ).where(
                PV.c.service == service.name,
                PV.c["items"] > 0,
                or_(false(), *(q.date_between(PV.c.day, *s.closed()) for s in spans)),
            )
        ).one()
        if n or rows:
            found.append(
                {
                    "service": service.name,
                    "e2ee_from": service.e2ee_from,
                    "from": spans[0].closed()[0],
                    "until": spans[-1].closed()[1],
                    "scanning_days": int(days),
                    "volume_rows": int(rows),
                    "items": int(items),
                    "detections": n,
                    "count": n + int(rows),
                }
            )
    if not found:
        return None
    total = sum(int(f["count"]) for f in found)
    names = "; ".join(
        f"{f['service']} on {f['scanning_days']} day(s) from {f['from']} to {f['until']} "
        f"({f['items']} item(s) scanned, {f['detections']} automated detection(s)), end-to-end encrypted from "
        f"{f['e2ee_from']}"
        for f in found
    )
    return Violation(
        f"scanning under Regulation (EU) 2026/1881 of a service before it became end-to-end encrypted: {names}; "
        f'Art. 1(3) excludes communications to which such encryption "will be applied" and provider.md '
        f"legal_positions does not answer {question!r}",
        total,
        {"by_service": found, "question": question},
    )
