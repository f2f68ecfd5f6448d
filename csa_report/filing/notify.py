"""Telling the approvers about a run's sign-off: one e-mail per recipient and notification, sent through the
configured SMTP server or written to the outbox like the report's own e-mails. Two kinds: the request
(``signoff-1``, the first time the form is shown) and the refusal notice (``signoff-1-refused``: an answer
was refused, who tried what and why, and the report still waits), keyed by the refused answer's request.

The words are the letters' (csa_report/letters/signoff.py, the same summary the report opens with); they come
here as text, because the filing code never imports what renders. Each (flow run, notification, recipient)
goes through the mail state machine (mail/machine.py): claimed in the audit database before it is sent, so a
resumed or retried run, which executes the flow body again, never sends the same notification twice. A failed
send is logged and may be claimed again by a later execution; it never stops the run: the reviewers can still
find the run in the Prefect UI, and the chat notification (a Prefect automation, csa_report/tasks/automation.py)
is independent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal

from csa_report.audit import AuditLog
from csa_report.filing.mail.ledgers import NotificationLedger
from csa_report.filing.mail.machine import claim_owner, deliver_once
from csa_report.filing.mail.message import build_message
from csa_report.filing.mail.transport import Outgoing, Transport, transport_for
from csa_report.settings import Settings

log = logging.getLogger(__name__)

Kind = Literal["request", "refusal"]


@dataclass(frozen=True)
class SignoffRequest:
    """One notification of a run's sign-off, its words already written (csa_report.letters.signoff)."""

    report_id: str
    flow_run_id: str
    key: str  # the request it is about: signoff-1, signoff-2, …
    subject: str
    body: str
    requested_at: datetime
    kind: Kind = "request"

    @property
    def notification_key(self) -> str:
        """The audit key it is sent once under: the request's key, or ``<key>-refused`` for the notice of the
        answer refused to that request."""
        return self.key if self.kind == "request" else f"{self.key}-refused"


def notify_signoff_request(
    settings: Settings, audit: AuditLog, req: SignoffRequest, transport: Transport | None = None
) -> dict[str, str]:
    """Send the notification to every address of ``CSA_SIGNOFF_NOTIFY`` not yet sent it.

    Returns recipient → what happened (``sent``, ``already sent``, ``failed: …``)."""
    recipients: Sequence[str] = sorted({r.strip() for r in settings.signoff_notify if r.strip()})
    key = req.notification_key
    if not recipients:
        log.info("no addresses in CSA_SIGNOFF_NOTIFY: nobody is e-mailed about sign-off %s", key)
        return {}
    transport = transport or transport_for(settings.smtp)
    # Its own message identity (report, run, notification): never confused with the report's delivery.
    identity = f"{req.report_id}-{req.flow_run_id[:8]}-{key}"
    ledger = NotificationLedger(audit, req.flow_run_id, key, req.report_id, transport.channel)
    outcome: dict[str, str] = {}
    for recipient in recipients:
        msg = build_message(
            report_id=identity,
            sender=settings.smtp_from,
            recipient=recipient,
            subject=req.subject,
            body=req.body,
            attachments=(),
            date=req.requested_at,
        )
        done = deliver_once(
            ledger,
            recipient,
            str(msg["Message-ID"]),
            partial(transport.send, Outgoing(identity, recipient, msg)),
            owner=claim_owner(),
            wait_s=0,
            clock=lambda: req.requested_at,
            retake_unknown=False,
        )
        if done.status == "sent":
            log.info("sign-off %s e-mailed to %s (%s)", key, recipient, transport.channel)
            outcome[recipient] = "sent"
        elif done.status in ("skipped", "unknown"):
            outcome[recipient] = "already sent"
        else:
            log.warning(
                "sign-off %s not e-mailed to %s: %s (check CSA_SMTP_HOST, CSA_SMTP_PORT and CSA_SIGNOFF_NOTIFY)",
                key,
                recipient,
                done.detail,
            )
            outcome[recipient] = f"failed: {done.detail}"
    return outcome


def notifications(audit: AuditLog, flow_run_id: str) -> list[tuple[str, str, str]]:
    """(notification key, recipient, status) of one flow run, sorted."""
    return [(n.request_key, n.recipient, n.status) for n in audit.notifications(flow_run_id)]
