"""HUMAN-1 (prior human confirmation, Art. 3(1)(g)(iii)) and NOTICE-1 (user information, Art. 3(1)(g)(vi))."""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, literal, not_, or_, select

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import AccountAction, ContentAction, Detection, Report, ReportItem

R = Report.__table__
AA = AccountAction.__table__
CA = ContentAction.__table__
D = Detection.__table__
RI = ReportItem.__table__


@rule(
    "HUMAN-1",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(iii)",
    "new material and solicitation are confirmed by a human before reporting",
    "data",
    {
        "reports": ("id", "service", "category", "sent_at", "human_confirmed_at"),
        "report_items": ("report_id", "detection_id"),
        "detections": ("id", "reviewed_at", "verdict"),
    },
)
def human_1(ctx: CheckContext) -> Violation | None:
    """Reports of new material or solicitation sent in the period without a report-level confirmation at or
    before sending, or with an item that has no ``confirmed`` verdict reviewed at or before sending. The
    report-level timestamp alone is not trusted: every item must show its own human verdict."""
    q = ctx.sql
    confirmed_in_time = and_(
        D.c.verdict == "confirmed", D.c.reviewed_at.is_not(None), q.ts(D.c.reviewed_at) <= q.ts(R.c.sent_at)
    )
    unconfirmed_item = exists(
        select(RI.c.detection_id)
        .select_from(RI.join(D, D.c.id == RI.c.detection_id))
        .where(RI.c.report_id == R.c.id, not_(confirmed_in_time))
    )
    no_report_confirmation = or_(R.c.human_confirmed_at.is_(None), q.ts(R.c.human_confirmed_at) > q.ts(R.c.sent_at))
    stmt = (
        select(
            R.c.service,
            R.c.category,
            func.count().label("n"),
            func.sum(case((no_report_confirmation, 1), else_=0)).label("no_report_confirmation"),
            func.sum(case((unconfirmed_item, 1), else_=0)).label("unconfirmed_items"),
        )
        .where(
            R.c.category.in_(("new_csam", "solicitation")),
            q.ts(R.c.sent_at) >= q.at(ctx.period.start_at),
            q.ts(R.c.sent_at) < q.at(ctx.period.end_before),
            or_(no_report_confirmation, unconfirmed_item),
        )
        .group_by(R.c.service, R.c.category)
        .order_by(R.c.service, R.c.category)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    total = sum(int(r[2]) for r in rows)
    return Violation(
        f"{total} report(s) of new material or solicitation were sent without a human confirmation at or "
        "before sending (of the report, or of each of its items)",
        total,
        {
            "by_service": [
                {
                    "service": s,
                    "category": c,
                    "count": int(n),
                    "without_report_confirmation": int(a or 0),
                    "with_unconfirmed_items": int(b or 0),
                }
                for s, c, n, a, b in rows
            ]
        },
    )


@rule(
    "NOTICE-1",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vi)",
    "users are told of account actions and content removals and of their redress options",
    "data",
    {
        "account_actions": ("service", "action", "taken_at", "user_notified_at"),
        "content_actions": ("service", "removed_at", "user_notified_at"),
    },
)
def notice_1(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    stmt = (
        select(AA.c.service, AA.c.action, func.count().label("n"))
        .where(
            q.ts(AA.c.taken_at) >= q.at(ctx.period.start_at),
            q.ts(AA.c.taken_at) < q.at(ctx.period.end_before),
            or_(AA.c.user_notified_at.is_(None), q.after(AA.c.user_notified_at, ctx.as_of)),
        )
        .group_by(AA.c.service, AA.c.action)
    )
    removals = (
        select(CA.c.service, literal("remove").label("action"), func.count().label("n"))
        .where(
            q.ts(CA.c.removed_at) >= q.at(ctx.period.start_at),
            q.ts(CA.c.removed_at) < q.at(ctx.period.end_before),
            or_(CA.c.user_notified_at.is_(None), q.after(CA.c.user_notified_at, ctx.as_of)),
        )
        .group_by(CA.c.service)
    )
    rows = sorted(
        (str(s), str(a), int(n)) for s, a, n in [*ctx.db.execute(stmt).all(), *ctx.db.execute(removals).all()]
    )
    if not rows:
        return None
    total = sum(n for _, _, n in rows)
    actions = sum(n for _, a, n in rows if a != "remove")
    return Violation(
        f"{total} action(s) taken in the period have no record that the user was notified "
        f"({actions} account action(s), {total - actions} content removal(s))",
        total,
        {"by_service": [{"service": s, "action": a, "count": n} for s, a, n in rows]},
    )
