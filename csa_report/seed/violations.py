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
    ERASE_UNREVIEWED,
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
from csa_report.vocabulary import CSAM_ROLES, SOLICITATION_ROLES

#: A recipient that ``policies/example/transfers.md`` does not list (trips XFER-1).
UNLISTED_RECIPIENT: Final = "Unlisted Hotline Inc"
#: A recipient outside the EEA that ``policies/example/transfers.md`` lists (country CA, not covered by the
#: PIPEDA-only adequacy decision for Canada) with only pre-2021 SCCs (2010/87/EU), which are no ground after
#: 2022-12-27: reports to it sent in any later period have no valid ground on ``sent_at`` (trips XFER-2).
NO_GROUND_RECIPIENT: Final = "Example Partner Hotline"
#: A public-interest organisation (NL) that transfers.md lists without ``notified_to_commission`` (XFER-4).
UNNOTIFIED_RECIPIENT: Final = "Stichting Example Meldpunt"
#: A US organisation that transfers.md lists with only the provider's own DPF certification as its ground; it
#: is not ``dpf_certified`` itself, so the EU-US adequacy decision does not cover it (XFER-2, amended).
UNCERTIFIED_US_RECIPIENT: Final = "Example Child Safety Foundation"
#: The legal hold of the old-hold violation (a case number, not personal data).
OLD_HOLD: Final = "LE-HOLD-OLD-1"
#: A detection technology that measures.md does not describe (TECH-1).
UNDOCUMENTED_TECHNOLOGY: Final = "experimental_nudity_classifier"
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


def _detection(
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


def _reported(
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
    service = _service_for_reports(ctx)
    day = _days_for(ctx, service, 1)[0] if day is None else day
    flagged = day + int(ctx.rng.random() * 12 * HOUR)
    number = 1 + int(ctx.rng.random() * ctx.plan.accounts)
    other = number % ctx.plan.accounts + 1
    data_type = "text" if category == SOLICITATION else "image"
    did, reviewed = _detection(
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


def _early_days(ctx: Context, n: int) -> list[int]:
    """``n`` scanning days of the report service at least 30 days before the period end, so that a window of
    up to 20 days after them closes before any as-of at or after the period end."""
    service = _service_for_reports(ctx)
    last = ctx.plan.period.end - timedelta(days=30)
    pool = [d for d in ctx.plan.scan_days[service] if d <= last] or list(ctx.plan.scan_days[service])
    return [day_start(pool[int(ctx.rng.random() * len(pool))]) for _ in range(n)]


def _clean_report(ctx: Context, day: int | None = None) -> tuple[str, int, int, int]:
    """A lawful known_csam case: confirmed, reported to NCMEC two hours after review."""
    return _reported(ctx, recipient="NCMEC", category=KNOWN, human=lambda r, _s: r + MINUTE, day=day)


def _old_scan_day(plan: Plan, before: date) -> date:
    """The last day on or before ``before`` on which Example Mail could lawfully be scanned."""
    day = before
    while not may_scan(_MAIL, day):
        day -= timedelta(days=1)
    return day


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
    return [
        (s, d)
        for s, start in sorted(E2EE_FROM.items())
        for d in days(plan.period.start, plan.period.end)
        if d >= start and not in_gap(d)
    ]


def _inject_e2ee(ctx: Context) -> None:
    # not reviewed yet: scanning is what SCOPE-3 is about (a confirmed item would also need a timely report)
    candidates = _e2ee_days(ctx.plan)
    for i in range(3):
        service, day = candidates[int(ctx.rng.random() * len(candidates))]
        _detection(ctx, service, day_start(day) + (11 + i) * HOUR, verdict=None)


def _inject_e2ee_volume(ctx: Context) -> None:
    candidates = _e2ee_days(ctx.plan)
    # distinct (data type, region) per row keeps one row per service × day × type × region
    for data_type, region in (("image", "eu"), ("video", "eu"), ("image", "non_eu")):
        service, day = candidates[int(ctx.rng.random() * len(candidates))]
        ctx.sink.add(
            "processing_volumes",
            (
                ctx.sink.new_id("processing_volumes"),
                service,
                day.isoformat(),
                data_type,
                None,
                region,
                120_000,
                120_000 * 240_000,
            ),
        )


def _gap_days(plan: Plan) -> list[date]:
    return [d for d in days(plan.period.start, plan.period.end) if in_gap(d)]


def _inject_gap_processing(ctx: Context) -> None:
    gap = _gap_days(ctx.plan)
    picks = [gap[int(ctx.rng.random() * len(gap))] for _ in range(3)]
    # Distinct (data type, region) per row keeps one row per service × day × type × region even if days repeat.
    for day, (data_type, region) in zip(picks, (("image", "eu"), ("video", "eu"), ("image", "non_eu")), strict=True):
        ctx.sink.add(
            "processing_volumes",
            (
                ctx.sink.new_id("processing_volumes"),
                _MAIL,
                day.isoformat(),
                data_type,
                None,
                region,
                250_000,
                250_000 * 240_000,
            ),
        )
        _detection(ctx, _MAIL, day_start(day) + 14 * HOUR, data_type=data_type, verdict=None)


def _inject_unnotified(ctx: Context) -> None:
    ts = ctx.activity.ts
    for _ in range(3):
        service, _did, number, sent = _clean_report(ctx)
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
                ts(sent + HOUR),
                None,
                None,
            ),
        )


def _removal(
    ctx: Context, service: str, did: int, at: int, *, notified: bool = True, restored: int | None = None
) -> int:
    ts = ctx.activity.ts
    aid = ctx.sink.new_id("content_actions")
    ctx.sink.add("content_actions", (aid, service, did, ts(at), ts(restored), ts(at + MINUTE) if notified else None))
    return aid


def _inject_unnotified_removal(ctx: Context) -> None:
    for _ in range(3):
        service, did, _number, sent = _clean_report(ctx)
        _removal(ctx, service, did, sent + HOUR, notified=False)


def _inject_unreviewed_retention(ctx: Context) -> None:
    # Flagged more than 365 days before the period end and left in the review queue, never erased.
    day = _old_scan_day(ctx.plan, ctx.plan.period.end - timedelta(days=372))
    for i in range(3):
        _detection(ctx, _MAIL, day_start(day) + (9 + i) * HOUR, verdict=None, erase_after=None)


def _inject_old_hold(ctx: Context) -> None:
    # Kept under one legal hold for more than 365 days before the period end (confirmed, never erased).
    day = _old_scan_day(ctx.plan, ctx.plan.period.end - timedelta(days=380))
    for i in range(3):
        _detection(ctx, _MAIL, day_start(day) + (9 + i) * HOUR, erase_after=None, hold=OLD_HOLD)


def _inject_old_not_abuse(ctx: Context) -> None:
    # Found not to be abuse 60 days before the period began, and never erased.
    day = _old_scan_day(ctx.plan, ctx.plan.period.start - timedelta(days=60))
    for i in range(3):
        _detection(ctx, _MAIL, day_start(day) + (9 + i) * HOUR, verdict=NOT_ABUSE, erase_after=None)


def _inject_unconfirmed_item(ctx: Context) -> None:
    # The report says a human confirmed it, but its only item has no verdict at all.
    for _ in range(3):
        _reported(ctx, recipient="NCMEC", category=NEW, human=lambda r, _s: r, verdict=None)


def _inject_late_report(ctx: Context) -> None:
    max_hours = 240  # measures.md reporting.max_hours of the example policies
    for day in _early_days(ctx, 3):
        _reported(
            ctx,
            recipient="NCMEC",
            category=KNOWN,
            human=lambda r, _s: r + MINUTE,
            send_after=max_hours * HOUR + HOUR,
            day=day,
        )


def _complaint(
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


def _inject_slow_restore(ctx: Context) -> None:
    restore_hours = 240  # retention.md redress.restore_within_hours of the example policies
    for day in _early_days(ctx, 3):
        service, did, _number, sent = _clean_report(ctx, day)
        removed = sent + HOUR
        lodged = removed + DAY
        decided = lodged + 2 * DAY
        aid = _removal(ctx, service, did, removed, restored=decided + restore_hours * HOUR + HOUR)
        _complaint(
            ctx, service, content_action=aid, account_action=None, lodged=lodged, decided=decided, outcome="restored"
        )


def _inject_slow_complaint(ctx: Context) -> None:
    decide_days = 10  # retention.md redress.decide_within_days of the example policies
    ts = ctx.activity.ts
    for day in _early_days(ctx, 3):
        service, _did, number, sent = _clean_report(ctx, day)
        taken = sent + HOUR
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
                ts(taken + MINUTE),
                None,
            ),
        )
        lodged = taken + DAY
        _complaint(
            ctx,
            service,
            content_action=None,
            account_action=aid,
            lodged=lodged,
            decided=lodged + decide_days * DAY + HOUR,
            outcome="upheld",
        )


def _inject_undocumented_technology(ctx: Context) -> None:
    service = _service_for_reports(ctx)
    for day in _days_for(ctx, service, 3):
        _detection(ctx, service, day + 10 * HOUR, category=NEW, verdict=None, technology=UNDOCUMENTED_TECHNOLOGY)


def _inject_unnotified_organisation(ctx: Context) -> None:
    for _ in range(3):
        _reported(ctx, recipient=UNNOTIFIED_RECIPIENT, category=KNOWN, human=lambda r, _s: r + MINUTE)


def _inject_provider_dpf(ctx: Context) -> None:
    for _ in range(3):
        _reported(ctx, recipient=UNCERTIFIED_US_RECIPIENT, category=KNOWN, human=lambda r, _s: r + MINUTE)


def _needs_e2ee_day(plan: Plan) -> str | None:
    if _e2ee_days(plan):
        return None
    first = ", ".join(f"{s} from {d}" for s, d in sorted(E2EE_FROM.items()))
    return f"it needs a period with a day on which a service is end-to-end encrypted ({first})"


def _needs_gap_day(plan: Plan) -> str | None:
    if _gap_days(plan):
        return None
    return f"it needs a period that touches the gap with no derogation in force ({GAP_FIRST}..{GAP_LAST})"


VIOLATIONS: Final[dict[str, Violation]] = {
    v.name: v
    for v in (
        Violation(
            "retention",
            "RET-1",
            "3 confirmed detections on Example Mail flagged more than 365 days before the period end (on a "
            "lawful scanning day), reviewed, never erased and without hold_ref: older than the retention "
            "limit for any as-of at or after the period end.",
            3,
            _inject_retention,
        ),
        Violation(
            "late-erasure",
            "RET-2",
            "3 not_abuse detections inside the period, erased 3 days after review.",
            3,
            _inject_late_erasure,
        ),
        Violation(
            "human-confirmation",
            "HUMAN-1",
            "3 reports sent to NCMEC inside the period, each with one confirmed item: a new_csam and a "
            "solicitation report with human_confirmed_at null, and a new_csam report confirmed one hour "
            "after sent_at.",
            3,
            _inject_human_confirmation,
        ),
        Violation(
            "unknown-recipient",
            "XFER-1",
            f"3 known_csam reports inside the period sent to {UNLISTED_RECIPIENT!r}, which no transfers policy lists.",
            3,
            _inject_unknown_recipient,
        ),
        Violation(
            "no-transfer-ground",
            "XFER-2",
            f"3 known_csam reports inside the period sent to {NO_GROUND_RECIPIENT!r}, listed in the example "
            "transfers.md (country CA, outside PIPEDA, so Canada's adequacy decision does not cover it) with "
            "only pre-2021 SCCs, invalid after 2022-12-27: no transfer ground on sent_at for periods after "
            "2022.",
            3,
            _inject_no_transfer_ground,
        ),
        Violation(
            "audio",
            "SCOPE-1",
            "3 detections with data_type 'audio' inside the period (new_csam_classifier, not reviewed).",
            3,
            _inject_audio,
        ),
        Violation(
            "e2ee",
            "SCOPE-3",
            "3 automated detections (not reviewed yet) on an end-to-end encrypted service (Example Chat) on "
            "days inside the period on or after its E2EE date (2026-10-01); the period must contain such a day.",
            3,
            _inject_e2ee,
            _needs_e2ee_day,
        ),
        Violation(
            "gap-processing",
            "SCOPE-2",
            "3 processing_volumes rows and 3 detections (not reviewed yet) on Example Mail on days inside the period "
            "that fall in 2026-04-04..2026-07-30 (no derogation in force); the period must touch that gap.",
            3,
            _inject_gap_processing,
            _needs_gap_day,
        ),
        Violation(
            "unnotified",
            "NOTICE-1",
            "3 'suspend' account actions (each on the account of a confirmed detection injected with it and "
            "reported to NCMEC) with user_notified_at null.",
            3,
            _inject_unnotified,
        ),
        # version 2 rules
        Violation(
            "unreviewed-retention",
            "RET-1",
            "3 detections on Example Mail flagged more than 365 days before the period end, never reviewed, "
            "never erased, without hold_ref: a review queue must not keep material beyond the limit.",
            3,
            _inject_unreviewed_retention,
        ),
        Violation(
            "old-hold",
            "RET-5",
            "3 confirmed detections on Example Mail under one legal hold (LE-HOLD-OLD-1), flagged more than "
            "365 days before the period end and still kept.",
            3,
            _inject_old_hold,
        ),
        Violation(
            "old-not-abuse",
            "RET-2",
            "3 not_abuse detections on Example Mail reviewed 60 days before the period began and never "
            "erased (left over from an earlier period).",
            3,
            _inject_old_not_abuse,
        ),
        Violation(
            "unconfirmed-item",
            "HUMAN-1",
            "3 new_csam reports to NCMEC with human_confirmed_at at review time, each holding one item that "
            "has no verdict.",
            3,
            _inject_unconfirmed_item,
        ),
        Violation(
            "e2ee-volume",
            "SCOPE-3",
            "3 processing_volumes rows (with items) of the end-to-end encrypted Example Chat on days on or "
            "after its E2EE date (2026-10-01): scanning without a hit; the period must contain such a day.",
            3,
            _inject_e2ee_volume,
            _needs_e2ee_day,
        ),
        Violation(
            "unnotified-removal",
            "NOTICE-1",
            "3 content removals (of confirmed detections reported to NCMEC) with user_notified_at null.",
            3,
            _inject_unnotified_removal,
        ),
        Violation(
            "late-report",
            "DELAY-1",
            "3 confirmed known_csam detections reported to NCMEC 241 hours after review (the example's "
            "reporting.max_hours is 240), at least 30 days before the period end.",
            3,
            _inject_late_report,
        ),
        Violation(
            "slow-restore",
            "CORRECT-1",
            "3 removals of reported items reversed on an internal complaint (decided two days after lodging) "
            "and restored 241 hours after the decision (the example's restore_within_hours is 240).",
            3,
            _inject_slow_restore,
        ),
        Violation(
            "slow-complaint",
            "REDRESS-1",
            "3 internal complaints against 'suspend' actions, decided (upheld) 10 days and one hour after "
            "lodging (the example's decide_within_days is 10).",
            3,
            _inject_slow_complaint,
        ),
        Violation(
            "undocumented-technology",
            "TECH-1",
            f"3 automated new_csam detections by {UNDOCUMENTED_TECHNOLOGY!r}, which measures.md does not "
            "describe (not reviewed yet).",
            3,
            _inject_undocumented_technology,
        ),
        Violation(
            "unnotified-organisation",
            "XFER-4",
            f"3 known_csam reports to {UNNOTIFIED_RECIPIENT!r} (NL, public-interest organisation), which "
            "transfers.md lists without notified_to_commission.",
            3,
            _inject_unnotified_organisation,
        ),
        Violation(
            "provider-dpf",
            "XFER-2",
            f"3 known_csam reports to {UNCERTIFIED_US_RECIPIENT!r} (US), which relies on the provider's own "
            "EU-US Data Privacy Framework certification; the recipient is not certified, so there is no ground.",
            3,
            _inject_provider_dpf,
        ),
    )
}


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
