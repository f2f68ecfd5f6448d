"""Building blocks of the seeded violations (csa_report.seed.violations): single coherent records (a detection, a
report with its items and accounts, a removal, a complaint) and the days a violation may use, written into the
seed's Sink with the violation's own random stream."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from csa_report.demo_provider import E2EE_FROM, TECHNOLOGIES
from csa_report.seed.activity import (
    CONFIRMED,
    ERASE_UNREVIEWED,
    KNOWN,
    SOLICITATION,
    Activity,
    account_ref,
    account_region,
)
from csa_report.seed.clock import DAY, HOUR, MINUTE, day_start, days
from csa_report.seed.plan import Plan, in_gap, may_scan
from csa_report.seed.rows import Sink
from csa_report.vocabulary import CSAM_ROLES, SOLICITATION_ROLES

#: The service the injections use unless the rule needs another (never end-to-end encrypted).
MAIL: Final = "Example Mail"


@dataclass(frozen=True)
class Context:
    plan: Plan
    sink: Sink
    activity: Activity
    rng: random.Random


# -- building blocks: single coherent records --------------------------------------------------------------


def days_for(ctx: Context, service: str, n: int) -> list[int]:
    """``n`` scanning days (day starts) of ``service`` inside the period, spread out and deterministic."""
    pool = ctx.plan.scan_days.get(service) or next(iter(ctx.plan.scan_days.values()))
    return [day_start(pool[int(ctx.rng.random() * len(pool))]) for _ in range(n)]


def service_for_reports(ctx: Context) -> str:
    return MAIL if MAIL in ctx.plan.scan_days else ctx.plan.services[0]


def detection(
    ctx: Context,
    service: str,
    flagged: int,
    *,
    category: str = KNOWN,
    data_type: str = "image",
    verdict: str | None = CONFIRMED,
    review_after: int = HOUR,
    erase_after: int | None = 30 * DAY,
    technology: str | None = None,
    account: int | None = None,
    hold: str | None = None,
) -> tuple[int, int]:
    """Write one detection; returns (id, reviewed_at). Confirmed items are erased ``erase_after`` after review
    (left un-erased if that is after the snapshot), as in the clean data."""
    sink, ts = ctx.sink, ctx.activity.ts
    number = account if account is not None else 1 + int(ctx.rng.random() * ctx.plan.accounts)
    reviewed = flagged + review_after
    erased = None if erase_after is None or verdict is None else reviewed + erase_after
    if verdict is None and erase_after is not None:
        erased = flagged + ERASE_UNREVIEWED  # as in the clean data: never reviewed, erased after 180 days
    if erased is not None and verdict in (CONFIRMED, None) and erased > ctx.plan.snapshot:
        erased = None
    did = sink.new_id("detections")
    sink.add(
        "detections",
        (
            did,
            service,
            technology or TECHNOLOGIES[category][0],
            category,
            data_type,
            None,
            account_region(number),
            account_ref(number),
            ts(flagged),
            True,
            ts(reviewed) if verdict else None,
            verdict,
            ts(erased),
            hold,
        ),
    )
    return did, reviewed


def reported(
    ctx: Context,
    *,
    recipient: str,
    category: str,
    human: Callable[[int, int], int | None],
    send_after: int = 2 * HOUR,
    verdict: str | None = CONFIRMED,
    day: int | None = None,
) -> tuple[str, int, int, int]:
    """One detection reported alone, sent ``send_after`` after its review; ``human(reviewed, sent)`` gives
    human_confirmed_at. Returns (service, detection id, account number, sent_at)."""
    service = service_for_reports(ctx)
    day = days_for(ctx, service, 1)[0] if day is None else day
    flagged = day + int(ctx.rng.random() * 12 * HOUR)
    number = 1 + int(ctx.rng.random() * ctx.plan.accounts)
    other = number % ctx.plan.accounts + 1
    data_type = "text" if category == SOLICITATION else "image"
    did, reviewed = detection(
        ctx, service, flagged, category=category, data_type=data_type, account=number, verdict=verdict
    )
    sent = reviewed + send_after
    ts = ctx.activity.ts
    rid = ctx.sink.new_id("reports")
    ctx.sink.add("reports", (rid, service, recipient, category, ts(sent), ts(human(reviewed, sent))))
    ctx.sink.add("report_items", (rid, did))
    roles = SOLICITATION_ROLES if category == SOLICITATION else CSAM_ROLES
    ctx.sink.add("report_accounts", (rid, account_ref(number), roles[0], account_region(number)))
    ctx.sink.add("report_accounts", (rid, account_ref(other), roles[1], account_region(other)))
    return service, did, number, sent


def early_days(ctx: Context, n: int) -> list[int]:
    """``n`` scanning days of the report service at least 30 days before the period end, so that a window of
    up to 20 days after them closes before any as-of at or after the period end."""
    service = service_for_reports(ctx)
    last = ctx.plan.period.end - timedelta(days=30)
    pool = [d for d in ctx.plan.scan_days[service] if d <= last] or list(ctx.plan.scan_days[service])
    return [day_start(pool[int(ctx.rng.random() * len(pool))]) for _ in range(n)]


def clean_report(ctx: Context, day: int | None = None) -> tuple[str, int, int, int]:
    """A lawful known_csam case: confirmed, reported to NCMEC two hours after review."""
    return reported(ctx, recipient="NCMEC", category=KNOWN, human=lambda r, _s: r + MINUTE, day=day)


def old_scan_day(plan: Plan, before: date) -> date:
    """The last day on or before ``before`` on which Example Mail could lawfully be scanned."""
    day = before
    while not may_scan(MAIL, day):
        day -= timedelta(days=1)
    return day


def removal(
    ctx: Context, service: str, did: int, at: int, *, notified: bool = True, restored: int | None = None
) -> int:
    ts = ctx.activity.ts
    aid = ctx.sink.new_id("content_actions")
    ctx.sink.add("content_actions", (aid, service, did, ts(at), ts(restored), ts(at + MINUTE) if notified else None))
    return aid


def suspension(ctx: Context, service: str, number: int, taken: int, *, notified: bool) -> int:
    """A known_csam suspension of account ``number``, its user notified a minute later when ``notified``."""
    ts = ctx.activity.ts
    aid = ctx.sink.new_id("account_actions")
    ctx.sink.add(
        "account_actions",
        (
            aid,
            service,
            account_ref(number),
            KNOWN,
            account_region(number),
            "suspend",
            ts(taken),
            ts(taken + MINUTE) if notified else None,
            None,
        ),
    )
    return aid


def complaint(
    ctx: Context,
    service: str,
    *,
    content_action: int | None,
    account_action: int | None,
    lodged: int,
    decided: int,
    outcome: str,
) -> None:
    ts = ctx.activity.ts
    reason = (
        "action reversed on review of the complaint"
        if outcome == "restored"
        else "action confirmed on review of the complaint"
    )
    ctx.sink.add(
        "complaints",
        (
            ctx.sink.new_id("complaints"),
            service,
            "content" if content_action else "account",
            content_action,
            account_action,
            "internal",
            ts(lodged),
            ts(decided),
            outcome,
            None,
            reason,
        ),
    )


def e2ee_days(plan: Plan) -> list[tuple[str, date]]:
    return [
        (s, d)
        for s, start in sorted(E2EE_FROM.items())
        for d in days(plan.period.start, plan.period.end)
        if d >= start and not in_gap(d)
    ]


def gap_days(plan: Plan) -> list[date]:
    return [d for d in days(plan.period.start, plan.period.end) if in_gap(d)]
