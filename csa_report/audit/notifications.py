"""Sign-off notifications (table ``signoff_notifications``), claimed before they are sent like the report's
deliveries: one row per (flow run, request, recipient), so a resumed or retried run never sends the same request
twice. A 'failed' row may be claimed again (one winner: a conditional UPDATE); any other row never."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update

from csa_report.audit.models import SignoffNotification
from csa_report.audit.records import Claim, NotificationRecord
from csa_report.audit.store import AuditStore, rowcount


class Notifications(AuditStore):
    def claim_notification(
        self, flow_run_id: str, request_key: str, recipient: str, *, report_id: str, channel: str, at: datetime
    ) -> Claim:
        """``claimed`` (a new row, or a failed one taken over) or ``done`` (sent, or being sent, before)."""
        first = insert(SignoffNotification).values(
            flow_run_id=flow_run_id,
            request_key=request_key,
            report_id=report_id,
            recipient=recipient,
            channel=channel,
            status="pending",
            created_at=at,
            updated_at=at,
        )
        if self._insert_once(first):
            return Claim("claimed")
        with self._tx() as conn:
            won = rowcount(
                conn.execute(
                    update(SignoffNotification)
                    .where(*_where(flow_run_id, request_key, recipient), SignoffNotification.status == "failed")
                    .values(status="pending", channel=channel, updated_at=at)
                )
            )
        return Claim("claimed" if won == 1 else "done")

    def finish_notification(
        self,
        flow_run_id: str,
        request_key: str,
        recipient: str,
        *,
        status: str,
        at: datetime,
        message_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "detail": (detail or "")[:500] or None, "updated_at": at}
        if message_id is not None:
            values["message_id"] = message_id
        with self._tx() as conn:
            conn.execute(update(SignoffNotification).where(*_where(flow_run_id, request_key, recipient)).values(values))

    def notifications(self, flow_run_id: str) -> list[NotificationRecord]:
        """The notifications of one flow run, by request and recipient."""
        with self._tx() as conn:
            rows = conn.execute(
                select(SignoffNotification.request_key, SignoffNotification.recipient, SignoffNotification.status)
                .where(SignoffNotification.flow_run_id == flow_run_id)
                .order_by(SignoffNotification.request_key, SignoffNotification.recipient)
            ).all()
        return [NotificationRecord(str(a), str(b), str(c)) for a, b, c in rows]


def _where(flow_run_id: str, request_key: str, recipient: str) -> list[ColumnElement[bool]]:
    return [
        SignoffNotification.flow_run_id == flow_run_id,
        SignoffNotification.request_key == request_key,
        SignoffNotification.recipient == recipient,
    ]
