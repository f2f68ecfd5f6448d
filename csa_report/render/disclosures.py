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
from csa_report.reference.naming import Segment, instrument_name, segments
from csa_report.render.model import PositionEntry
from csa_report.render.scanning import ScanDays

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


def _sent_days(recipient: Mapping[str, Any]) -> str:
    first, last = recipient.get("first_day"), recipient.get("last_day")
    if first is None or last is None:
        return ""
    first, last = str(first)[:10], str(last)[:10]
    return f", on {first}" if first == last else f", from {first} to {last}"


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
                        f"{r['country'] or 'country not listed in transfers.md'}{_sent_days(r)}"
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
        sentences = [_service_gap_sentence(e, recipients) for e in evidence["by_service"]]
        # Each sentence opens "On <service>, …"; the first one carries "On those days" into it.
        sentences[0] = "On those days, o" + sentences[0][1:]
        parts.extend(sentences)
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


def scope_statements(
    policies: PolicySet,
    services: Sequence[str],
    start: date,
    end: date,
    scanning: Sequence[ScanDays] | None = None,
) -> tuple[str, ...]:
    """Per service, for a period that spans more than one regime or falls under one that excludes end-to-end
    encrypted communications: under each regime, the days it was scanned (from ``scanning``, the data) and, where
    the regime excludes end-to-end encryption, from which day it was excluded as encrypted. Without ``scanning``
    (no source database) only the days in scope are stated, never days scanned."""
    cut = segments(start, end)
    if len(cut) < 2 and not any(s.regime is not None and s.regime.excludes_e2ee for s in cut):
        return ()
    found = {(s.service, s.segment): s for s in scanning or ()}
    out = []
    for name in services:
        svc = policies.provider.service(name)
        parts = []
        for seg in cut:
            what = _scanned(policies, name, seg, found.get((name, seg.first)), scanning is not None)
            if svc is None and seg.regime is not None and seg.regime.excludes_e2ee:
                what += "; not listed in provider.md, so its encryption is not stated"
            elif svc is not None and seg.regime is not None and seg.regime.excludes_e2ee:
                what += _encrypted(svc.e2ee_from if svc.e2ee else None, seg)
            parts.append(f"{_under(seg)} ({seg.first.isoformat()} to {seg.last.isoformat()}, {seg.days} days): {what}")
        out.append(f"{name}: " + "; ".join(parts) + ".")
    return tuple(out)


def _under(seg: Segment) -> str:
    if seg.regime is None:
        return "under no legal regime of the reference data"
    if not seg.derogation:
        return "with no derogation in force"
    return f"under {instrument_name(seg.regime, seg.first)}"


def _span(first: date, last: date) -> str:
    n = (last - first).days + 1
    return f"{first.isoformat()} to {last.isoformat()} ({_n(n, 'day', 'days')})"


def _scanned(policies: PolicySet, service: str, seg: Segment, scan: ScanDays | None, counted: bool) -> str:
    allowed = days_in_scope(policies, service, seg)
    allowed_last = seg.first + timedelta(days=allowed - 1)
    if not counted:
        if not allowed:
            return "not in scope for scanning"
        return (
            f"in scope for scanning from {seg.first.isoformat()} to {allowed_last.isoformat()} "
            f"({_n(allowed, 'day', 'days')}; days scanned not counted)"
        )
    if scan is None or not scan.days:
        return "not scanned"
    if scan.days == allowed and scan.first == seg.first and scan.last == allowed_last:
        return f"scanned on every day from {_span(seg.first, allowed_last)}"
    text = f"scanned on {_n(scan.days, 'day', 'days')} between {scan.first.isoformat()} and {scan.last.isoformat()}"
    if not seg.derogation:
        return text + " although no derogation was in force"
    text += f" ({_n(allowed, 'day', 'days')} in scope)"
    if scan.encrypted:
        text += f", {scan.encrypted:,} of them on days it was end-to-end encrypted"
    return text


def _encrypted(e2ee_from: date | None, seg: Segment) -> str:
    if e2ee_from is None:
        return "; not end-to-end encrypted"
    if e2ee_from > seg.last:
        return f"; not end-to-end encrypted in these days (end-to-end encrypted from {e2ee_from.isoformat()})"
    if e2ee_from <= seg.first:
        return f"; end-to-end encrypted, so excluded from scanning on all {seg.days} days"
    return (
        f"; end-to-end encrypted from {e2ee_from.isoformat()}, so excluded from scanning from "
        f"{_span(e2ee_from, seg.last)}"
    )


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
