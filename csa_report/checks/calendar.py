"""POLICY-1 (the policies describe the reported year) and DEADLINE-1 (the report is on time, Art. 3(1)(g)(vii))."""

from __future__ import annotations

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.deadline import deadline_for
from csa_report.reference import questions_of_period


@rule(
    "POLICY-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vii); Implementing Reg. (EU) "
    "2024/2916 Annex (the report describes the reporting period)",
    "every policy document quoted was in force when the period began",
    "policies",
)
def policy_1(ctx: CheckContext) -> Violation | None:
    late = [d for d in ctx.policies.documents() if d.effective_from > ctx.period.start]
    if not late:
        return None
    names = ", ".join(f"{d.path.name or d.kind} (from {d.effective_from.isoformat()})" for d in late)
    return Violation(
        f"{len(late)} policy document(s) took effect after the period began on {ctx.period.start.isoformat()}: "
        f"{names}; the report may describe another year's practice",
        len(late),
        {
            "period_start": ctx.period.start,
            "documents": [
                {"file": d.path.name, "kind": d.kind, "version": d.version, "effective_from": d.effective_from}
                for d in late
            ],
        },
    )


@rule(
    "DEADLINE-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vii) (report by 31 January)",
    "the report is not past its deadline",
    "policies",
)
def deadline_1(ctx: CheckContext) -> Violation | None:
    deadline = deadline_for(ctx.period)
    late = -deadline.days_left(ctx.as_of)
    if late <= 0:
        return None
    return Violation(
        f"the report on {ctx.period} was due by {deadline.due.isoformat()}; at as-of it is {late} day(s) "
        f"late{_deadline_reading(ctx, deadline.confirmed)}",
        late,
        {"due": deadline.due, "days_late": late, "deadline_confirmed": deadline.confirmed},
    )


def _deadline_reading(ctx: CheckContext, confirmed: bool) -> str:
    """Where the law leaves the deadline open, the provider's position on it (the tool states no doubt of its
    own); "" when the regime's text settles it."""
    if confirmed:
        return ""
    qid = next(
        (q.id for _r, q in questions_of_period(ctx.period.start, ctx.period.end) if q.settles == "DEADLINE-1"), None
    )
    answer = ctx.policies.provider.legal_positions.get(qid) if qid is not None else None
    if answer is None:
        return (
            "; the deadline is an open legal question"
            + (f" ({qid!r})" if qid else "")
            + " on which provider.md legal_positions states no position"
        )
    return f"; position of {answer.by} ({answer.date.isoformat()}) on the deadline: {' '.join(answer.answer.split())}"
