"""What the law needs the report to say in words, built from the reference data, the policies and the findings:
the provider's positions on the open legal questions, what happened on days without a derogation (SCOPE-2's
counts), and, per service, on which days it was scanned under which regime and from when it was excluded as end-
to-end encrypted. Pure: the sentences are computed, never assumed; the templates print them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from csa_report.policies.models import PolicySet
from csa_report.reference import questions_of_period
from csa_report.reference.naming import Segment, segments
from csa_report.render.model import PositionEntry

GAP_RULE = "SCOPE-2"

#: Each kind of processing SCOPE-2 counts, as the report says it (singular, plural).
_KIND_WORDS: tuple[tuple[str, str, str], ...] = (
    ("reports_sent", "report was sent", "reports were sent"),
    ("removals", "item was removed", "items were removed"),
    ("account_actions", "account action was taken", "account actions were taken"),
    ("reviews", "human review was completed", "human reviews were completed"),
    ("automated_flags", "item was flagged automatically", "items were flagged automatically"),
    ("held_unerased", "detected item was still held un-erased", "detected items were still held un-erased"),
)


def _n(value: int, one: str, many: str) -> str:
    return f"{value:,} {one if value == 1 else many}"


def legal_positions(policies: PolicySet, start: date, end: date) -> tuple[PositionEntry, ...]:
    """Each open question of the period with the provider's answer (or the statement that there is none)."""
    answers = policies.provider.legal_positions
    out = []
    for regime, q in questions_of_period(start, end):
        question = " ".join(q.question.split())
        a = answers.get(q.id)
        if a is None:
            text = f"{question} The provider has not stated a position (see the findings in the annex)."
            out.append(PositionEntry(id=q.id, regime=regime.id, where=q.where, question=question, text=text))
            continue
        answer = " ".join(a.answer.split())
        text = f"{question} Position of {policies.provider.provider} ({a.by}, {a.date.isoformat()}): {answer}"
        out.append(
            PositionEntry(
                id=q.id,
                regime=regime.id,
                where=q.where,
                question=question,
                answered=True,
                answer=answer,
                by=a.by,
                date=a.date.isoformat(),
                text=text,
            )
        )
    return tuple(out)


def _gap_evidence(findings: Sequence[Any]) -> Mapping[str, Any] | None:
    for f in findings:
        if f.rule == GAP_RULE:
            evidence: Mapping[str, Any] = getattr(f, "evidence", None) or {}
            return evidence
    return None


def _service_gap_sentence(entry: Mapping[str, Any], recipients: Sequence[Mapping[str, Any]]) -> str:
    service = entry["service"]
    done: list[str] = []
    for key, one, many in _KIND_WORDS:
        n = int(entry.get(key, 0))
        if not n:
            continue
        text = _n(n, one, many)
        if key == "reports_sent":
            to = [r for r in recipients if r["service"] == service]
            if to:
                text += (
                    " ("
                    + "; ".join(
                        f"{_n(int(r['reports']), 'report', 'reports')} to {r['recipient']}, "
                        f"{r['country'] or 'country not listed in transfers.md'}"
                        for r in to
                    )
                    + ")"
                )
        done.append(text)
    items, days = int(entry.get("scanned_items", 0)), int(entry.get("scanning_days", 0))
    scanning = (
        f"{_n(items, 'item was', 'items were')} scanned on {_n(days, 'day', 'days')}"
        if items
        else "no communications were scanned"
    )
    if not done:
        return f"On {service}, {scanning}."
    return f"On {service}, {scanning}; " + ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1] + "."


def gap_statement(
    policies: PolicySet, start: date, end: date, findings: Sequence[Any], positions: Sequence[PositionEntry]
) -> str:
    """What happened on the period's days without a derogation, in plain words with SCOPE-2's counts and the
    provider's position; "" when every day of the period had a derogation."""
    gaps = [s for s in segments(start, end) if not s.derogation]
    if not gaps:
        return ""
    parts = [" ".join(_gap_days(g) for g in gaps)]
    evidence = _gap_evidence(findings)
    if evidence is None or not evidence.get("by_service"):
        parts.append(
            "The data show no processing on those days: no communications were scanned or flagged, no review was "
            "completed, no report was sent, no item was removed, no account action was taken and no detected item "
            "was held."
        )
    else:
        recipients = evidence.get("recipients", ())
        parts.append("On those days:")
        parts.extend(_service_gap_sentence(e, recipients) for e in evidence["by_service"])
        parts.append("The findings in the annex list these counts for legal review.")
    gap_positions = [p for p in positions if p.where == "section-1"]
    parts.extend(p.text for p in gap_positions)
    return " ".join(parts)


def _gap_days(g: Segment) -> str:
    reason = ""
    if g.regime is not None:
        reason = g.regime.name.removeprefix("No derogation in force").strip(" ()")
    because = f" ({reason})" if reason else " (no legal regime of the reference data covers them)"
    return (
        f"From {g.first.isoformat()} to {g.last.isoformat()} ({g.days} days of this period) no derogation was "
        f"in force{because}."
    )


def e2ee_statements(policies: PolicySet, services: Sequence[str], start: date, end: date) -> tuple[str, ...]:
    """Per service, under each regime that excludes end-to-end encrypted communications: the days it was in
    scope for scanning and the day from which it was excluded as end-to-end encrypted."""
    excluding = [s for s in segments(start, end) if s.regime is not None and s.regime.excludes_e2ee]
    if not excluding:
        return ()
    out = []
    for name in services:
        svc = policies.provider.service(name)
        for seg in excluding:
            assert seg.regime is not None
            law = seg.regime.name
            if svc is None:
                out.append(f"{name}: not listed in provider.md, so its encryption under {law} is not stated.")
                continue
            e2ee_from = svc.e2ee_from if svc.e2ee else None
            if e2ee_from is None or e2ee_from > seg.last:
                later = (
                    f"; it becomes end-to-end encrypted on {e2ee_from.isoformat()}, after this period"
                    if e2ee_from is not None
                    else ""
                )
                out.append(
                    f"{name}: in scope of {law} from {seg.first.isoformat()} to {seg.last.isoformat()} "
                    f"({seg.days} days); not end-to-end encrypted{later}."
                )
            elif e2ee_from <= seg.first:
                out.append(
                    f"{name}: end-to-end encrypted throughout {law} in this period ({seg.first.isoformat()} to "
                    f"{seg.last.isoformat()}), so excluded from scanning on all {seg.days} days."
                )
            else:
                last_scan = e2ee_from - timedelta(days=1)
                scanned = (last_scan - seg.first).days + 1
                out.append(
                    f"{name}: in scope of {law} from {seg.first.isoformat()} to {last_scan.isoformat()} "
                    f"({scanned} days); end-to-end encrypted from {e2ee_from.isoformat()}, and excluded from "
                    f"scanning from that day to {seg.last.isoformat()} ({seg.days - scanned} days)."
                )
    return tuple(out)


def days_in_scope(policies: PolicySet, service: str, seg: Segment) -> int:
    """The days of ``seg`` on which ``service`` could lawfully be scanned: none without a derogation; under a
    regime that excludes end-to-end encryption, the days before the service's ``e2ee_from``."""
    if not seg.derogation or seg.regime is None:
        return 0
    svc = policies.provider.service(service)
    if not seg.regime.excludes_e2ee or svc is None or not svc.e2ee or svc.e2ee_from is None:
        return seg.days
    if svc.e2ee_from <= seg.first:
        return 0
    return min(seg.days, (svc.e2ee_from - seg.first).days)
