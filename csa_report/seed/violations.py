"""Deliberate breaches of the compliance rules of policies.md, to show (and test) that the checks catch them.

Each violation adds a fixed number of offending records (``count``) and nothing else that breaks a rule, so a
test can assert exact finding counts. Injected rows come after the clean rows (higher ids) and use their own
random stream: the clean part of a seed is identical with or without violations.

Add a violation by writing an ``_inject_*`` function and a ``Violation`` entry in ``VIOLATIONS``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from csa_report.demo_provider import E2EE_FROM, TECHNOLOGIES
from csa_report.errors import InputError
from csa_report.seed.activity import (
    CONFIRMED,
    KNOWN,
    NEW,
    NOT_ABUSE,
    SOLICITATION,
    Activity,
    account_ref,
    account_region,
)
from csa_report.seed.clock import DAY, HOUR, MINUTE, day_start, days
from csa_report.seed.plan import GAP_FIRST, GAP_LAST, Plan, in_gap, may_scan
from csa_report.seed.rows import Sink

#: A recipient that ``policies/example/transfers.md`` does not list (trips XFER-1).
UNLISTED_RECIPIENT: Final = "Unlisted Hotline Inc"
#: A recipient outside the EEA that ``policies/example/transfers.md`` lists (country CA, not covered by the
#: PIPEDA-only adequacy decision for Canada) with only pre-2021 SCCs (2010/87/EU), which are no ground after
#: 2022-12-27: reports to it sent in any later period have no valid ground on ``sent_at`` (trips XFER-2).
NO_GROUND_RECIPIENT: Final = "Example Partner Hotline"
#: The service the injections use unless the rule needs another (never end-to-end encrypted).
_MAIL: Final = "Example Mail"


@dataclass(frozen=True)
class Context:
    plan: Plan
    sink: Sink
    activity: Activity
    rng: random.Random


@dataclass(frozen=True)
class Violation:
    name: str
    rule: str  # the policies.md rule it trips
    description: str
    count: int  # offending records injected (see description for which table)
    inject: Callable[[Context], None]
    #: Why the period cannot hold this violation, or None when it can.
    unsupported: Callable[[Plan], str | None] = lambda _plan: None


# -- building blocks: single coherent records --------------------------------------------------------------

def _days_for(ctx: Context, service: str, n: int) -> list[int]:
    """``n`` scanning days (day starts) of ``service`` inside the period, spread out and deterministic."""
    pool = ctx.plan.scan_days.get(service) or next(iter(ctx.plan.scan_days.values()))
    return [day_start(pool[int(ctx.rng.random() * len(pool))]) for _ in range(n)]


def _service_for_reports(ctx: Context) -> str:
    return _MAIL if _MAIL in ctx.plan.scan_days else ctx.plan.services[0]


def _detection(ctx: Context, service: str, flagged: int, *, category: str = KNOWN, data_type: str = "image",
               verdict: str | None = CONFIRMED, review_after: int = HOUR, erase_after: int | None = 30 * DAY,
               technology: str | None = None, account: int | None = None) -> tuple[int, int]:
    """Write one detection; returns (id, reviewed_at). Confirmed items are erased ``erase_after`` after review
    (left un-erased if that is after the snapshot), as in the clean data."""
    sink, ts = ctx.sink, ctx.activity.ts
    number = account if account is not None else 1 + int(ctx.rng.random() * ctx.plan.accounts)
    reviewed = flagged + review_after
    erased = None if erase_after is None or verdict is None else reviewed + erase_after
    if erased is not None and verdict == CONFIRMED and erased > ctx.plan.snapshot:
        erased = None
    did = sink.new_id("detections")
    sink.add("detections", (
        did, service, technology or TECHNOLOGIES[category][0], category, data_type, None,
        account_region(number), account_ref(number), ts(flagged), True,
        ts(reviewed) if verdict else None, verdict, ts(erased), None,
    ))
    return did, reviewed


def _reported(ctx: Context, *, recipient: str, category: str, human: Callable[[int, int], int | None]) -> None:
    """One confirmed detection reported alone; ``human(reviewed, sent)`` gives human_confirmed_at."""
    service = _service_for_reports(ctx)
    day = _days_for(ctx, service, 1)[0]
    flagged = day + int(ctx.rng.random() * 12 * HOUR)
    number = 1 + int(ctx.rng.random() * ctx.plan.accounts)
    other = number % ctx.plan.accounts + 1
    data_type = "text" if category == SOLICITATION else "image"
    did, reviewed = _detection(ctx, service, flagged, category=category, data_type=data_type, account=number)
    sent = reviewed + 2 * HOUR
    ts = ctx.activity.ts
    rid = ctx.sink.new_id("reports")
    ctx.sink.add("reports", (rid, service, recipient, category, ts(sent), ts(human(reviewed, sent))))
    ctx.sink.add("report_items", (rid, did))
    roles = ("soliciting", "solicited") if category == SOLICITATION else ("sender", "receiver")
    ctx.sink.add("report_accounts", (rid, account_ref(number), roles[0], account_region(number)))
    ctx.sink.add("report_accounts", (rid, account_ref(other), roles[1], account_region(other)))


# -- the violations ----------------------------------------------------------------------------------------

def _inject_retention(ctx: Context) -> None:
    # Flagged more than 365 days before the period end (skipping days the provider could not scan), so for
    # any as-of at or after the period end the age exceeds the 365-day ceiling; never erased, no hold.
    plan = ctx.plan
    day = plan.period.end - timedelta(days=370)
    while not may_scan(_MAIL, day):
        day -= timedelta(days=1)
    for i in range(3):
        _detection(ctx, _MAIL, day_start(day) + (9 + i) * HOUR, erase_after=None)


def _inject_late_erasure(ctx: Context) -> None:
    service = _service_for_reports(ctx)
    for day in _days_for(ctx, service, 3):
        _detection(ctx, service, day + 8 * HOUR, verdict=NOT_ABUSE, review_after=2 * HOUR, erase_after=3 * DAY)


def _inject_human_confirmation(ctx: Context) -> None:
    _reported(ctx, recipient="NCMEC", category=NEW, human=lambda _r, _s: None)
    _reported(ctx, recipient="NCMEC", category=SOLICITATION, human=lambda _r, _s: None)
    _reported(ctx, recipient="NCMEC", category=NEW, human=lambda _r, sent: sent + HOUR)


def _inject_unknown_recipient(ctx: Context) -> None:
    for _ in range(3):
        _reported(ctx, recipient=UNLISTED_RECIPIENT, category=KNOWN, human=lambda r, _s: r + MINUTE)


def _inject_no_transfer_ground(ctx: Context) -> None:
    for _ in range(3):
        _reported(ctx, recipient=NO_GROUND_RECIPIENT, category=KNOWN, human=lambda r, _s: r + MINUTE)


def _inject_audio(ctx: Context) -> None:
    service = _service_for_reports(ctx)
    for day in _days_for(ctx, service, 3):
        _detection(ctx, service, day + 10 * HOUR, category=NEW, data_type="audio", verdict=None)


def _e2ee_days(plan: Plan) -> list[tuple[str, date]]:
    return [(s, d) for s, start in sorted(E2EE_FROM.items()) for d in days(plan.period.start, plan.period.end)
            if d >= start and not in_gap(d)]


def _inject_e2ee(ctx: Context) -> None:
    candidates = _e2ee_days(ctx.plan)
    for i in range(3):
        service, day = candidates[int(ctx.rng.random() * len(candidates))]
        _detection(ctx, service, day_start(day) + (11 + i) * HOUR)


def _gap_days(plan: Plan) -> list[date]:
    return [d for d in days(plan.period.start, plan.period.end) if in_gap(d)]


def _inject_gap_processing(ctx: Context) -> None:
    gap = _gap_days(ctx.plan)
    picks = [gap[int(ctx.rng.random() * len(gap))] for _ in range(3)]
    # Distinct (data type, region) per row keeps one row per service × day × type × region even if days repeat.
    for day, (data_type, region) in zip(picks, (("image", "eu"), ("video", "eu"), ("image", "non_eu")),
                                        strict=True):
        ctx.sink.add("processing_volumes", (
            ctx.sink.new_id("processing_volumes"), _MAIL, day.isoformat(), data_type, None, region,
            250_000, 250_000 * 240_000,
        ))
        _detection(ctx, _MAIL, day_start(day) + 14 * HOUR, data_type=data_type)


def _inject_unnotified(ctx: Context) -> None:
    service = _service_for_reports(ctx)
    ts = ctx.activity.ts
    for day in _days_for(ctx, service, 3):
        number = 1 + int(ctx.rng.random() * ctx.plan.accounts)
        _, reviewed = _detection(ctx, service, day + 9 * HOUR, account=number)
        aid = ctx.sink.new_id("account_actions")
        ctx.sink.add("account_actions", (
            aid, service, account_ref(number), KNOWN, account_region(number), "suspend", ts(reviewed + HOUR),
            None, None,
        ))


def _needs_e2ee_day(plan: Plan) -> str | None:
    if _e2ee_days(plan):
        return None
    first = ", ".join(f"{s} from {d}" for s, d in sorted(E2EE_FROM.items()))
    return f"it needs a period with a day on which a service is end-to-end encrypted ({first})"


def _needs_gap_day(plan: Plan) -> str | None:
    if _gap_days(plan):
        return None
    return f"it needs a period that touches the gap with no derogation in force ({GAP_FIRST}..{GAP_LAST})"


VIOLATIONS: Final[dict[str, Violation]] = {v.name: v for v in (
    Violation("retention", "RET-1",
              "3 confirmed detections on Example Mail flagged more than 365 days before the period end (on a "
              "lawful scanning day), reviewed, never erased and without hold_ref: older than the retention "
              "limit for any as-of at or after the period end.",
              3, _inject_retention),
    Violation("late-erasure", "RET-2",
              "3 not_abuse detections inside the period, erased 3 days after review.",
              3, _inject_late_erasure),
    Violation("human-confirmation", "HUMAN-1",
              "3 reports sent to NCMEC inside the period, each with one confirmed item: a new_csam and a "
              "solicitation report with human_confirmed_at null, and a new_csam report confirmed one hour "
              "after sent_at.",
              3, _inject_human_confirmation),
    Violation("unknown-recipient", "XFER-1",
              f"3 known_csam reports inside the period sent to {UNLISTED_RECIPIENT!r}, which no transfers "
              "policy lists.",
              3, _inject_unknown_recipient),
    Violation("no-transfer-ground", "XFER-2",
              f"3 known_csam reports inside the period sent to {NO_GROUND_RECIPIENT!r}, listed in the example "
              "transfers.md (country CA, outside PIPEDA, so Canada's adequacy decision does not cover it) with "
              "only pre-2021 SCCs, invalid after 2022-12-27: no transfer ground on sent_at for periods after "
              "2022.",
              3, _inject_no_transfer_ground),
    Violation("audio", "SCOPE-1",
              "3 detections with data_type 'audio' inside the period (new_csam_classifier, not reviewed).",
              3, _inject_audio),
    Violation("e2ee", "SCOPE-3",
              "3 confirmed detections on an end-to-end encrypted service (Example Chat) on days inside the "
              "period on or after its E2EE date (2026-10-01); the period must contain such a day.",
              3, _inject_e2ee, _needs_e2ee_day),
    Violation("gap-processing", "SCOPE-2",
              "3 processing_volumes rows and 3 confirmed detections on Example Mail on days inside the period "
              "that fall in 2026-04-04..2026-07-30 (no derogation in force); the period must touch that gap.",
              3, _inject_gap_processing, _needs_gap_day),
    Violation("unnotified", "NOTICE-1",
              "3 'suspend' account actions (each on the account of a confirmed detection injected with it) with "
              "user_notified_at null.",
              3, _inject_unnotified),
)}


def parse_violations(text: str) -> tuple[str, ...]:
    """Names from a comma-separated list, in registry order, without repeats; empty text means none."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted({n for n in names if n not in VIOLATIONS})
    if unknown:
        raise InputError(
            f"unknown violation{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"known violations are {', '.join(VIOLATIONS)}"
        )
    return canonical(names)


def canonical(names: Sequence[str]) -> tuple[str, ...]:
    """Registry order without repeats, so 'a,b' and 'b,a' seed identical databases."""
    unknown = sorted({n for n in names if n not in VIOLATIONS})
    if unknown:
        raise InputError(f"unknown violations {', '.join(unknown)}: known violations are {', '.join(VIOLATIONS)}")
    wanted = set(names)
    return tuple(n for n in VIOLATIONS if n in wanted)


def check_supported(plan: Plan, names: Sequence[str]) -> None:
    for name in names:
        reason = VIOLATIONS[name].unsupported(plan)
        if reason is not None:
            raise InputError(f"violation {name!r} cannot be seeded for period {plan.period}: {reason}")


def inject(plan: Plan, sink: Sink, activity: Activity, names: Sequence[str]) -> None:
    for name in canonical(names):
        ctx = Context(plan, sink, activity, plan.rng(f"violation/{name}"))
        VIOLATIONS[name].inject(ctx)
