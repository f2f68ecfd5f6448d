"""The two kinds of message the state machine (machine.py) records, each over its own audit table: the report's
deliveries (once per provider, period, report id and recipient) and the sign-off notifications (once per flow
run, request and recipient)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csa_report.audit.log import AuditLog
from csa_report.audit.records import Claim
from csa_report.filing.mail.transport import Channel, Delivered
from csa_report.period import Period


@dataclass(frozen=True)
class ReportLedger:
    """Deliveries of report ``report_id`` (table ``deliveries``)."""

    audit: AuditLog
    provider: str
    period: Period | str
    report_id: str
    channel: Channel
    roles: dict[str, str] | None = None  # recipient → role, recorded with the first claim

    def _key(self, recipient: str) -> tuple[str, Period | str, str, str]:
        return (self.provider, self.period, self.report_id, recipient)

    def claim(self, recipient: str, *, owner: str, at: datetime) -> Claim:
        role = (self.roles or {}).get(recipient)
        return self.audit.claim(*self._key(recipient), channel=self.channel, at=at, role=role, owner=owner)

    def retake_unknown(self, recipient: str, *, owner: str, at: datetime) -> bool:
        return self.audit.begin_resend(*self._key(recipient), owner=owner, at=at)

    def accepted(self, recipient: str, *, message_id: str, reply: str, at: datetime) -> None:
        self.audit.mark_accepted(*self._key(recipient), message_id=message_id, detail=reply, at=at)

    def sent(self, recipient: str, done: Delivered, *, at: datetime) -> None:
        self.audit.mark_delivered(
            *self._key(recipient), message_id=done.message_id, detail=done.detail, at=at, channel=done.channel
        )

    def failed(self, recipient: str, *, detail: str, at: datetime) -> None:
        self.audit.mark_failed(*self._key(recipient), detail=detail, at=at)

    def unknown(self, recipient: str, *, detail: str, at: datetime) -> None:
        self.audit.mark_unknown(*self._key(recipient), detail=detail, at=at)


@dataclass(frozen=True)
class NotificationLedger:
    """Sign-off request ``request_key`` of flow run ``flow_run_id`` (table ``signoff_notifications``)."""

    audit: AuditLog
    flow_run_id: str
    request_key: str
    report_id: str
    channel: Channel

    def claim(self, recipient: str, *, owner: str, at: datetime) -> Claim:
        return self.audit.claim_notification(
            self.flow_run_id, self.request_key, recipient, report_id=self.report_id, channel=self.channel, at=at
        )

    def retake_unknown(self, recipient: str, *, owner: str, at: datetime) -> bool:
        return False  # a notification of unknown outcome is not sent twice: the approvers also have the UI

    def accepted(self, recipient: str, *, message_id: str, reply: str, at: datetime) -> None:
        self._finish(recipient, "accepted", at, message_id, reply)

    def sent(self, recipient: str, done: Delivered, *, at: datetime) -> None:
        self._finish(recipient, "sent", at, done.message_id, done.detail)

    def failed(self, recipient: str, *, detail: str, at: datetime) -> None:
        self._finish(recipient, "failed", at, None, detail)

    def unknown(self, recipient: str, *, detail: str, at: datetime) -> None:
        self._finish(recipient, "unknown", at, None, detail)

    def _finish(self, recipient: str, status: str, at: datetime, message_id: str | None, detail: str) -> None:
        self.audit.finish_notification(
            self.flow_run_id, self.request_key, recipient, status=status, at=at, message_id=message_id, detail=detail
        )
