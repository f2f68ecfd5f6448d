"""POSITION-1: every open legal question of the period (reference data) has the provider's answer.

The reference data lists what the law leaves open for each regime (which form, which deadline, how to read
Art. 1(3) of 2026/1881, why a segment of an expired act is reported, what happened on days without a
derogation); provider.md ``legal_positions`` answers them. The report prints each answer where it applies, so an
unanswered question is a gap in the report itself, for a legal decision.
"""

from __future__ import annotations

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.reference import questions_of_period


@rule(
    "POSITION-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vii) (the report states the provider's reading of open points)",
    "every open legal question of the period has the provider's position",
    "policies",
)
def position_1(ctx: CheckContext) -> Violation | None:
    answered = ctx.policies.provider.legal_positions
    missing = [
        {"id": q.id, "regime": r.id, "question": " ".join(q.question.split())}
        for r, q in questions_of_period(ctx.period.start, ctx.period.end)
        if q.id not in answered
    ]
    if not missing:
        return None
    ids = ", ".join(m["id"] for m in missing)
    return Violation(
        f"{len(missing)} open legal question(s) of the period have no position in provider.md legal_positions "
        f"({ids}); the report prints them unanswered",
        len(missing),
        {"questions": missing},
    )
