"""RET-6 (a legal hold in the data is declared as an exception in retention.md) and RET-7 (data found not to be
abuse has no retention purpose): the statements of section 8 agree with the policy and with the data.

A detection kept under a legal hold (``hold_ref``) is kept beyond the retention limit; the report prints the
limit with the exceptions retention.md declares, so a hold the policy does not declare would make the printed
limit untrue. Data found not to be abuse must be erased (Art. 3(1)(h) of the Regulation lists no purpose for
it); a purpose listed for it is never printed, and is reported so that the policy is corrected.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import case, func, literal, not_, or_, select

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import Detection

D = Detection.__table__
_COLS: Final = ("service", "flagged_at", "verdict", "erased_at", "hold_ref")


@rule(
    "RET-6",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(h)-(i); GDPR Art. 5(1)(e) and 13 (the limit printed is the one "
    "applied)",
    "every legal hold in the data is declared as an exception to its retention rule",
    "data",
    {"detections": _COLS},
)
def ret_6(ctx: CheckContext) -> Violation | None:
    """Held detections flagged by the period's end and not erased before it began, whose retention rule
    (not_abuse for a not-abuse verdict, confirmed_content otherwise) declares no exception: counted per rule."""
    r = ctx.policies.retention
    undeclared = [d for d in ("confirmed_content", "not_abuse") if not r.rule(d).exceptions]
    if not undeclared:
        return None
    q = ctx.sql
    data = case((D.c.verdict == "not_abuse", literal("not_abuse")), else_=literal("confirmed_content"))
    stmt = (
        select(data.label("data"), func.count().label("n"), func.count(func.distinct(D.c.hold_ref)).label("holds"))
        .where(
            not_(or_(D.c.hold_ref.is_(None), D.c.hold_ref == "")),
            q.ts(D.c.flagged_at) < q.at(ctx.period.end_before),
            or_(D.c.erased_at.is_(None), q.ts(D.c.erased_at) >= q.at(ctx.period.start_at)),
        )
        .group_by(data)
        .order_by(data)
    )
    rows = [(str(d), int(n), int(h)) for d, n, h in ctx.db.execute(stmt).all() if d in undeclared]
    if not rows:
        return None
    total = sum(n for _, n, _ in rows)
    names = "; ".join(f"{n} detection(s) under {h} hold(s) for {d}" for d, n, h in rows)
    return Violation(
        f"legal holds in the data that retention.md does not declare as an exception: {names}; section 8 prints "
        "the limit with the declared exceptions only (add exceptions with reason and legal_basis to the rule)",
        total,
        {"by_data": [{"data": d, "detections": n, "holds": h} for d, n, h in rows]},
    )


@rule(
    "RET-7",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(h) (data not found to be abuse is erased; it has no purpose)",
    "the retention rule for data found not to be abuse lists no purpose",
    "policies",
)
def ret_7(ctx: CheckContext) -> Violation | None:
    purposes = ctx.policies.retention.rule("not_abuse").purposes
    if not purposes:
        return None
    return Violation(
        f"retention.md lists purposes for data found not to be abuse ({', '.join(purposes)}); such data is erased "
        "after review and has no purpose: the report does not print them (remove them from the rule)",
        len(purposes),
        {"data": "not_abuse", "purposes": list(purposes)},
    )
