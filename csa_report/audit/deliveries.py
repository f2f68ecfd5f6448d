"""Deliveries of a report to its recipients, claimed before they are sent.

A 'pending' row is inserted in its own transaction, and the unique constraint on (provider, period, report id,
recipient) lets exactly one claimer win, across threads, processes and re-runs. A 'failed' row can be re-claimed
(one winner again: a conditional UPDATE), unless the server refused it for good (its detail begins with
``refused:``): only an operator's resend sends that again. A 'sent' row never. A 'pending' row left by a crash is
not re-claimed automatically, because nobody knows whether that message went out: ``status`` shows it and an
operator decides (``release_delivery``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select, update

from csa_report.audit.models import Delivery, DeliveryEvent
from csa_report.audit.records import DELIVERED, OUTCOME_OPEN, REFUSED, Claim, DeliveryEventRecord, DeliverySummary
from csa_report.audit.store import AuditStore, period_text, record_of, rowcount
from csa_report.period import Period

log = logging.getLogger(__name__)


class Deliveries(AuditStore):
    def claim(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        channel: str,
        at: datetime,
        role: str | None = None,
        owner: str = "",
    ) -> Claim:
        """Claim the delivery for sending (a new row, or a 'failed' one re-claimed: one winner either way), or
        say why not. ``owner`` (host and process) is kept on the claim so a later run can tell a claim whose
        process died (outcome unknown) from one still in progress."""
        key = _delivery_key(provider, period, report_id, recipient)
        claimed_by = f"claimed by {owner}" if owner else "claimed"
        first = insert(Delivery).values(
            **key,
            role=role,
            channel=channel,
            status="pending",
            attempts=1,
            detail=claimed_by,
            created_at=at,
            updated_at=at,
        )
        if self._insert_once(first, _insert_event(key, "claimed", claimed_by, at)):
            log.info("audit delivery claimed: report=%s recipient=%s (first attempt)", report_id, recipient)
            return Claim("claimed")
        with self._tx() as conn:
            won = rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(key), Delivery.status == "failed", _not_refused())
                    .values(
                        status="pending",
                        attempts=Delivery.attempts + 1,
                        channel=channel,
                        detail=claimed_by,
                        updated_at=at,
                    )
                )
            )
            if won == 1:
                conn.execute(_insert_event(key, "claimed", f"{claimed_by} (after a failure)", at))
            row = conn.execute(select(Delivery.status, Delivery.detail).where(*_delivery_where(key))).one()
        if won == 1:
            log.info("audit delivery re-claimed after a failure: report=%s recipient=%s", report_id, recipient)
            return Claim("claimed")
        status, detail = str(row[0]), row[1]
        log.info("audit delivery not claimed (%s): report=%s recipient=%s", status, report_id, recipient)
        if status == "accepted":
            # The server took the message; the process stopped before recording 'sent'. It is delivered.
            self._finish(
                key,
                {"status": "sent", "updated_at": at},
                "sent",
                "accepted before; recorded now",
                at,
                from_status=("accepted",),
            )
            return Claim("done")
        if status in DELIVERED:
            return Claim("done")
        if status == "failed":
            return Claim("refused", detail=str(detail or "").removeprefix(REFUSED))
        if status == "pending":
            return Claim("pending", _owner_of(detail))
        return Claim("unknown")

    def mark_accepted(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        message_id: str,
        detail: str,
        at: datetime,
    ) -> None:
        """The server answered 250 to the message: from here on it is never sent again."""
        values: dict[str, object] = {"status": "accepted", "message_id": message_id, "detail": detail, "updated_at": at}
        self._finish(_delivery_key(provider, period, report_id, recipient), values, "accepted", detail, at)
        log.info("audit delivery accepted by the server: report=%s recipient=%s", report_id, recipient)

    def mark_unknown(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> None:
        """The outcome of a claimed delivery is unknown; only an operator's confirm or resend moves it on."""
        key = _delivery_key(provider, period, report_id, recipient)
        self._end_pending(key, "unknown", detail, at, logging.WARNING, "audit delivery outcome unknown")

    def mark_failed(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> None:
        key = _delivery_key(provider, period, report_id, recipient)
        self._end_pending(key, "failed", detail, at, logging.INFO, "audit delivery failed")

    def confirm_delivery(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        evidence: str,
        at: datetime,
        read: DeliverySummary | None = None,
    ) -> bool:
        """Operator action: a delivery of unknown outcome did arrive (``evidence``, e.g. the authority's reply).
        True if the row was unknown or pending (with ``read``: still exactly as read) and is now 'confirmed'."""
        detail = f"confirmed by the operator: {evidence}"
        return self._finish(
            _delivery_key(provider, period, report_id, recipient),
            {"status": "confirmed", "detail": detail, "updated_at": at},
            "confirmed",
            detail,
            at,
            from_status=OUTCOME_OPEN,
            unchanged_since=read,
        )

    def begin_resend(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        owner: str,
        at: datetime,
        refused: bool = False,
        read: DeliverySummary | None = None,
    ) -> bool:
        """Operator action: claim a delivery of unknown outcome (or, with ``refused``, one the server refused for
        good, after the cause was fixed) for sending again (same Message-ID). With ``read`` (what the operator's
        command decided on), only a row still exactly as read: a claim taken meanwhile, by a run or another
        operator, is never taken over."""
        detail = f"resend by the operator, claimed by {owner}"
        values = {"status": "pending", "attempts": Delivery.attempts + 1, "detail": detail, "updated_at": at}
        return self._finish(
            _delivery_key(provider, period, report_id, recipient),
            values,
            "resend",
            detail,
            at,
            from_status=(*OUTCOME_OPEN, "failed") if refused else OUTCOME_OPEN,
            unchanged_since=read,
        )

    def first_claimed_at(self, provider: str, period: Period | str, report_id: str, recipient: str) -> datetime | None:
        """When this delivery was first claimed: the moment of sending its message is dated with, the same for
        every later attempt, so a resend is the same message."""
        with self._tx() as conn:
            return conn.scalar(
                select(Delivery.created_at).where(
                    *_delivery_where(_delivery_key(provider, period, report_id, recipient))
                )
            )

    def claim_owner_of(self, provider: str, period: Period | str, report_id: str, recipient: str) -> str | None:
        """Who holds the pending claim of this delivery (host and process), or None when it is not pending."""
        with self._tx() as conn:
            row = conn.execute(
                select(Delivery.status, Delivery.detail).where(
                    *_delivery_where(_delivery_key(provider, period, report_id, recipient))
                )
            ).one_or_none()
        if row is None or row[0] != "pending":
            return None
        return _owner_of(row[1])

    def delivery_events(self, report_id: str) -> list[DeliveryEventRecord]:
        with self._tx() as conn:
            rows = conn.scalars(
                select(DeliveryEvent).where(DeliveryEvent.report_id == report_id).order_by(DeliveryEvent.id)
            ).all()
        return [DeliveryEventRecord(r.recipient, r.event, r.detail, r.at) for r in rows]

    def mark_delivered(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        message_id: str,
        detail: str,
        at: datetime,
        channel: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": "sent", "message_id": message_id, "detail": detail, "updated_at": at}
        if channel:
            values["channel"] = channel
        self._finish(
            _delivery_key(provider, period, report_id, recipient),
            values,
            "sent",
            detail,
            at,
            from_status=("pending", "accepted"),
        )
        log.info("audit delivery sent: report=%s recipient=%s message_id=%s", report_id, recipient, message_id)

    def release_delivery(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> bool:
        """Operator action: turn a stuck 'pending' row into 'failed' so the next run sends again."""
        with self._tx() as conn:
            done = rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(_delivery_key(provider, period, report_id, recipient)))
                    .where(Delivery.status == "pending")
                    .values(status="failed", detail=detail, updated_at=at)
                )
            )
        return done == 1

    def _finish(
        self,
        key: dict[str, str],
        values: dict[str, object],
        event: str,
        detail: str | None,
        at: datetime,
        from_status: tuple[str, ...] = ("pending",),
        unchanged_since: DeliverySummary | None = None,
    ) -> bool:
        """Move the row on (only from ``from_status``, and with ``unchanged_since`` only while status, attempts
        and detail are still those read: one winner) and log the event; True if it moved."""
        where = [*_delivery_where(key), Delivery.status.in_(from_status)]
        if unchanged_since is not None:
            # Every claim, resend and outcome changes the detail or the attempts, so equal means untouched.
            where += [
                Delivery.status == unchanged_since.status,
                Delivery.attempts == unchanged_since.attempts,
                Delivery.detail.is_(None)
                if unchanged_since.detail is None
                else Delivery.detail == unchanged_since.detail,
            ]
        with self._tx() as conn:
            done = rowcount(conn.execute(update(Delivery).where(*where).values(**values)))
            if done == 1:
                conn.execute(_insert_event(key, event, detail, at))
        return done == 1

    def _end_pending(self, key: dict[str, str], status: str, detail: str, at: datetime, level: int, what: str) -> None:
        """A pending delivery ends in ``status`` (the event of the same name), with ``detail``; logged as ``what``."""
        self._finish(key, {"status": status, "detail": detail, "updated_at": at}, status, detail, at)
        log.log(level, "%s: report=%s recipient=%s (%s)", what, key["report_id"], key["recipient"], detail)

    def deliveries(self, report_id: str) -> list[DeliverySummary]:
        with self._tx() as conn:
            rows = conn.scalars(
                select(Delivery).where(Delivery.report_id == report_id).order_by(Delivery.recipient)
            ).all()
        return [delivery_summary(r) for r in rows]


def _owner_of(detail: str | None) -> str | None:
    """The owner a claim's detail names: 'claimed by HOST pid N' or '… claimed by HOST pid N' (a resend)."""
    text = str(detail or "")
    _, found, rest = text.rpartition("claimed by ")
    return rest.split(" (", 1)[0] or None if found else None


def _not_refused() -> ColumnElement[bool]:
    return or_(Delivery.detail.is_(None), ~Delivery.detail.startswith(REFUSED, autoescape=True))


def _delivery_key(provider: str, period: Period | str, report_id: str, recipient: str) -> dict[str, str]:
    return {"provider": provider, "period": period_text(period), "report_id": report_id, "recipient": recipient}


def _insert_event(key: dict[str, str], event: str, detail: str | None, at: datetime) -> Any:
    return insert(DeliveryEvent).values(**key, event=event, detail=detail, at=at)


def _delivery_where(key: dict[str, str]) -> list[ColumnElement[bool]]:
    return [
        Delivery.provider == key["provider"],
        Delivery.period == key["period"],
        Delivery.report_id == key["report_id"],
        Delivery.recipient == key["recipient"],
    ]


def delivery_summary(r: Delivery) -> DeliverySummary:
    return record_of(DeliverySummary, r, attempts=int(r.attempts))
