"""Telling the approvers that a run waits for their sign-off: one e-mail per recipient and sign-off request
(``signoff-1``, ``signoff-2`` after a refusal, …), sent through the configured SMTP server or written to the
outbox like the report's own e-mails.

Each (flow run, request, recipient) is claimed in the audit database before it is sent, so a resumed or
retried run, which executes the flow body again, never sends the same request twice. A failed send is logged
and may be claimed again by a later execution; it never stops the run: the reviewers can still find the run
in the Prefect UI, and the chat notification (a Prefect automation, csa_report/tasks/automation.py) is independent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csa_report.audit import AuditLog
from csa_report.audit.models import SignoffNotification
from csa_report.db import with_retries
from csa_report.errors import CsaReportError
from csa_report.filing.mail.transport import deliver
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


def notify_signoff_request(settings: Settings, audit: AuditLog, req: SignoffRequest) -> dict[str, str]:
    """Send the request to every address of ``CSA_SIGNOFF_NOTIFY`` not yet notified about it.

    Returns recipient → what happened (``sent``, ``already sent``, ``failed: …``)."""
    recipients: Sequence[str] = sorted({r.strip() for r in settings.signoff_notify if r.strip()})
    if not recipients:
        log.info("no addresses in CSA_SIGNOFF_NOTIFY: nobody is e-mailed about sign-off request %s", req.key)
        return {}
    channel = "smtp" if settings.smtp_host else "outbox"
    subject, body = message(req)
    outcome: dict[str, str] = {}
    for recipient in recipients:
        if not _claim(audit, req, recipient, channel):
            outcome[recipient] = "already sent"
            continue
        try:
            # Its own message identity (report, run, request): never confused with the report's delivery.
            done = deliver(
                settings.smtp,
                report_id=f"{req.report_id}-{req.flow_run_id[:8]}-{req.key}",
                recipient=recipient,
                subject=subject,
                body=body,
                attachments=(),
                date=req.requested_at,
            )
        except CsaReportError as exc:
            _finish(audit, req, recipient, "failed", None, str(exc), req.requested_at)
            log.warning(
                "sign-off request %s not e-mailed to %s: %s (check CSA_SMTP_HOST, CSA_SMTP_PORT and "
                "CSA_SIGNOFF_NOTIFY)",
                req.key,
                recipient,
                exc,
            )
            outcome[recipient] = f"failed: {exc}"
            continue
        _finish(audit, req, recipient, "sent", done.message_id, done.detail, req.requested_at)
        log.info("sign-off request %s e-mailed to %s (%s)", req.key, recipient, done.channel)
        outcome[recipient] = "sent"
    return outcome


def notifications(audit: AuditLog, flow_run_id: str) -> list[tuple[str, str, str]]:
    """(request key, recipient, status) of one flow run, sorted."""
    with Session(audit.engine) as s:
        rows = s.execute(
            select(SignoffNotification.request_key, SignoffNotification.recipient, SignoffNotification.status)
            .where(SignoffNotification.flow_run_id == flow_run_id)
            .order_by(SignoffNotification.request_key, SignoffNotification.recipient)
        ).all()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def _claim(audit: AuditLog, req: SignoffRequest, recipient: str, channel: str) -> bool:
    """True if this caller may send: a new row, or a failed one taken over (one winner: conditional UPDATE)."""
    key = (
        SignoffNotification.flow_run_id == req.flow_run_id,
        SignoffNotification.request_key == req.key,
        SignoffNotification.recipient == recipient,
    )
    conn = with_retries(audit.engine.connect, audit.what)
    try:
        try:
            with conn.begin():
                conn.execute(
                    insert(SignoffNotification).values(
                        flow_run_id=req.flow_run_id,
                        request_key=req.key,
                        report_id=req.report_id,
                        recipient=recipient,
                        channel=channel,
                        status="pending",
                        created_at=req.requested_at,
                        updated_at=req.requested_at,
                    )
                )
            return True
        except IntegrityError:
            pass
        with conn.begin():
            result = conn.execute(
                update(SignoffNotification)
                .where(*key, SignoffNotification.status == "failed")
                .values(status="pending", channel=channel, updated_at=req.requested_at)
            )
            return bool(getattr(result, "rowcount", 0))
    finally:
        conn.close()


def _finish(
    audit: AuditLog,
    req: SignoffRequest,
    recipient: str,
    status: str,
    message_id: str | None,
    detail: str | None,
    at: datetime,
) -> None:
    conn = with_retries(audit.engine.connect, audit.what)
    try:
        with conn.begin():
            conn.execute(
                update(SignoffNotification)
                .where(
                    SignoffNotification.flow_run_id == req.flow_run_id,
                    SignoffNotification.request_key == req.key,
                    SignoffNotification.recipient == recipient,
                )
                .values(status=status, message_id=message_id, detail=(detail or "")[:500] or None, updated_at=at)
            )
    finally:
        conn.close()
