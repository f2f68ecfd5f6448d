"""Telling the approvers that a run waits for their sign-off: one e-mail per recipient and sign-off request
(``signoff-1``, ``signoff-2`` after a refusal, …), sent through the configured SMTP server or written to the
outbox like the report's own e-mails.

Each (flow run, request, recipient) goes through the mail state machine (mail/machine.py): claimed in the audit
database before it is sent, so a resumed or retried run, which executes the flow body again, never sends the
same request twice. A failed send is logged
and may be claimed again by a later execution; it never stops the run: the reviewers can still find the run
in the Prefect UI, and the chat notification (a Prefect automation, csa_report/tasks/automation.py) is independent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from csa_report.audit import AuditLog
from csa_report.filing.mail.ledgers import NotificationLedger
from csa_report.filing.mail.machine import claim_owner, deliver_once
from csa_report.filing.mail.message import build_message
from csa_report.filing.mail.transport import Outgoing, Transport, transport_for
from csa_report.period import format_instant
from csa_report.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignoffRequest:
    """What the approvers need to act: which report, where to answer, what to read, and by when."""

    provider: str
    period: str
    report_id: str
    manifest_sha256: str
    flow_run_id: str
    flow_run_name: str
    key: str  # signoff-1, signoff-2, …
    run_url: str | None
    links: tuple[tuple[str, str], ...]
    links_expire: datetime
    deadline: datetime
    approvers: tuple[str, ...]
    requested_at: datetime


def message(req: SignoffRequest) -> tuple[str, str]:
    """Subject and plain-text body of the notification."""
    subject = f"Sign-off needed: {req.provider}, {req.period} (report {req.report_id})"
    lines = [
        f"The transparency report of {req.provider} for {req.period} (report {req.report_id}) waits for sign-off.",
        "",
        f"Answer in the Prefect UI, run {req.flow_run_name}: {req.run_url or req.flow_run_id}",
        "(open the run, then Resume, and fill in the form)",
        "",
        f"Deadline: {format_instant(req.deadline)}. Without an answer by then the run fails and nothing is submitted.",
        "",
        f"Review the staged files (links valid until {format_instant(req.links_expire)}):",
        *[f"  {name}: {url}" for name, url in req.links],
        "",
        "Confirm the SHA-256 of manifest.json in the form; it must be:",
        f"  {req.manifest_sha256}",
        "",
        f"Approvers: {', '.join(req.approvers)}.",
        f"Request: {req.key}.",
    ]
    return subject, "\n".join(lines) + "\n"


def notify_signoff_request(
    settings: Settings, audit: AuditLog, req: SignoffRequest, transport: Transport | None = None
) -> dict[str, str]:
    """Send the request to every address of ``CSA_SIGNOFF_NOTIFY`` not yet notified about it.

    Returns recipient → what happened (``sent``, ``already sent``, ``failed: …``)."""
    recipients: Sequence[str] = sorted({r.strip() for r in settings.signoff_notify if r.strip()})
    if not recipients:
        log.info("no addresses in CSA_SIGNOFF_NOTIFY: nobody is e-mailed about sign-off request %s", req.key)
        return {}
    transport = transport or transport_for(settings.smtp)
    subject, body = message(req)
    # Its own message identity (report, run, request): never confused with the report's delivery.
    identity = f"{req.report_id}-{req.flow_run_id[:8]}-{req.key}"
    ledger = NotificationLedger(audit, req.flow_run_id, req.key, req.report_id, transport.channel)
    outcome: dict[str, str] = {}
    for recipient in recipients:
        msg = build_message(
            report_id=identity,
            sender=settings.smtp_from,
            recipient=recipient,
            subject=subject,
            body=body,
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
            log.info("sign-off request %s e-mailed to %s (%s)", req.key, recipient, transport.channel)
            outcome[recipient] = "sent"
        elif done.status in ("skipped", "unknown"):
            outcome[recipient] = "already sent"
        else:
            log.warning(
                "sign-off request %s not e-mailed to %s: %s (check CSA_SMTP_HOST, CSA_SMTP_PORT and "
                "CSA_SIGNOFF_NOTIFY)",
                req.key,
                recipient,
                done.detail,
            )
            outcome[recipient] = f"failed: {done.detail}"
    return outcome


def notifications(audit: AuditLog, flow_run_id: str) -> list[tuple[str, str, str]]:
    """(request key, recipient, status) of one flow run, sorted."""
    return [(n.request_key, n.recipient, n.status) for n in audit.notifications(flow_run_id)]
