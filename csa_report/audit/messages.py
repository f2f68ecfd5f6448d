"""Each delivery's message as first composed (table ``delivery_messages``), written once per delivery.

The first attempt of a delivery records what it composed; every later attempt (a retry, a re-run, an operator's
resend) reads that record back and sends the same message, so what an authority receives under one Message-ID
never changes, even when provider.md or the letter templates have changed since.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select

from csa_report.audit.models import DeliveryMessage
from csa_report.audit.records import SentMessage
from csa_report.audit.store import AuditStore, period_text
from csa_report.period import Period


class Messages(AuditStore):
    def record_message(
        self, provider: str, period: Period | str, report_id: str, recipient: str, message: SentMessage, *, at: datetime
    ) -> SentMessage:
        """Record ``message`` as this delivery's, unless one is recorded already; either way, the recorded one
        (the first writer wins, so two racing attempts end up sending the same message)."""
        row = insert(DeliveryMessage).values(
            provider=provider,
            period=period_text(period),
            report_id=report_id,
            recipient=recipient,
            headers=json.dumps([list(h) for h in message.headers], ensure_ascii=False),
            body=message.body,
            attachments=json.dumps([list(a) for a in message.attachments], ensure_ascii=False),
            boundary=message.boundary,
            max_line_length=message.max_line_length,
            recorded_at=at,
        )
        self._insert_once(row)
        recorded = self.sent_message(provider, period, report_id, recipient)
        assert recorded is not None  # inserted now, or by the attempt that won
        return recorded

    def sent_message(self, provider: str, period: Period | str, report_id: str, recipient: str) -> SentMessage | None:
        """The message recorded for this delivery, or None (not composed yet, or delivered before audit_0005)."""
        with self._tx() as conn:
            row = conn.scalars(
                select(DeliveryMessage).where(
                    DeliveryMessage.provider == provider,
                    DeliveryMessage.period == period_text(period),
                    DeliveryMessage.report_id == report_id,
                    DeliveryMessage.recipient == recipient,
                )
            ).one_or_none()
        if row is None:
            return None
        return SentMessage(
            headers=tuple((str(n), str(v)) for n, v in json.loads(row.headers)),
            body=row.body,
            attachments=tuple((str(n), str(t), str(h)) for n, t, h in json.loads(row.attachments)),
            boundary=row.boundary,
            max_line_length=int(row.max_line_length),
        )
