"""The seeded violations' injections: each writes a fixed number of records that break one rule and nothing else
(csa_report.seed.violations lists them with their rule, description and count)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final

from csa_report.demo_provider import E2EE_FROM
from csa_report.seed.activity import KNOWN, NEW, NOT_ABUSE, SOLICITATION
from csa_report.seed.clock import DAY, HOUR, MINUTE, day_start
from csa_report.seed.plan import GAP_FIRST, GAP_LAST, Plan, may_scan
from csa_report.seed.violation_records import (
    MAIL,
    Context,
    clean_report,
    complaint,
    days_for,
    detection,
    e2ee_days,
    early_days,
    gap_days,
    old_scan_day,
    removal,
    reported,
    service_for_reports,
    suspension,
)

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


# -- the violations ----------------------------------------------------------------------------------------


def _inject_retention(ctx: Context) -> None:
    # Flagged more than 365 days before the period end (skipping days the provider could not scan), so for
    # any as-of at or after the period end the age exceeds the 365-day ceiling; never erased, no hold.
    plan = ctx.plan
    day = plan.period.end - timedelta(days=370)
    while not may_scan(MAIL, day):
        day -= timedelta(days=1)
    for i in range(3):
        detection(ctx, MAIL, day_start(day) + (9 + i) * HOUR, erase_after=None)


def _inject_late_erasure(ctx: Context) -> None:
    service = service_for_reports(ctx)
    for day in days_for(ctx, service, 3):
        detection(ctx, service, day + 8 * HOUR, verdict=NOT_ABUSE, review_after=2 * HOUR, erase_after=3 * DAY)


def _inject_human_confirmation(ctx: Context) -> None:
    reported(ctx, recipient="NCMEC", category=NEW, human=lambda _r, _s: None)
    reported(ctx, recipient="NCMEC", category=SOLICITATION, human=lambda _r, _s: None)
    reported(ctx, recipient="NCMEC", category=NEW, human=lambda _r, sent: sent + HOUR)


def _reports_to(recipient: str) -> Callable[[Context], None]:
    """Three otherwise lawful known_csam reports to ``recipient``: the breach is whom they go to."""

    def inject(ctx: Context) -> None:
        for _ in range(3):
            reported(ctx, recipient=recipient, category=KNOWN, human=lambda r, _s: r + MINUTE)

    return inject


_inject_unknown_recipient = _reports_to(UNLISTED_RECIPIENT)
_inject_no_transfer_ground = _reports_to(NO_GROUND_RECIPIENT)
_inject_unnotified_organisation = _reports_to(UNNOTIFIED_RECIPIENT)
_inject_provider_dpf = _reports_to(UNCERTIFIED_US_RECIPIENT)


def _inject_audio(ctx: Context) -> None:
    service = service_for_reports(ctx)
    for day in days_for(ctx, service, 3):
        detection(ctx, service, day + 10 * HOUR, category=NEW, data_type="audio", verdict=None)


def _inject_e2ee(ctx: Context) -> None:
    # not reviewed yet: scanning is what SCOPE-3 is about (a confirmed item would also need a timely report)
    candidates = e2ee_days(ctx.plan)
    for i in range(3):
        service, day = candidates[int(ctx.rng.random() * len(candidates))]
        detection(ctx, service, day_start(day) + (11 + i) * HOUR, verdict=None)


def _inject_e2ee_volume(ctx: Context) -> None:
    candidates = e2ee_days(ctx.plan)
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


def _inject_gap_processing(ctx: Context) -> None:
    gap = gap_days(ctx.plan)
    picks = [gap[int(ctx.rng.random() * len(gap))] for _ in range(3)]
    # Distinct (data type, region) per row keeps one row per service × day × type × region even if days repeat.
    for day, (data_type, region) in zip(picks, (("image", "eu"), ("video", "eu"), ("image", "non_eu")), strict=True):
        ctx.sink.add(
            "processing_volumes",
            (
                ctx.sink.new_id("processing_volumes"),
                MAIL,
                day.isoformat(),
                data_type,
                None,
                region,
                250_000,
                250_000 * 240_000,
            ),
        )
        detection(ctx, MAIL, day_start(day) + 14 * HOUR, data_type=data_type, verdict=None)


def _inject_unnotified(ctx: Context) -> None:
    for _ in range(3):
        service, _did, number, sent = clean_report(ctx)
        suspension(ctx, service, number, sent + HOUR, notified=False)


def _inject_unnotified_removal(ctx: Context) -> None:
    for _ in range(3):
        service, did, _number, sent = clean_report(ctx)
        removal(ctx, service, did, sent + HOUR, notified=False)


def _inject_unreviewed_retention(ctx: Context) -> None:
    # Flagged more than 365 days before the period end and left in the review queue, never erased.
    day = old_scan_day(ctx.plan, ctx.plan.period.end - timedelta(days=372))
    for i in range(3):
        detection(ctx, MAIL, day_start(day) + (9 + i) * HOUR, verdict=None, erase_after=None)


def _inject_old_hold(ctx: Context) -> None:
    # Kept under one legal hold for more than 365 days before the period end (confirmed, never erased).
    day = old_scan_day(ctx.plan, ctx.plan.period.end - timedelta(days=380))
    for i in range(3):
        detection(ctx, MAIL, day_start(day) + (9 + i) * HOUR, erase_after=None, hold=OLD_HOLD)


def _inject_old_not_abuse(ctx: Context) -> None:
    # Found not to be abuse 60 days before the period began, and never erased.
    day = old_scan_day(ctx.plan, ctx.plan.period.start - timedelta(days=60))
    for i in range(3):
        detection(ctx, MAIL, day_start(day) + (9 + i) * HOUR, verdict=NOT_ABUSE, erase_after=None)


def _inject_unconfirmed_item(ctx: Context) -> None:
    # The report says a human confirmed it, but its only item has no verdict at all.
    for _ in range(3):
        reported(ctx, recipient="NCMEC", category=NEW, human=lambda r, _s: r, verdict=None)


def _inject_late_report(ctx: Context) -> None:
    max_hours = 240  # measures.md reporting.max_hours of the example policies
    for day in early_days(ctx, 3):
        reported(
            ctx,
            recipient="NCMEC",
            category=KNOWN,
            human=lambda r, _s: r + MINUTE,
            send_after=max_hours * HOUR + HOUR,
            day=day,
        )


def _inject_slow_restore(ctx: Context) -> None:
    restore_hours = 240  # retention.md redress.restore_within_hours of the example policies
    for day in early_days(ctx, 3):
        service, did, _number, sent = clean_report(ctx, day)
        removed = sent + HOUR
        lodged = removed + DAY
        decided = lodged + 2 * DAY
        aid = removal(ctx, service, did, removed, restored=decided + restore_hours * HOUR + HOUR)
        complaint(
            ctx, service, content_action=aid, account_action=None, lodged=lodged, decided=decided, outcome="restored"
        )


def _inject_slow_complaint(ctx: Context) -> None:
    decide_days = 10  # retention.md redress.decide_within_days of the example policies
    for day in early_days(ctx, 3):
        service, _did, number, sent = clean_report(ctx, day)
        taken = sent + HOUR
        aid = suspension(ctx, service, number, taken, notified=True)
        lodged = taken + DAY
        complaint(
            ctx,
            service,
            content_action=None,
            account_action=aid,
            lodged=lodged,
            decided=lodged + decide_days * DAY + HOUR,
            outcome="upheld",
        )


def _inject_undocumented_technology(ctx: Context) -> None:
    service = service_for_reports(ctx)
    for day in days_for(ctx, service, 3):
        detection(ctx, service, day + 10 * HOUR, category=NEW, verdict=None, technology=UNDOCUMENTED_TECHNOLOGY)


def _needs_e2ee_day(plan: Plan) -> str | None:
    if e2ee_days(plan):
        return None
    first = ", ".join(f"{s} from {d}" for s, d in sorted(E2EE_FROM.items()))
    return f"it needs a period with a day on which a service is end-to-end encrypted ({first})"


def _needs_gap_day(plan: Plan) -> str | None:
    if gap_days(plan):
        return None
    return f"it needs a period that touches the gap with no derogation in force ({GAP_FIRST}..{GAP_LAST})"
