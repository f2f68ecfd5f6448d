"""POLICY-1 (the policies describe the reported year) and DEADLINE-1 (the report is on time, Art. 3(1)(g)(vii))."""

from __future__ import annotations

from pathlib import Path

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.deadline import deadline_for
from csa_report.policies.history import document_name, spans
from csa_report.policies.loader import HISTORY, load_document
from csa_report.policies.models import DOCUMENTS, PolicyDocument
from csa_report.reference import questions_of_period
from csa_report.reference.naming import segments


@rule(
    "POLICY-1",
    "review",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(vii); Implementing Reg. (EU) "
    "2024/2916 Annex (the report describes the reporting period)",
    "every policy document quoted was in force when the period began, or changed with the legal regime",
    "policies",
)
def policy_1(ctx: CheckContext) -> Violation | None:
    late = [
        d for d in ctx.policies.documents() if d.effective_from > ctx.period.start and not _changed_with_regime(ctx, d)
    ]
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


def _changed_with_regime(ctx: CheckContext, doc: PolicyDocument) -> bool:
    """The version took effect on the first day of a legal regime of the period and the version before it (in
    the folder's history) covers the days before: the report then states each version for its days (sections
    2, 3, 7, 8 and 9), so the change has a regime reason and is no POLICY-1 finding."""
    boundaries = {s.first for s in segments(ctx.period.start, ctx.period.end)}
    if doc.effective_from not in boundaries:
        return False
    name = document_name(doc)
    kind, model = DOCUMENTS[name]
    history = ctx.policies.folder / HISTORY / Path(name).stem
    if not history.is_dir():
        return False
    older = [
        v for v in (load_document(p, kind, model) for p in sorted(history.glob("*.md"))) if v.version != doc.version
    ]
    return any(
        first <= ctx.period.start for _v, first, _until in spans(name, older) if _v.effective_from < doc.effective_from
    )
