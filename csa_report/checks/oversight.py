"""HUMAN-1 (prior human confirmation, Art. 3(1)(g)(iii)) and NOTICE-1 (user information, Art. 3(1)(g)(vi))."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.schema import AccountAction, Report

R = Report.__table__
AA = AccountAction.__table__


@rule("HUMAN-1", "blocking", "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(iii)",
      "new material and solicitation are confirmed by a human before reporting", "data",
      {"reports": ("service", "category", "sent_at", "human_confirmed_at")})
def human_1(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    stmt = (
        select(R.c.service, R.c.category, func.count().label("n"))
        .where(
            R.c.category.in_(("new_csam", "solicitation")),
            q.ts(R.c.sent_at) >= q.at(ctx.period.start_at),
            q.ts(R.c.sent_at) < q.at(ctx.period.end_before),
            or_(R.c.human_confirmed_at.is_(None), q.ts(R.c.human_confirmed_at) > q.ts(R.c.sent_at)),
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
        "before sending",
        total, {"by_service": [{"service": s, "category": c, "count": int(n)} for s, c, n in rows]},
    )


@rule("NOTICE-1", "warning", "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vi)",
      "users are told of account actions and their redress options", "data",
      {"account_actions": ("service", "action", "taken_at", "user_notified_at")})
def notice_1(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    stmt = (
        select(AA.c.service, AA.c.action, func.count().label("n"))
        .where(
            q.ts(AA.c.taken_at) >= q.at(ctx.period.start_at),
            q.ts(AA.c.taken_at) < q.at(ctx.period.end_before),
            or_(AA.c.user_notified_at.is_(None), q.ts(AA.c.user_notified_at) > q.at(ctx.as_of)),
        )
        .group_by(AA.c.service, AA.c.action)
        .order_by(AA.c.service, AA.c.action)
    )
    rows = ctx.db.execute(stmt).all()
    if not rows:
        return None
    total = sum(int(r[2]) for r in rows)
    return Violation(
        f"{total} account action(s) taken in the period have no record that the user was notified",
        total, {"by_service": [{"service": s, "action": a, "count": int(n)} for s, a, n in rows]},
    )
