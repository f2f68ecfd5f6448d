"""RET-1..5: retention of detected material (Art. 3(1)(h)-(i) of the Regulation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from sqlalchemy import and_, case, func, literal, not_, or_, select

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import Detection

#: The Regulation's ceiling: 12 months from identification (Art. 3(1)(i)), read as 365 days.
CEILING_DAYS: Final = 365

D = Detection.__table__

_DETECTION_COLS: Final = ("service", "flagged_at", "reviewed_at", "verdict", "erased_at", "hold_ref")


def _no_hold() -> Any:
    return or_(D.c.hold_ref.is_(None), D.c.hold_ref == "")


def _not_found_benign(ctx: CheckContext) -> Any:
    """Not (yet) cleared as not abuse at as-of: confirmed, unreviewed, or with a verdict given after as-of (a
    verdict after as-of counts as none yet). RET-2 owns what a reviewer found not to be abuse."""
    q = ctx.sql
    cleared = and_(D.c.verdict == "not_abuse", D.c.reviewed_at.is_not(None), q.not_after(D.c.reviewed_at, ctx.as_of))
    return or_(D.c.verdict.is_(None), not_(cleared))


@rule(
    "RET-1",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(i)",
    "flagged material is not kept beyond the retention limit",
    "data",
    {"detections": _DETECTION_COLS},
)
def ret_1(ctx: CheckContext) -> Violation | None:
    """Detections confirmed or not yet reviewed, flagged more than min(policy, 365) days before as-of, not
    erased by then, without a hold. Unreviewed items count too: leaving an item in the review queue must not
    keep it forever."""
    policy_days = ctx.policies.retention.rule("confirmed_content").max_days
    limit = min(policy_days, CEILING_DAYS)
    cutoff = ctx.as_of - timedelta(days=limit)
    q = ctx.sql
    reviewed = and_(D.c.verdict.is_not(None), D.c.reviewed_at.is_not(None), q.not_after(D.c.reviewed_at, ctx.as_of))
    state = case((reviewed, D.c.verdict), else_=literal("unreviewed"))
    stmt = (
        select(
            D.c.service, state.label("state"), func.count().label("n"), func.min(q.ts(D.c.flagged_at)).label("oldest")
        )
        .where(
            _not_found_benign(ctx),
            _no_hold(),
            or_(D.c.erased_at.is_(None), q.after(D.c.erased_at, ctx.as_of)),
            q.ts(D.c.flagged_at) < q.at(cutoff),
        )
        .group_by(D.c.service, state)
        .order_by(D.c.service, state)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    by_service: dict[str, dict[str, Any]] = {}
    for service, st, n, oldest in rows:
        first = q.instant(oldest)
        entry = by_service.setdefault(
            service, {"service": service, "count": 0, "confirmed": 0, "unreviewed": 0, "oldest_days": 0}
        )
        entry["count"] += int(n)
        entry["confirmed" if st == "confirmed" else "unreviewed"] += int(n)
        if first is not None:
            entry["oldest_days"] = max(entry["oldest_days"], (ctx.as_of - first).days)
    total = sum(int(r[2]) for r in rows)
    return Violation(
        f"{total} confirmed or unreviewed detection(s) older than the {limit}-day retention limit are still kept "
        "at as-of without a legal hold",
        total,
        {"limit_days": limit, "by_service": [by_service[k] for k in sorted(by_service)]},
    )


@rule(
    "RET-5",
    "review",
    'Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(h)(v) and (i) ("in any event" 12 months)',
    "material kept under a legal hold for more than 12 months is listed for legal review",
    "data",
    {"detections": _DETECTION_COLS},
)
def ret_5(ctx: CheckContext) -> Violation | None:
    """Held detections flagged more than 365 days before as-of and still kept: counted per hold reference
    (a case number of the authority's request, not personal data)."""
    cutoff = ctx.as_of - timedelta(days=CEILING_DAYS)
    q = ctx.sql
    stmt = (
        select(D.c.hold_ref, func.count().label("n"), func.min(q.ts(D.c.flagged_at)).label("oldest"))
        .where(
            not_(_no_hold()),
            or_(D.c.erased_at.is_(None), q.after(D.c.erased_at, ctx.as_of)),
            q.ts(D.c.flagged_at) < q.at(cutoff),
        )
        .group_by(D.c.hold_ref)
        .order_by(D.c.hold_ref)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    holds = []
    for hold, n, oldest in rows:
        first = q.instant(oldest)
        holds.append({"hold_ref": hold, "count": int(n), "oldest_days": (ctx.as_of - first).days if first else None})
    total = sum(h["count"] for h in holds)
    return Violation(
        f"{total} detection(s) under {len(holds)} legal hold(s) are kept more than {CEILING_DAYS} days after they "
        "were flagged; whether another law compels keeping them is a legal decision",
        total,
        {"ceiling_days": CEILING_DAYS, "holds": holds},
    )


@rule(
    "RET-2",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(h)-(i); GDPR Art. 5(1)(e)",
    "material found not to be abuse is erased in time",
    "data",
    {"detections": _DETECTION_COLS},
)
def ret_2(ctx: CheckContext) -> Violation | None:
    """not_abuse detections reviewed at or before as-of, in any period, not erased within max_days (0 = one
    day) of review. Earlier years count too: data left over from them is still kept unlawfully."""
    policy_days = ctx.policies.retention.rule("not_abuse").max_days
    allowed = max(policy_days, 1)
    q = ctx.sql
    deadline = q.plus_days(D.c.reviewed_at, allowed)
    erased_by_as_of = and_(D.c.erased_at.is_not(None), q.not_after(D.c.erased_at, ctx.as_of))
    late = or_(
        and_(erased_by_as_of, q.ts(D.c.erased_at) > deadline),  # erased, but after the deadline
        and_(not_(erased_by_as_of), q.before(deadline, ctx.as_of)),  # still kept after the deadline
    )
    before = case(
        (q.ts(D.c.reviewed_at) < q.at(ctx.period.start_at), literal("before_period")), else_=literal("in_period")
    )
    stmt = (
        select(D.c.service, before.label("when"), func.count().label("n"))
        .where(
            D.c.verdict == "not_abuse",
            D.c.reviewed_at.is_not(None),
            q.not_after(D.c.reviewed_at, ctx.as_of),
            late,
        )
        .group_by(D.c.service, before)
        .order_by(D.c.service, before)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    by_service: dict[str, dict[str, Any]] = {}
    for service, when, n in rows:
        entry = by_service.setdefault(service, {"service": service, "count": 0, "reviewed_before_period": 0})
        entry["count"] += int(n)
        if when == "before_period":
            entry["reviewed_before_period"] += int(n)
    total = sum(int(r[2]) for r in rows)
    return Violation(
        f"{total} detection(s) found not to be abuse were not erased within {allowed} day(s) of review",
        total,
        {
            "allowed_days": allowed,
            "policy_max_days": policy_days,
            "by_service": [by_service[k] for k in sorted(by_service)],
        },
    )


@rule(
    "RET-3",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(i)",
    "the policy keeps confirmed material at most 12 months",
    "policies",
)
def ret_3(ctx: CheckContext) -> Violation | None:
    r = ctx.policies.retention.rule("confirmed_content")
    if r.max_days <= CEILING_DAYS:
        return None
    return Violation(
        f"retention.md keeps confirmed_content for {r.max_days} days; the Regulation allows at most "
        f"{CEILING_DAYS} days from identification",
        1,
        {"data": "confirmed_content", "max_days": r.max_days, "ceiling_days": CEILING_DAYS},
    )


@rule(
    "RET-4",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(i); GDPR Art. 5(1)(e)",
    "longer-kept categories are listed for legal review",
    "policies",
)
def ret_4(ctx: CheckContext) -> Violation | None:
    longer = [r for r in ctx.policies.retention.rules if r.data != "confirmed_content" and r.max_days > CEILING_DAYS]
    if not longer:
        return None
    names = ", ".join(f"{r.data} ({r.max_days} days)" for r in longer)
    return Violation(
        f"retention.md keeps {names} longer than 12 months; whether this falls under the Art. 3(1)(i) "
        "ceiling is a legal decision",
        len(longer),
        {"categories": [{"data": r.data, "max_days": r.max_days, "purposes": list(r.purposes)} for r in longer]},
    )
