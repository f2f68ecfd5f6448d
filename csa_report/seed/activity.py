"""Detections and everything that follows from them: reports, removals, account actions, complaints.

The unit of generation is an *incident*: one account on one service sends one or a few items that one
technology (or a user report) flags together. Confirmed items of an incident go into one report, confirmed
files are removed, the account is actioned once, and some actions are contested. Generating per incident keeps
every table coherent without reading anything back, and lets the caller cut the stream into chunks between
incidents so memory stays constant.

Instants are epoch seconds (see ``clock``); nothing here happens after ``Plan.snapshot``.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Final

from csa_report.demo_provider import RECIPIENTS
from csa_report.seed.clock import DAY, HOUR, MINUTE, InstantText, day_start
from csa_report.seed.incident_kinds import KINDS, KNOWN, MEAN_ITEMS, NEW, SOLICITATION, Kind
from csa_report.seed.plan import Plan
from csa_report.seed.rows import Sink
from csa_report.vocabulary import CSAM_ROLES, SOLICITATION_ROLES

CONFIRMED, NOT_ABUSE = "confirmed", "not_abuse"

__all__ = ["CONFIRMED", "KINDS", "KNOWN", "MEAN_ITEMS", "NEW", "NOT_ABUSE", "SOLICITATION", "Activity", "Kind"]


#: NCMEC gets almost every report; the hotline and police a few.
RECIPIENT_WEIGHTS: Final = ((RECIPIENTS[0], 0.96), (RECIPIENTS[1], 0.03), (RECIPIENTS[2], 0.01))
ACCOUNT_ACTIONS: Final = (("suspend", 0.85), ("terminate", 0.10), ("restrict", 0.05))
FILE_TYPES: Final = frozenset({"image", "video", "other_file"})

P_HOLD: Final = 0.004  # confirmed items kept under a law-enforcement preservation request
#: A preservation request lapses this long after review (under the 365 days RET-5 flags for legal review).
HOLD_LIFTED: Final = 300 * DAY
P_CONTENT_COMPLAINT: Final = 0.03
P_ACCOUNT_COMPLAINT: Final = 0.08
P_JUDICIAL: Final = 0.03
#: Confirmed items are erased this many seconds after review (well inside any plausible retention limit:
#: flagging → erasure stays under 90 days, so RET-1 holds for any as-of up to the snapshot).
ERASE_CONFIRMED: Final = (20 * DAY, 75 * DAY)
#: Items never reviewed are erased this long after flagging (inside any retention limit of the example).
ERASE_UNREVIEWED: Final = 180 * DAY
#: ``not_abuse`` items are erased within hours of the review (RET-2 with max_days 0 allows one day).
ERASE_NOT_ABUSE: Final = (10 * MINUTE, 20 * HOUR)


def account_ref(number: int) -> str:
    return f"acct-{number:06d}"


def account_region(number: int) -> str:
    """A fixed region per account (about 72 % EU), from an integer hash so it needs no lookup table."""
    return "eu" if (number * 2654435761 >> 7) % 100 < 72 else "non_eu"


def _cumulative(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [w / total for w in itertools.accumulate(weights)]


class Activity:
    """Writes incidents into a ``Sink``; one instance per run (it remembers which accounts were actioned)."""

    def __init__(self, plan: Plan, sink: Sink) -> None:
        self.plan = plan
        self.sink = sink
        self.rng = plan.rng("activity")
        self.ts = InstantText()
        self.snapshot = plan.snapshot
        # A review must leave a day for the erasure of a not_abuse item, all before the snapshot.
        self.last_review = plan.snapshot - DAY
        self.start = plan.start
        self.end_before = plan.end_before
        self.accounts = plan.accounts
        self._services = plan.services
        self._actioned = bytearray(self.accounts + 1)
        self._holds = 0
        self._kind_cum = _cumulative([k.weight for k in KINDS])
        self._item_cum = [_cumulative([w for _, _, w in k.items]) for k in KINDS]
        self._service_cum = _cumulative(plan.service_weights())
        self._recipient_cum = _cumulative([w for _, w in RECIPIENT_WEIGHTS])
        self._action_cum = _cumulative([w for _, w in ACCOUNT_ACTIONS])
        self._day_starts = {s: [day_start(d) for d in ds] for s, ds in plan.scan_days.items()}
        self._lead_in_starts = {s: [day_start(d) for d in ds] for s, ds in plan.lead_in_days.items()}

    # -- random helpers -------------------------------------------------------------------------------------
    def _pick(self, cumulative: list[float]) -> int:
        return min(bisect.bisect_right(cumulative, self.rng.random()), len(cumulative) - 1)

    def _between(self, low: int, high: int) -> int:
        return low + int(self.rng.random() * (high - low))

    def _sender(self) -> int:
        # Skewed: a minority of accounts sends most of the material.
        return 1 + int(self.accounts * self.rng.random() ** 1.6)

    def _others(self, exclude: int, n: int) -> list[int]:
        chosen: list[int] = []
        while len(chosen) < n:
            b = 1 + int(self.accounts * self.rng.random())
            if b != exclude and b not in chosen:
                chosen.append(b)
        return chosen

    # -- incidents ------------------------------------------------------------------------------------------
    def incident(self, *, lead_in: bool = False) -> int:
        """One incident; returns the number of detections written. ``lead_in``: flagged in the days before
        the period, reviewed and reported early inside it."""
        rng = self.rng
        sink = self.sink
        ts = self.ts
        kind_no = self._pick(self._kind_cum)
        kind = KINDS[kind_no]
        if lead_in:
            services = sorted(self._lead_in_starts)
            service = services[int(rng.random() * len(services))]
            starts = self._lead_in_starts[service]
        else:
            service = self._services[self._pick(self._service_cum)]
            starts = self._day_starts[service]
        day0 = starts[int(rng.random() * len(starts))]
        t0 = day0 + int(rng.random() * DAY)
        day_end = day0 + DAY
        n = 1
        while n < kind.max_items and rng.random() < kind.p_more:
            n += 1
        sender = self._sender()
        ref = account_ref(sender)
        region = account_region(sender)
        lo, hi = kind.review_delay
        confirmed: list[tuple[int, int, str, str | None]] = []  # (detection id, reviewed_at, data_type, file_type)
        detections = sink.rows["detections"]
        for i in range(n):
            flagged = t0 if i == 0 else t0 + int(rng.random() * (day_end - t0))
            data_type, file_type, _ = kind.items[self._pick(self._item_cum[kind_no])]
            reviewed: int | None = None
            verdict: str | None = None
            if lead_in or rng.random() >= kind.p_never_reviewed:
                r = flagged + lo + int(rng.random() * (hi - lo))
                if lead_in:
                    r = min(r, self.start + DAY)
                if r <= self.last_review:
                    reviewed = r
                    verdict = NOT_ABUSE if not lead_in and rng.random() < kind.p_not_abuse else CONFIRMED
            did = sink.new_id("detections")
            erased: int | None = None
            hold: str | None = None
            if verdict == NOT_ABUSE:
                assert reviewed is not None
                erased = reviewed + self._between(*ERASE_NOT_ABUSE)
                if reviewed < self.end_before <= erased:
                    # Erased before the period closes, so no not_abuse item is pending erasure at its end.
                    erased = reviewed + int(rng.random() * (self.end_before - reviewed))
            elif verdict == CONFIRMED:
                assert reviewed is not None
                confirmed.append((did, reviewed, data_type, file_type))
                if rng.random() < P_HOLD:
                    self._holds += 1
                    hold = f"LE-HOLD-{self._holds:05d}"
                    # The preservation request lapses and the item is erased before it is a year old (RET-5);
                    # fixed, not drawn, so the random stream is the one of the seeds before v2.
                    e = reviewed + HOLD_LIFTED
                    erased = e if e <= self.snapshot else None
                else:
                    e = reviewed + self._between(*ERASE_CONFIRMED)
                    erased = e if e <= self.snapshot else None
            if verdict is None:
                # Never reviewed: dropped from the queue and erased, so no item is kept beyond the limit (RET-1);
                # a fixed delay, not drawn, so the random stream is that of the seeds before v2.
                e = flagged + ERASE_UNREVIEWED
                erased = e if e <= self.snapshot else None
            detections.append(
                (
                    did,
                    service,
                    kind.technology,
                    kind.category,
                    data_type,
                    file_type,
                    region,
                    ref,
                    ts(flagged),
                    kind.automated,
                    ts(reviewed),
                    verdict,
                    ts(erased),
                    hold,
                )
            )
        if confirmed:
            self._report(service, kind.category, sender, confirmed, lead_in)
            if kind.category != SOLICITATION:
                for did, reviewed, data_type, _ in confirmed:
                    if data_type in FILE_TYPES:
                        self._removal(service, did, reviewed)
            self._account_action(service, kind.category, sender, max(r for _, r, _, _ in confirmed))
        return n

    def _report(
        self, service: str, category: str, sender: int, confirmed: list[tuple[int, int, str, str | None]], lead_in: bool
    ) -> None:
        rng = self.rng
        last = max(r for _, r, _, _ in confirmed)
        sent = last + self._between(10 * MINUTE, 3 * DAY)
        if lead_in:
            sent = max(sent, self.start + int(rng.random() * 36 * HOUR))
        if sent > self.snapshot:
            return
        human: int | None = None
        if category != KNOWN or rng.random() < 0.5:
            human = last + int(rng.random() * (sent - last + 1))
        rid = self.sink.new_id("reports")
        recipient = RECIPIENT_WEIGHTS[self._pick(self._recipient_cum)][0]
        rows = self.sink.rows
        rows["reports"].append((rid, service, recipient, category, self.ts(sent), self.ts(human)))
        items = rows["report_items"]
        for did, _, _, _ in confirmed:
            items.append((rid, did))
        accounts = rows["report_accounts"]
        if category == SOLICITATION:
            roles = SOLICITATION_ROLES
            others = self._others(sender, 1 + (rng.random() < 0.15))
        else:
            roles = CSAM_ROLES
            others = self._others(sender, 1 + (rng.random() < 0.3))
        accounts.append((rid, account_ref(sender), roles[0], account_region(sender)))
        for other in others:
            accounts.append((rid, account_ref(other), roles[1], account_region(other)))

    def _removal(self, service: str, did: int, reviewed: int) -> None:
        removed = reviewed + self._between(5, 30 * MINUTE)
        if removed > self.snapshot:
            return
        aid = self.sink.new_id("content_actions")
        restored: int | None = None
        if self.rng.random() < P_CONTENT_COMPLAINT:
            restored = self._complaint(service, "content", aid, None, removed, 0.15)
        # Told of the removal and of redress within the hour; derived from the id, not drawn from the random
        # stream, so adding the column left every other seeded value unchanged.
        notified = removed + 60 + (aid * 2654435761 >> 7) % (59 * MINUTE)
        self.sink.rows["content_actions"].append(
            (
                aid,
                service,
                did,
                self.ts(removed),
                self.ts(restored),
                self.ts(min(notified, self.snapshot)),
            )
        )

    def _account_action(self, service: str, category: str, account: int, last_review: int) -> None:
        if self._actioned[account]:
            return  # one action per account: later incidents of an actioned account are only reported
        rng = self.rng
        taken = last_review + self._between(10 * MINUTE, 2 * DAY)
        if taken > self.snapshot:
            return
        self._actioned[account] = 1
        aid = self.sink.new_id("account_actions")
        action = ACCOUNT_ACTIONS[self._pick(self._action_cum)][0]
        notified = taken + int(rng.random() * HOUR)
        restored: int | None = None
        if rng.random() < P_ACCOUNT_COMPLAINT:
            restored = self._complaint(service, "account", None, aid, taken, 0.2)
        self.sink.rows["account_actions"].append(
            (
                aid,
                service,
                account_ref(account),
                category,
                account_region(account),
                action,
                self.ts(taken),
                self.ts(notified),
                self.ts(restored),
            )
        )

    def _complaint(
        self,
        service: str,
        subject: str,
        content_action_id: int | None,
        account_action_id: int | None,
        action_at: int,
        p_restore: float,
    ) -> int | None:
        """Write a complaint against an action; returns when the action was restored, if it was."""
        rng = self.rng
        lodged = action_at + self._between(HOUR, 20 * DAY)
        if lodged > self.snapshot:
            return None
        judicial = rng.random() < P_JUDICIAL
        if judicial:
            decided: int | None = lodged + self._between(20 * DAY, 120 * DAY)
            p_restore *= 2
        else:
            decided = lodged + self._between(2 * HOUR, 10 * DAY)
        outcome = complied = restored = reason = None
        assert decided is not None
        if decided > self.snapshot:
            decided = None  # still pending when the data was taken
        else:
            if rng.random() < p_restore:
                outcome = "restored"
                reason = "action reversed on review of the complaint"
                if judicial:
                    c = decided + self._between(DAY, 10 * DAY)
                    if c <= self.snapshot:
                        complied = restored = c
                else:
                    restored = decided
            else:
                outcome = "upheld"
                reason = "action confirmed on review of the complaint"
        cid = self.sink.new_id("complaints")
        self.sink.rows["complaints"].append(
            (
                cid,
                service,
                subject,
                content_action_id,
                account_action_id,
                "judicial" if judicial else "internal",
                self.ts(lodged),
                self.ts(decided),
                outcome,
                self.ts(complied),
                reason,
            )
        )
        return restored
