"""SCOPE-2: every processing on days without a derogation in force (the 2026 gap, 2026-04-04..2026-07-30).

Without a derogation, Articles 5(1) and 6(1) of Directive 2002/58/EC apply in full, so anything the provider did
with communications data on those days needs a legal answer. The rule counts, per service, each kind of
processing (aggregate SQL, never a row): scanning volumes, automated flags, human reviews, reports sent (with
the recipients' countries from transfers.md), removals, account actions, and detections still held un-erased on
those days. The report's gap statement (csa_report.render.gap) prints these counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import Select, false, func, or_, select

from csa_report.checks.intervals import Span, no_derogation_spans
from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import AccountAction, ContentAction, Detection, ProcessingVolume, Report
from csa_report.sql_dialect import SqlDialect, midnight

D = Detection.__table__
PV = ProcessingVolume.__table__
R = Report.__table__
CA = ContentAction.__table__
AA = AccountAction.__table__

#: The kinds of processing counted, in the order the report names them (evidence keys).
KINDS: Final = (
    "scanned_items",
    "automated_flags",
    "reviews",
    "reports_sent",
    "removals",
    "account_actions",
    "held_unerased",
)


def _in_spans(ctx: CheckContext, col: Any, spans: Iterable[Span]) -> Any:
    return or_(false(), *(ctx.sql.between_days(col, *s.closed()) for s in spans))


def _held(ctx: CheckContext, spans: Iterable[Span]) -> Any:
    """Detections flagged before a gap day ended and not erased before it began: kept on a gap day."""
    q = ctx.sql
    conds = []
    for s in spans:
        first, last = s.closed()
        conds.append(
            (q.ts(D.c.flagged_at) < q.at(midnight(last + timedelta(days=1))))
            & (D.c.erased_at.is_(None) | (q.ts(D.c.erased_at) >= q.at(midnight(first))))
        )
    return or_(false(), *conds)


def _counts(ctx: CheckContext, stmt: Select[Any]) -> dict[str, int]:
    return {str(service): int(n or 0) for service, n in ctx.db.execute(stmt).all()}


def gap_activity(ctx: CheckContext, spans: list[Span]) -> dict[str, Any]:
    """Per service and kind, the processing on the days of ``spans``; recipients with their countries."""
    q = ctx.sql
    volume_days = or_(false(), *(q.date_between(PV.c.day, *s.closed()) for s in spans))
    scanning = ctx.db.execute(
        select(PV.c.service, func.count(), func.sum(PV.c["items"]), func.count(func.distinct(q.day(PV.c.day))))
        .where(PV.c["items"] > 0, volume_days)
        .group_by(PV.c.service)
    ).all()
    per_kind = {
        "automated_flags": _counts(
            ctx,
            select(D.c.service, func.count())
            .where(D.c.automated.is_(True), _in_spans(ctx, D.c.flagged_at, spans))
            .group_by(D.c.service),
        ),
        "reviews": _counts(
            ctx,
            select(D.c.service, func.count())
            .where(D.c.verdict.is_not(None), _in_spans(ctx, D.c.reviewed_at, spans))
            .group_by(D.c.service),
        ),
        "reports_sent": _counts(
            ctx, select(R.c.service, func.count()).where(_in_spans(ctx, R.c.sent_at, spans)).group_by(R.c.service)
        ),
        "removals": _counts(
            ctx, select(CA.c.service, func.count()).where(_in_spans(ctx, CA.c.removed_at, spans)).group_by(CA.c.service)
        ),
        "account_actions": _counts(
            ctx, select(AA.c.service, func.count()).where(_in_spans(ctx, AA.c.taken_at, spans)).group_by(AA.c.service)
        ),
        "held_unerased": _counts(ctx, select(D.c.service, func.count()).where(_held(ctx, spans)).group_by(D.c.service)),
    }
    by_service: dict[str, dict[str, Any]] = {}

    def entry(service: str) -> dict[str, Any]:
        return by_service.setdefault(
            service, {"service": service, "scanning_days": 0, "volume_rows": 0, **dict.fromkeys(KINDS, 0)}
        )

    for service, rows, items, days in scanning:
        e = entry(str(service))
        e["volume_rows"], e["scanned_items"], e["scanning_days"] = int(rows), int(items or 0), int(days)
    for kind, counts in per_kind.items():
        for service, n in counts.items():
            if n:
                entry(service)[kind] = n
    recipients = []
    for name, service, n, first, last in ctx.db.execute(
        select(R.c.recipient, R.c.service, func.count(), func.min(q.ts(R.c.sent_at)), func.max(q.ts(R.c.sent_at)))
        .where(_in_spans(ctx, R.c.sent_at, spans))
        .group_by(R.c.recipient, R.c.service)
        .order_by(R.c.recipient, R.c.service)
    ).all():
        listed = ctx.policies.transfers.recipient(str(name))
        recipients.append(
            {
                "recipient": str(name),
                "service": str(service),
                "country": listed.country if listed is not None else None,
                "reports": int(n),
                # the days of the first and the last report (UTC), for the report's gap statement
                "first_day": _day_of(first),
                "last_day": _day_of(last),
            }
        )
    return {"by_service": [by_service[k] for k in sorted(by_service)], "recipients": recipients}


def _day_of(value: Any) -> date:
    instant = SqlDialect.instant(value)
    assert instant is not None  # min/max over at least one row
    return instant.date()


def windows(spans: list[Span]) -> list[dict[str, date]]:
    return [{"from": s.closed()[0], "until": s.closed()[1]} for s in spans]


@rule(
    "SCOPE-2",
    "review",
    "Directive 2002/58/EC Art. 5(1) and 6(1) (no derogation in force on those days)",
    "every processing on days without a derogation in force is disclosed for a legal decision",
    "data",
    {
        "processing_volumes": ("service", "day", "items"),
        "detections": ("service", "flagged_at", "automated", "reviewed_at", "verdict", "erased_at"),
        "reports": ("service", "recipient", "sent_at"),
        "content_actions": ("service", "removed_at"),
        "account_actions": ("service", "taken_at"),
    },
)
def scope_2(ctx: CheckContext) -> Violation | None:
    spans = no_derogation_spans(ctx.period)
    if not spans:
        return None
    activity = gap_activity(ctx, spans)
    if not activity["by_service"]:
        return None
    totals = {k: sum(int(e[k]) for e in activity["by_service"]) for k in ("volume_rows", *KINDS)}
    # count: processing records (volume rows, flags, reviews, reports, removals, actions, held detections)
    count = sum(v for k, v in totals.items() if k != "scanned_items")
    span_text = ", ".join(f"{s.closed()[0]}..{s.closed()[1]}" for s in spans)
    countries = sorted({r["country"] or "not listed in transfers.md" for r in activity["recipients"]})
    return Violation(
        f"processing on days with no derogation in force ({span_text}): {totals['scanned_items']:,} item(s) scanned "
        f"({totals['volume_rows']:,} processing_volumes row(s)), {totals['automated_flags']:,} automated flag(s), "
        f"{totals['reviews']:,} human review(s), {totals['reports_sent']:,} report(s) sent"
        f"{' (to ' + ', '.join(countries) + ')' if countries else ''}, {totals['removals']:,} removal(s), "
        f"{totals['account_actions']:,} account action(s), {totals['held_unerased']:,} detection(s) held un-erased; "
        "a legal decision is needed",
        count,
        {"windows": windows(spans), "totals": totals, **activity},
    )
