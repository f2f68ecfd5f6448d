"""XFER-1..4: recipients and their GDPR Chapter V grounds (Art. 44-49), checked per report on ``sent_at``.

A recipient outside the EEA has a ground on a day when one of these holds on that day:

* an Art. 45 adequacy decision (reference data) is in force for its country, or for the organisation itself;
  where the decision covers only some recipients, the recipient must show it is covered that day: for the US
  (EU-US Data Privacy Framework) it is marked ``dpf_certified`` with ``dpf_certified_from`` on or before that
  day; elsewhere (Canada: PIPEDA) it lists an article "45" ground valid that day;
* it lists an Art. 46 or 47 ground valid that day; a 46(2)(c) ground must name Commission standard contractual
  clauses known to the reference data, valid that day (the pre-2021 clauses end on 2022-12-27);
* it lists an Art. 49 derogation valid that day (a ground, but flagged for legal review by XFER-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, not_, or_, select

from csa_report.checks.intervals import Span
from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.policies.models import Recipient, TransferGround
from csa_report.reference import adequacy_decisions, eea_members, instruments
from csa_report.source_schema import Report

R = Report.__table__
_REPORT_COLS = ("recipient", "sent_at")


def is_derogation(article: str) -> bool:
    return article.startswith("49")


#: The country whose adequacy decision (the EU-US Data Privacy Framework) covers certified organisations only:
#: it counts only for a recipient marked ``dpf_certified`` in transfers.md, from its certification date. A
#: provider's own certification, listed as an article "45" ground, does not cover the recipient.
DPF_COUNTRY = "US"


def ground_spans(recipient: Recipient) -> list[Span]:
    """The days on which transfers to ``recipient`` (outside the EEA) have a Chapter V ground."""
    spans: list[Span] = []
    evidence = [Span(g.valid_from, g.valid_until) for g in recipient.grounds if g.article == "45"]
    if recipient.country == DPF_COUNTRY:
        evidence = (
            [Span(recipient.dpf_certified_from, recipient.dpf_certified_until)]
            if recipient.dpf_certified and recipient.dpf_certified_from is not None
            else []
        )
    for decision in adequacy_decisions():
        if decision.country == recipient.country or (
            decision.organisation is not None and decision.organisation == recipient.name
        ):
            in_force = Span(decision.in_force_from, decision.in_force_until)
            if decision.restricted_scope:
                spans += [s for e in evidence if (s := in_force.intersect(e)) is not None]
            else:
                spans.append(in_force)
    for ground in recipient.grounds:
        spans += _listed_ground_spans(ground)
    return sorted(spans)


def _listed_ground_spans(ground: TransferGround) -> list[Span]:
    listed = Span(ground.valid_from, ground.valid_until)
    if ground.article == "45":
        return []  # only with an adequacy decision in force (above)
    if ground.article == "46(2)(c)":
        # the clauses must be ones the Commission adopted; if the text names several, all must be valid
        named = [inst for inst in instruments() if inst.matches(ground.instrument)]
        span: Span | None = listed if named else None
        for inst in named:
            span = span.intersect(Span(inst.valid_from, inst.valid_until)) if span is not None else None
        return [span] if span is not None else []
    return [listed]


def has_ground_on(recipient: Recipient, day: date) -> bool:
    """Pure form of XFER-2 for one day (used by tests and the report's section 3)."""
    if recipient.country in eea_members():
        return True
    return any(s.contains(day) for s in ground_spans(recipient))


def _recipients_in_period(ctx: CheckContext) -> list[tuple[str, int]]:
    q = ctx.sql
    stmt = (
        select(R.c.recipient, func.count().label("n"))
        .where(q.ts(R.c.sent_at) >= q.at(ctx.period.start_at), q.ts(R.c.sent_at) < q.at(ctx.period.end_before))
        .group_by(R.c.recipient)
        .order_by(R.c.recipient)
    )
    return [(str(r), int(n)) for r, n in ctx.db.execute(stmt).all()]


@rule(
    "XFER-1",
    "blocking",
    "Reg. (EU) 2021/1232 Art. 3(1)(g)(vii) items 3 and 9, Art. 7; GDPR Chapter V",
    "every recipient of reports is listed in transfers.md",
    "data",
    {"reports": _REPORT_COLS},
)
def xfer_1(ctx: CheckContext) -> Violation | None:
    listed = {r.name for r in ctx.policies.transfers.recipients}
    unlisted = [(name, n) for name, n in _recipients_in_period(ctx) if name not in listed]
    if not unlisted:
        return None
    total = sum(n for _, n in unlisted)
    names = ", ".join(repr(name) for name, _ in unlisted)
    return Violation(
        f"{total} report(s) went to recipient(s) not listed in transfers.md: {names}",
        total,
        {"recipients": [{"recipient": name, "reports": n} for name, n in unlisted]},
    )


@rule(
    "XFER-2",
    "blocking",
    "GDPR Art. 44-46 (Chapter V); Implementing Decision (EU) 2021/914 Art. 4",
    "every report outside the EEA had a transfer ground on its sending day",
    "data",
    {"reports": _REPORT_COLS},
)
def xfer_2(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    eea = eea_members()
    failing: list[dict[str, Any]] = []
    sent = dict(_recipients_in_period(ctx))
    for recipient in ctx.policies.transfers.recipients:
        if recipient.country in eea or recipient.name not in sent:
            continue
        spans = ground_spans(recipient)
        conditions = [
            R.c.recipient == recipient.name,
            q.ts(R.c.sent_at) >= q.at(ctx.period.start_at),
            q.ts(R.c.sent_at) < q.at(ctx.period.end_before),
        ]
        if spans:
            conditions.append(not_(or_(*(q.between_days(R.c.sent_at, s.first, s.last) for s in spans))))
        stmt = select(func.count(), func.min(q.ts(R.c.sent_at)), func.max(q.ts(R.c.sent_at))).where(*conditions)
        n, first, last = ctx.db.execute(stmt).one()
        if n:
            first_at, last_at = q.instant(first), q.instant(last)
            failing.append(
                {
                    "recipient": recipient.name,
                    "country": recipient.country,
                    "reports": int(n),
                    "first_day": first_at.date() if first_at else None,
                    "last_day": last_at.date() if last_at else None,
                    "grounds": [
                        {"article": g.article, "valid_from": g.valid_from, "valid_until": g.valid_until}
                        for g in recipient.grounds
                    ],
                }
            )
    if not failing:
        return None
    total = sum(int(f["reports"]) for f in failing)
    names = ", ".join(f"{f['recipient']!r} ({f['country']})" for f in failing)
    return Violation(
        f"{total} report(s) to recipient(s) outside the EEA had no transfer ground valid on the day they were "
        f"sent: {names}",
        total,
        {"recipients": failing},
    )


@rule(
    "XFER-3",
    "review",
    "GDPR Art. 49; EDPB Guidelines 2/2018 on Art. 49 derogations",
    "no recipient relies on an Art. 49 derogation for systematic transfers",
    "policies",
)
def xfer_3(ctx: CheckContext) -> Violation | None:
    relying: Sequence[Recipient] = [
        r for r in ctx.policies.transfers.recipients if any(is_derogation(g.article) for g in r.grounds)
    ]
    if not relying:
        return None
    names = ", ".join(repr(r.name) for r in relying)
    return Violation(
        f"{len(relying)} recipient(s) rely on an Art. 49 derogation, which is not meant for systematic or "
        f"repeated transfers: {names}",
        len(relying),
        {
            "recipients": [
                {
                    "recipient": r.name,
                    "country": r.country,
                    "articles": sorted({g.article for g in r.grounds if is_derogation(g.article)}),
                }
                for r in relying
            ]
        },
    )


@rule(
    "XFER-4",
    "warning",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 7 (public-interest organisations notified to the Commission)",
    "every public-interest organisation that received reports was notified to the Commission",
    "data",
    {"reports": _REPORT_COLS},
)
def xfer_4(ctx: CheckContext) -> Violation | None:
    """Public-interest organisations with reports in the period whose ``notified_to_commission`` is missing or
    later than the day of the first of those reports."""
    q = ctx.sql
    stmt = (
        select(R.c.recipient, func.count(), func.min(q.ts(R.c.sent_at)))
        .where(q.ts(R.c.sent_at) >= q.at(ctx.period.start_at), q.ts(R.c.sent_at) < q.at(ctx.period.end_before))
        .group_by(R.c.recipient)
        .order_by(R.c.recipient)
    )
    failing: list[dict[str, Any]] = []
    for name, n, first in ctx.db.execute(stmt).all():
        recipient = ctx.policies.transfers.recipient(str(name))
        if recipient is None or recipient.type != "public_interest_organisation":
            continue  # an unlisted recipient is XFER-1's finding
        first_at = q.instant(first)
        first_day = first_at.date() if first_at else None
        notified = recipient.notified_to_commission
        if notified is None or (first_day is not None and notified > first_day):
            failing.append(
                {
                    "recipient": recipient.name,
                    "reports": int(n),
                    "first_report_day": first_day,
                    "notified_to_commission": notified,
                }
            )
    if not failing:
        return None
    total = sum(int(f["reports"]) for f in failing)
    names = ", ".join(repr(f["recipient"]) for f in failing)
    return Violation(
        f"{total} report(s) went to public-interest organisation(s) not notified to the Commission before the "
        f"first report: {names}",
        total,
        {"recipients": failing},
    )
