"""PLAUS-1..4: figures that are exact but implausible, for review (docs/rules.md "Plausibility").

Thresholds come from measures.md ``plausibility`` (defaults in csa_report.policies.plausibility). Each finding
names the aggregates it compared, never a row. PLAUS-1, 3 and 4 read the source (aggregate SQL, the same on
SQLite, PostgreSQL and DuckDB); PLAUS-2 reads the indicators and the previous filed report's figures, and does
not apply when no previous report is known (listed as not applicable, neither a pass nor a finding).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import case, false, func, literal, or_, select

from csa_report.checks.registry import CheckContext, DoesNotApply, Violation, rule
from csa_report.policies.models import PolicySet
from csa_report.reference.naming import segments
from csa_report.source_schema import Complaint, ContentAction, Detection, ProcessingVolume

D = Detection.__table__
PV = ProcessingVolume.__table__
CA = ContentAction.__table__
C = Complaint.__table__
SECONDS_PER_DAY: Final = 86400
#: Why PLAUS-2 does not apply to a report whose previous period has no filed report on record.
NO_PREVIOUS_REPORT: Final = "no previous filed report"
#: The sections whose figures PLAUS-2 compares year on year (volumes; cases identified).
COMPARED_SECTIONS: Final = (1, 4)
MAX_LISTED: Final = 10


@rule(
    "PLAUS-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(i) (the type and volumes of data processed)",
    "no service and data type has the same daily volume on more than N consecutive days",
    "data",
    {"processing_volumes": ("service", "day", "data_type", "items")},
)
def plaus_1(ctx: CheckContext) -> Violation | None:
    """Gaps and islands: the daily volume per service and data type; days of equal volume whose day number
    minus their rank among the days of that volume is constant are one run of consecutive days."""
    n = ctx.policies.measures.plausibility.identical_volume_days
    q = ctx.sql
    daily = (
        select(PV.c.service, PV.c.data_type, q.day(PV.c.day).label("day"), func.sum(PV.c["items"]).label("items"))
        .where(q.date_between(PV.c.day, ctx.period.start, ctx.period.end))
        .group_by(PV.c.service, PV.c.data_type, q.day(PV.c.day))
        .cte("daily")
    )
    rank = func.row_number().over(
        partition_by=(daily.c.service, daily.c.data_type, daily.c["items"]), order_by=daily.c.day
    )
    day_number = func.floor(q.epoch_seconds(daily.c.day) / SECONDS_PER_DAY)
    ranked = select(
        daily.c.service, daily.c.data_type, daily.c["items"], daily.c.day, (day_number - rank).label("island")
    ).cte("ranked")
    runs = (
        select(
            ranked.c.service,
            ranked.c.data_type,
            ranked.c["items"],
            func.min(ranked.c.day).label("first"),
            func.max(ranked.c.day).label("last"),
            func.count().label("days"),
        )
        .where(ranked.c["items"] > 0)
        .group_by(ranked.c.service, ranked.c.data_type, ranked.c["items"], ranked.c.island)
        .having(func.count() > n)
        .order_by(ranked.c.service, ranked.c.data_type, func.min(ranked.c.day))
    )
    found = [
        {
            "service": str(s),
            "data_type": str(t),
            "daily_items": int(items),
            "from": _day(first),
            "until": _day(last),
            "days": int(days),
        }
        for s, t, items, first, last, days in ctx.db.execute(runs).all()
    ]
    if not found:
        return None
    listed = "; ".join(
        f"{f['service']}, {f['data_type']}: {f['daily_items']:,} items every day on {f['days']} consecutive days "
        f"from {f['from']} to {f['until']}"
        for f in found[:MAX_LISTED]
    )
    return Violation(
        f"{len(found)} run(s) of identical daily volume longer than {n} day(s) (measures.md plausibility "
        f"identical_volume_days): {listed}; check that the volumes are measured, not estimated or copied",
        len(found),
        {"identical_volume_days": n, "runs": found},
    )


@rule(
    "PLAUS-2",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(i) and (ii) (volumes and cases, year on year)",
    "no section 1 or 4 figure changed by more than the threshold against the previous filed report",
    "indicators",
)
def plaus_2(ctx: CheckContext) -> Violation | DoesNotApply | None:
    if ctx.previous is None:
        return DoesNotApply(NO_PREVIOUS_REPORT)
    p = ctx.policies.measures.plausibility
    changed: list[dict[str, Any]] = []
    for r in ctx.data.rows:
        if r.section not in COMPARED_SECTIONS or r.unit not in ("count", "bytes") or isinstance(r.value, bool):
            continue
        if not isinstance(r.value, int):
            continue
        before = _int(ctx.previous.values.get((r.service, r.indicator, r.category, r.technology, r.region)))
        if before is None or max(before, r.value) < p.year_on_year_minimum:
            continue
        if before == 0 or abs(r.value - before) * 100 > p.year_on_year_percent * before:
            changed.append(
                {
                    "service": r.service,
                    "section": r.section,
                    "indicator": r.indicator,
                    "category": r.category,
                    "technology": r.technology,
                    "region": r.region,
                    "previous": before,
                    "current": r.value,
                    "change_percent": None if before == 0 else round((r.value - before) * 100 / before, 1),
                }
            )
    if not changed:
        return None
    listed = "; ".join(
        f"{c['indicator']} ({c['service']}, {c['category']}, {c['region']}): {c['previous']:,} -> {c['current']:,}"
        + ("" if c["change_percent"] is None else f" ({c['change_percent']:+} %)")
        for c in changed[:MAX_LISTED]
    )
    return Violation(
        f"{len(changed)} figure(s) of sections 1 and 4 changed by more than {p.year_on_year_percent} % against "
        f"the previous filed report {ctx.previous.report_id} (figures of at least {p.year_on_year_minimum} in "
        f"either year): {listed}; explain the change or check the data",
        len(changed),
        {
            "previous_report": ctx.previous.report_id,
            "year_on_year_percent": p.year_on_year_percent,
            "year_on_year_minimum": p.year_on_year_minimum,
            "figures": changed,
        },
    )


@rule(
    "PLAUS-3",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(iv) and (vi) (complaints and error rates)",
    "content restored after complaint does not exceed the items found not to be abuse, per category and technology",
    "data",
    {
        "detections": ("category", "technology", "flagged_at", "automated", "verdict", "reviewed_at"),
        "content_actions": ("id", "detection_id"),
        "complaints": ("subject", "content_action_id", "outcome", "decided_at"),
    },
)
def plaus_3(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    restored_stmt = (
        select(D.c.category, D.c.technology, func.count(func.distinct(D.c.id)))
        .select_from(C.join(CA, CA.c.id == C.c.content_action_id).join(D, D.c.id == CA.c.detection_id))
        .where(
            C.c.subject == "content",
            C.c.outcome == "restored",
            C.c.decided_at.is_not(None),
            q.between_days(C.c.decided_at, ctx.period.start, ctx.period.end),
            q.not_after(C.c.decided_at, ctx.as_of),
        )
        .group_by(D.c.category, D.c.technology)
    )
    not_abuse_stmt = (
        select(D.c.category, D.c.technology, func.count())
        .where(
            D.c.automated.is_(True),
            D.c.verdict == "not_abuse",
            D.c.reviewed_at.is_not(None),
            q.not_after(D.c.reviewed_at, ctx.as_of),
            q.between_days(D.c.flagged_at, ctx.period.start, ctx.period.end),
        )
        .group_by(D.c.category, D.c.technology)
    )
    restored = {(str(c), str(t)): int(n) for c, t, n in ctx.db.execute(restored_stmt).all()}
    not_abuse = {(str(c), str(t)): int(n) for c, t, n in ctx.db.execute(not_abuse_stmt).all()}
    found = [
        {"category": c, "technology": t, "restored": n, "not_abuse": not_abuse.get((c, t), 0)}
        for (c, t), n in sorted(restored.items())
        if n > not_abuse.get((c, t), 0)
    ]
    if not found:
        return None
    listed = "; ".join(
        f"{f['category']}, {f['technology']}: {f['restored']:,} restored, {f['not_abuse']:,} found not to be abuse"
        for f in found
    )
    return Violation(
        f"more content restored after complaint in the period than automated flags found not to be abuse (B of "
        f"section 6) for the same category and technology: {listed}; a restored item was wrongly flagged, so the "
        "error rate may be understated",
        sum(int(str(f["restored"])) - int(str(f["not_abuse"])) for f in found),
        {"by_category_technology": found},
    )


@rule(
    "PLAUS-4",
    "review",
    "Reg. (EU) 2021/1232 Art. 1 and 2026/1881 Art. 1(3) (the days a derogation allows scanning)",
    "each service was scanned on exactly the days its regime and end-to-end encryption dates allow",
    "data",
    {"processing_volumes": ("service", "day", "items")},
)
def plaus_4(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    found: list[dict[str, Any]] = []
    for service in ctx.policies.provider.services:
        spans = allowed_spans(ctx.policies, service.name, ctx.period.start, ctx.period.end)
        allowed = sum(s.days for s in spans)
        inside = or_(false(), *(q.date_between(PV.c.day, s.first, s.last) for s in spans))
        total, within = ctx.db.execute(
            select(
                func.count(func.distinct(q.day(PV.c.day))),
                func.count(func.distinct(_when(inside, q.day(PV.c.day)))),
            ).where(
                PV.c.service == service.name,
                PV.c["items"] > 0,
                q.date_between(PV.c.day, ctx.period.start, ctx.period.end),
            )
        ).one()
        total, within = int(total), int(within)
        if total == within == allowed:
            continue
        found.append(
            {
                "service": service.name,
                "allowed_days": allowed,
                "scanning_days": total,
                "scanning_days_not_allowed": total - within,
                "allowed_days_not_scanned": allowed - within,
            }
        )
    if not found:
        return None
    listed = "; ".join(
        f"{f['service']}: scanned on {f['scanning_days']} day(s), {f['allowed_days']} allowed "
        f"({f['scanning_days_not_allowed']} scanning day(s) not allowed, {f['allowed_days_not_scanned']} allowed "
        "day(s) without scanning)"
        for f in found
    )
    return Violation(
        f"scanning days differ from the days the legal regimes and end-to-end encryption dates allow: {listed}",
        len(found),
        {"by_service": found},
    )


class _Days:
    """A closed span of days (first..last)."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def allowed_spans(policies: PolicySet, service: str, start: date, end: date) -> list[_Days]:
    """The days of ``start..end`` on which ``service`` could lawfully be scanned: a derogation in force and,
    under a regime that excludes end-to-end encryption, before the service's ``e2ee_from`` (the reading of the
    report's days in scope, render.disclosures.days_in_scope)."""
    svc = policies.provider.service(service)
    out: list[_Days] = []
    for seg in segments(start, end):
        if not seg.derogation or seg.regime is None:
            continue
        last = seg.last
        if seg.regime.excludes_e2ee and svc is not None and svc.e2ee and svc.e2ee_from is not None:
            last = min(last, svc.e2ee_from - timedelta(days=1))
        if last >= seg.first:
            out.append(_Days(seg.first, last))
    return out


def _when(cond: Any, value: Any) -> Any:
    return case((cond, value), else_=literal(None))


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None
