"""DELAY-1, CORRECT-1, REDRESS-1: things the Regulation wants done in time (Art. 3(1)(j), (e), (g)(iv)).

Each threshold is the provider's own, from its policy documents (``measures.md`` ``reporting.max_hours``;
``retention.md`` ``redress.restore_within_hours`` and ``redress.decide_within_days``). Exactly at the threshold
holds; one second past it does not. Something not done yet counts only once its window has closed at as-of.
Delays are computed by the database in whole seconds; evidence is per category or channel (counts, median,
maximum), never a row.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import AccountAction, Complaint, ContentAction, Detection, Report, ReportItem

D = Detection.__table__
R = Report.__table__
RI = ReportItem.__table__
C = Complaint.__table__
CA = ContentAction.__table__
AA = AccountAction.__table__

HOUR = 3600
DAY = 24 * HOUR


def hours(seconds: Any) -> float | None:
    """Seconds as hours with one decimal, rounded half up (deterministic, whatever the driver returns)."""
    if seconds is None:
        return None
    return float((Decimal(str(seconds)) / HOUR).quantize(Decimal("0.1"), ROUND_HALF_UP))


def days(seconds: Any) -> float | None:
    if seconds is None:
        return None
    return float((Decimal(str(seconds)) / DAY).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _done_by(ctx: CheckContext, col: Any) -> ColumnElement[bool]:
    """``col`` is set and happened at or before as-of (later counts as not done yet)."""
    q = ctx.sql
    return and_(col.is_not(None), q.not_after(col, ctx.as_of))


def _late(ctx: CheckContext, start: Any, done: Any, seconds: int) -> ColumnElement[bool]:
    """Done more than ``seconds`` after ``start``, or not done by as-of although that window has closed."""
    q = ctx.sql
    deadline = q.plus_seconds(start, seconds)
    return or_(
        and_(_done_by(ctx, done), q.ts(done) > deadline),
        and_(not_(_done_by(ctx, done)), q.before(deadline, ctx.as_of)),
    )


@rule(
    "DELAY-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(j) (reported without delay)",
    "confirmed cases are reported without delay",
    "data",
    {
        "detections": ("id", "category", "reviewed_at", "verdict"),
        "reports": ("id", "sent_at"),
        "report_items": ("report_id", "detection_id"),
    },
)
def delay_1(ctx: CheckContext) -> Violation | None:
    """Detections confirmed in the period (verdict at or before as-of) whose first report came more than
    ``reporting.max_hours`` after ``reviewed_at``, or that are still unreported when that time has passed."""
    max_hours = ctx.policies.measures.reporting.max_hours
    q = ctx.sql
    first = (
        select(RI.c.detection_id.label("detection_id"), func.min(q.ts(R.c.sent_at)).label("sent"))
        .select_from(RI.join(R, R.c.id == RI.c.report_id))
        .where(q.not_after(R.c.sent_at, ctx.as_of))
        .group_by(RI.c.detection_id)
        .subquery()
    )
    sent = first.c.sent
    waited = q.seconds_between(D.c.reviewed_at, func.coalesce(sent, q.at(ctx.as_of)))
    offending = (
        select(
            D.c.category.label("category"),
            waited.label("delay"),
            case((sent.is_(None), 1), else_=0).label("unreported"),
        )
        .select_from(D.outerjoin(first, first.c.detection_id == D.c.id))
        .where(
            D.c.verdict == "confirmed",
            D.c.reviewed_at.is_not(None),
            q.ts(D.c.reviewed_at) >= q.at(ctx.period.start_at),
            q.ts(D.c.reviewed_at) < q.at(ctx.period.end_before),
            q.not_after(D.c.reviewed_at, ctx.as_of),
            _late(ctx, D.c.reviewed_at, sent, max_hours * HOUR),
        )
        .subquery()
    )
    ranked = select(
        offending.c.category,
        offending.c.delay,
        offending.c.unreported,
        func.row_number().over(partition_by=offending.c.category, order_by=offending.c.delay).label("rn"),
        func.count().over(partition_by=offending.c.category).label("n"),
    ).subquery()
    # the median: the middle row, or the mean of the two middle rows (integer division picks them)
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    stmt = (
        select(
            ranked.c.category,
            func.count(),
            func.sum(ranked.c.unreported),
            func.avg(case((middle, ranked.c.delay), else_=None)),
            func.max(ranked.c.delay),
        )
        .group_by(ranked.c.category)
        .order_by(ranked.c.category)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    by_category = [
        {
            "category": cat,
            "count": int(n),
            "unreported": int(unrep or 0),
            "median_delay_hours": hours(med),
            "max_delay_hours": hours(mx),
        }
        for cat, n, unrep, med, mx in rows
    ]
    return _counted(
        by_category,
        f"confirmed detection(s) were reported more than {max_hours} hour(s) after confirmation, or are still "
        "unreported after that time",
        {"max_hours": max_hours, "by_category": by_category},
    )


def _counted(groups: list[dict[str, Any]], what: str, evidence: dict[str, Any]) -> Violation:
    """The violation of late groups: their counts summed, the message "<total> <what>"."""
    total = sum(int(g["count"]) for g in groups)
    return Violation(f"{total} {what}", total, evidence)


def _restored_at() -> Any:
    return func.coalesce(CA.c.restored_at, AA.c.restored_at)


@rule(
    "CORRECT-1",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(e) (errors corrected without delay)",
    "a removal or account action reversed on complaint is undone in time",
    "data",
    {
        "complaints": ("content_action_id", "account_action_id", "channel", "subject", "decided_at", "outcome"),
        "content_actions": ("id", "restored_at"),
        "account_actions": ("id", "restored_at"),
    },
)
def correct_1(ctx: CheckContext) -> Violation | None:
    """Complaints decided ``restored`` in the period (at or before as-of) whose action was restored more than
    ``redress.restore_within_hours`` after ``decided_at``, or not at all by as-of once that time has passed."""
    limit = ctx.policies.retention.redress.restore_within_hours
    q = ctx.sql
    restored = _restored_at()
    waited = q.seconds_between(C.c.decided_at, case((_done_by(ctx, restored), restored), else_=q.at(ctx.as_of)))
    stmt = (
        select(
            C.c.channel,
            C.c.subject,
            func.count(),
            func.sum(case((_done_by(ctx, restored), 0), else_=1)),
            func.max(waited),
        )
        .select_from(C.outerjoin(CA, CA.c.id == C.c.content_action_id).outerjoin(AA, AA.c.id == C.c.account_action_id))
        .where(
            C.c.outcome == "restored",
            _done_by(ctx, C.c.decided_at),
            q.ts(C.c.decided_at) >= q.at(ctx.period.start_at),
            q.ts(C.c.decided_at) < q.at(ctx.period.end_before),
            _late(ctx, C.c.decided_at, restored, limit * HOUR),
        )
        .group_by(C.c.channel, C.c.subject)
        .order_by(C.c.channel, C.c.subject)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    groups = [
        {"channel": ch, "subject": sub, "count": int(n), "not_restored": int(nr or 0), "longest_hours": hours(mx)}
        for ch, sub, n, nr, mx in rows
    ]
    return _counted(
        groups,
        f"action(s) reversed on complaint were restored more than {limit} hour(s) after the decision, or not at all",
        {"restore_within_hours": limit, "by_channel": groups},
    )


@rule(
    "REDRESS-1",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(iv) (complaints dealt with within a reasonable time)",
    "internal complaints are decided in time",
    "data",
    {"complaints": ("channel", "subject", "lodged_at", "decided_at")},
)
def redress_1(ctx: CheckContext) -> Violation | None:
    """Internal complaints lodged in the period that were decided more than ``redress.decide_within_days``
    after lodging, or are still undecided at as-of after that time."""
    limit = ctx.policies.retention.redress.decide_within_days
    q = ctx.sql
    waited = q.seconds_between(
        C.c.lodged_at, case((_done_by(ctx, C.c.decided_at), C.c.decided_at), else_=q.at(ctx.as_of))
    )
    stmt = (
        select(C.c.subject, func.count(), func.sum(case((_done_by(ctx, C.c.decided_at), 0), else_=1)), func.max(waited))
        .where(
            C.c.channel == "internal",
            q.ts(C.c.lodged_at) >= q.at(ctx.period.start_at),
            q.ts(C.c.lodged_at) < q.at(ctx.period.end_before),
            q.not_after(C.c.lodged_at, ctx.as_of),
            _late(ctx, C.c.lodged_at, C.c.decided_at, limit * DAY),
        )
        .group_by(C.c.subject)
        .order_by(C.c.subject)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    groups = [
        {"subject": sub, "count": int(n), "undecided": int(u or 0), "longest_wait_days": days(mx)}
        for sub, n, u, mx in rows
    ]
    return _counted(
        groups,
        f"internal complaint(s) were decided more than {limit} day(s) after they were lodged, or are still "
        "undecided after that time",
        {"decide_within_days": limit, "by_subject": groups},
    )
