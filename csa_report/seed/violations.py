"""Deliberate breaches of the compliance rules of policies.md, to show (and test) that the checks catch them.

Each violation adds a fixed number of offending records (``count``) and nothing else that breaks a rule, so a
test can assert exact finding counts. Injected rows come after the clean rows (higher ids) and use their own
random stream: the clean part of a seed is identical with or without violations.

Add a violation by writing an ``_inject_*`` function (csa_report.seed.violation_injections) and a
``SeededViolation`` entry in ``VIOLATIONS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from csa_report.errors import InputError
from csa_report.seed.activity import Activity
from csa_report.seed.plan import Plan
from csa_report.seed.rows import Sink
from csa_report.seed.violation_injections import (
    NO_GROUND_RECIPIENT,
    OLD_HOLD,
    UNCERTIFIED_US_RECIPIENT,
    UNDOCUMENTED_TECHNOLOGY,
    UNLISTED_RECIPIENT,
    UNNOTIFIED_RECIPIENT,
    _inject_audio,
    _inject_e2ee,
    _inject_e2ee_volume,
    _inject_gap_processing,
    _inject_human_confirmation,
    _inject_late_erasure,
    _inject_late_report,
    _inject_no_transfer_ground,
    _inject_old_hold,
    _inject_old_not_abuse,
    _inject_provider_dpf,
    _inject_retention,
    _inject_slow_complaint,
    _inject_slow_restore,
    _inject_unconfirmed_item,
    _inject_undocumented_technology,
    _inject_unknown_recipient,
    _inject_unnotified,
    _inject_unnotified_organisation,
    _inject_unnotified_removal,
    _inject_unreviewed_retention,
    _needs_e2ee_day,
    _needs_gap_day,
)
from csa_report.seed.violation_records import Context

__all__ = [
    "NO_GROUND_RECIPIENT",
    "OLD_HOLD",
    "UNCERTIFIED_US_RECIPIENT",
    "UNDOCUMENTED_TECHNOLOGY",
    "UNLISTED_RECIPIENT",
    "UNNOTIFIED_RECIPIENT",
    "VIOLATIONS",
    "SeededViolation",
    "canonical",
    "check_supported",
    "inject",
    "parse_violations",
]


@dataclass(frozen=True)
class SeededViolation:
    """A deliberate breach ``seed --violations`` can inject (not a rule's result: that is checks' Violation)."""

    name: str
    rule: str  # the policies.md rule it trips
    description: str
    count: int  # offending records injected (see description for which table)
    inject: Callable[[Context], None]
    #: Why the period cannot hold this violation, or None when it can.
    unsupported: Callable[[Plan], str | None] = lambda _plan: None


VIOLATIONS: Final[dict[str, SeededViolation]] = {
    v.name: v
    for v in (
        SeededViolation(
            "retention",
            "RET-1",
            "3 confirmed detections on Example Mail flagged more than 365 days before the period end (on a "
            "lawful scanning day), reviewed, never erased and without hold_ref: older than the retention "
            "limit for any as-of at or after the period end.",
            3,
            _inject_retention,
        ),
        SeededViolation(
            "late-erasure",
            "RET-2",
            "3 not_abuse detections inside the period, erased 3 days after review.",
            3,
            _inject_late_erasure,
        ),
        SeededViolation(
            "human-confirmation",
            "HUMAN-1",
            "3 reports sent to NCMEC inside the period, each with one confirmed item: a new_csam and a "
            "solicitation report with human_confirmed_at null, and a new_csam report confirmed one hour "
            "after sent_at.",
            3,
            _inject_human_confirmation,
        ),
        SeededViolation(
            "unknown-recipient",
            "XFER-1",
            f"3 known_csam reports inside the period sent to {UNLISTED_RECIPIENT!r}, which no transfers policy lists.",
            3,
            _inject_unknown_recipient,
        ),
        SeededViolation(
            "no-transfer-ground",
            "XFER-2",
            f"3 known_csam reports inside the period sent to {NO_GROUND_RECIPIENT!r}, listed in the example "
            "transfers.md (country CA, outside PIPEDA, so Canada's adequacy decision does not cover it) with "
            "only pre-2021 SCCs, invalid after 2022-12-27: no transfer ground on sent_at for periods after "
            "2022.",
            3,
            _inject_no_transfer_ground,
        ),
        SeededViolation(
            "audio",
            "SCOPE-1",
            "3 detections with data_type 'audio' inside the period (new_csam_classifier, not reviewed).",
            3,
            _inject_audio,
        ),
        SeededViolation(
            "e2ee",
            "SCOPE-3",
            "3 automated detections (not reviewed yet) on an end-to-end encrypted service (Example Chat) on "
            "days inside the period on or after its E2EE date (2026-10-01); the period must contain such a day.",
            3,
            _inject_e2ee,
            _needs_e2ee_day,
        ),
        SeededViolation(
            "gap-processing",
            "SCOPE-2",
            "3 processing_volumes rows and 3 detections (not reviewed yet) on Example Mail on days inside the period "
            "that fall in 2026-04-04..2026-07-30 (no derogation in force); the period must touch that gap.",
            3,
            _inject_gap_processing,
            _needs_gap_day,
        ),
        SeededViolation(
            "unnotified",
            "NOTICE-1",
            "3 'suspend' account actions (each on the account of a confirmed detection injected with it and "
            "reported to NCMEC) with user_notified_at null.",
            3,
            _inject_unnotified,
        ),
        # version 2 rules
        SeededViolation(
            "unreviewed-retention",
            "RET-1",
            "3 detections on Example Mail flagged more than 365 days before the period end, never reviewed, "
            "never erased, without hold_ref: a review queue must not keep material beyond the limit.",
            3,
            _inject_unreviewed_retention,
        ),
        SeededViolation(
            "old-hold",
            "RET-5",
            "3 confirmed detections on Example Mail under one legal hold (LE-HOLD-OLD-1), flagged more than "
            "365 days before the period end and still kept.",
            3,
            _inject_old_hold,
        ),
        SeededViolation(
            "old-not-abuse",
            "RET-2",
            "3 not_abuse detections on Example Mail reviewed 60 days before the period began and never "
            "erased (left over from an earlier period).",
            3,
            _inject_old_not_abuse,
        ),
        SeededViolation(
            "unconfirmed-item",
            "HUMAN-1",
            "3 new_csam reports to NCMEC with human_confirmed_at at review time, each holding one item that "
            "has no verdict.",
            3,
            _inject_unconfirmed_item,
        ),
        SeededViolation(
            "e2ee-volume",
            "SCOPE-3",
            "3 processing_volumes rows (with items) of the end-to-end encrypted Example Chat on days on or "
            "after its E2EE date (2026-10-01): scanning without a hit; the period must contain such a day.",
            3,
            _inject_e2ee_volume,
            _needs_e2ee_day,
        ),
        SeededViolation(
            "unnotified-removal",
            "NOTICE-1",
            "3 content removals (of confirmed detections reported to NCMEC) with user_notified_at null.",
            3,
            _inject_unnotified_removal,
        ),
        SeededViolation(
            "late-report",
            "DELAY-1",
            "3 confirmed known_csam detections reported to NCMEC 241 hours after review (the example's "
            "reporting.max_hours is 240), at least 30 days before the period end.",
            3,
            _inject_late_report,
        ),
        SeededViolation(
            "slow-restore",
            "CORRECT-1",
            "3 removals of reported items reversed on an internal complaint (decided two days after lodging) "
            "and restored 241 hours after the decision (the example's restore_within_hours is 240).",
            3,
            _inject_slow_restore,
        ),
        SeededViolation(
            "slow-complaint",
            "REDRESS-1",
            "3 internal complaints against 'suspend' actions, decided (upheld) 10 days and one hour after "
            "lodging (the example's decide_within_days is 10).",
            3,
            _inject_slow_complaint,
        ),
        SeededViolation(
            "undocumented-technology",
            "TECH-1",
            f"3 automated new_csam detections by {UNDOCUMENTED_TECHNOLOGY!r}, which measures.md does not "
            "describe (not reviewed yet).",
            3,
            _inject_undocumented_technology,
        ),
        SeededViolation(
            "unnotified-organisation",
            "XFER-4",
            f"3 known_csam reports to {UNNOTIFIED_RECIPIENT!r} (NL, public-interest organisation), which "
            "transfers.md lists without notified_to_commission.",
            3,
            _inject_unnotified_organisation,
        ),
        SeededViolation(
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
