"""The report's deliveries: one message per recipient (the formal letter, or the plain message), each through
the claim → send → record state machine (machine.py), so each recipient gets it once however often the step
runs. A permanent refusal ends that delivery as failed and is never sent again on its own; an unknown outcome
stops the run as ``delivery-unknown`` with the commands that settle it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Final, NoReturn

from csa_report.audit.log import AuditLog
from csa_report.errors import DeliveryUnknown, InputError, RefusedError
from csa_report.filing.guard import Correction
from csa_report.filing.mail.ledgers import ReportLedger
from csa_report.filing.mail.machine import claim_owner, deliver_once
from csa_report.filing.mail.message import Attachment, Composer, build_message, message_id
from csa_report.filing.mail.recorded import recorded_message
from csa_report.filing.mail.transport import Delivered, DeliveryProgress, Outgoing, Transport
from csa_report.period import format_instant
from csa_report.settings import SmtpSettings
from csa_report.storage.report import ReportRef

log = logging.getLogger(__name__)

#: What the plain message attaches.
ATTACHMENTS: Final = (("report.pdf", "application/pdf"), ("report.json", "application/json"))


def unique_recipients(recipients: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for role, address in recipients:
        key = address.strip().lower()
        if key not in seen:
            seen.add(key)
            out.append((role, address.strip()))
    return out


def message_text(ref: ReportRef, manifest_sha256: str, correction: Correction | None = None) -> tuple[str, str]:
    subject = f"Transparency report {ref.provider} {ref.period} (report {ref.report_id})"
    corrected = ""
    if correction is not None:
        # A correction says so first, in the subject and the opening of the body, so nobody files it as a duplicate.
        subject = (
            f"Corrected transparency report {ref.provider} {ref.period} (report {ref.report_id}, "
            f"supersedes {correction.supersedes})"
        )
        corrected = (
            f"This is a corrected version: it supersedes report {correction.supersedes}, which was sent "
            f"to you earlier for the same period, because: {correction.reason}\n\n"
        )
    body = (
        f"Dear Sir or Madam,\n\n"
        f"{corrected}"
        f"Please find attached the transparency report of {ref.provider} for the period {ref.period} "
        f"under Regulation (EU) 2021/1232, as a PDF and as machine-readable JSON.\n\n"
        f"Report id: {ref.report_id}\nManifest SHA-256: {manifest_sha256}\n\n"
        f"This message was sent once to each recipient by csa-report.\n"
    )
    return subject, body


def raise_unknown(
    audit: AuditLog, ref: ReportRef, run_id: int, recipients: Sequence[str], clock: Callable[[], datetime]
) -> NoReturn:
    """Stop the run as ``delivery-unknown`` with the two commands that settle each such delivery."""
    audit.set_run_status(run_id, "delivery-unknown", clock())
    # Every recipient's commands: each unknown delivery is settled on its own (naming only the first left the
    # others' commands for the operator to guess).
    commands = "; ".join(
        f"for {r}: `csa-report delivery confirm {run_id} {r} --evidence TEXT` if it arrived, or "
        f"`csa-report delivery resend {run_id} {r}` to send it again with the same Message-ID"
        for r in recipients
    )
    raise DeliveryUnknown(
        f"report {ref.report_id}: the outcome of the delivery to {', '.join(recipients)} is unknown (claimed, no "
        f"answer recorded); nothing was marked submitted. Ask the recipient, then {commands}"
    )


def plain_message(
    ref: ReportRef, sender: str, manifest_sha256: str, date: datetime, correction: Correction | None = None
) -> Composer:
    """The plain message (the PDF and the JSON, the manifest's hash in the body), dated ``date``: what goes when
    no formal letter is given."""
    subject, body = message_text(ref, manifest_sha256, correction)

    def compose(recipient: str, contents: Mapping[str, bytes], sent_at: datetime) -> EmailMessage:
        missing = [name for name, _ in ATTACHMENTS if name not in contents]
        if missing:
            raise InputError(f"report {ref.report_id}: {', '.join(missing)} not staged; nothing can be delivered")
        return build_message(
            report_id=ref.report_id,
            sender=sender,
            recipient=recipient,
            subject=subject,
            body=body,
            attachments=[Attachment(name, ctype, contents[name]) for name, ctype in ATTACHMENTS],
            date=date,
        )

    return compose


def deliver_report(
    audit: AuditLog,
    smtp: SmtpSettings,
    ref: ReportRef,
    files: Mapping[str, bytes],
    recipients: Sequence[tuple[str, str]],
    *,
    run_id: int,
    compose: Composer,
    clock: Callable[[], datetime],
    transport: Transport,
) -> tuple[list[Delivered], list[str], list[tuple[str, str]]]:
    """Each recipient's message through the state machine, once. Returns (sent now, served before, failed for
    now); raises DeliveryUnknown when an outcome is unknown, RefusedError when the server refused some for good
    and nothing else failed."""
    unique = unique_recipients(recipients)
    compose(unique[0][1], files, clock())  # a missing attachment stops here, before anything is claimed
    ledger = ReportLedger(audit, ref.provider, ref.period, ref.report_id, transport.channel, {a: r for r, a in unique})
    sent: list[Delivered] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    me = claim_owner()
    for role, address in unique:

        def send(progress: DeliveryProgress, address: str = address) -> Delivered:
            # Dated the moment the delivery was first claimed, and built from the message recorded by its first
            # attempt: every attempt of it is the same message.
            sent_at = audit.first_claimed_at(ref.provider, ref.period, ref.report_id, address) or clock()
            key = (ref.provider, str(ref.period), ref.report_id, address)
            msg = recorded_message(audit, key, compose, files, sent_at, at=clock())
            assert msg is not None  # composed now when nothing was recorded
            return transport.send(Outgoing(ref.report_id, address, msg), progress)

        done = deliver_once(
            ledger,
            address,
            message_id(ref.report_id, address),
            send,
            owner=me,
            wait_s=smtp.delivery_claim_wait_s,
            clock=clock,
            # The outbox write is create-only and compares bytes, so writing again cannot make a second copy.
            retake_unknown=transport.channel == "outbox",
        )
        if done.status == "skipped":
            skipped.append(address)
        elif done.status == "unknown":
            unknown.append((address, done.detail))
        elif done.status == "refused":
            refused.append((address, done.detail))
            log.error(
                "delivery of report %s to %s (%s) refused for good: %s", ref.report_id, address, role, done.detail
            )
        elif done.status == "failed":
            failed.append((address, done.detail))
            log.warning("delivery of report %s to %s (%s) failed: %s", ref.report_id, address, role, done.detail)
        else:
            assert done.delivered is not None
            sent.append(done.delivered)
            log.info(
                "report %s delivered to %s (%s) via %s message_id=%s at %s",
                ref.report_id,
                address,
                role,
                done.delivered.channel,
                done.delivered.message_id,
                format_instant(clock()),
            )
    if unknown:
        raise_unknown(audit, ref, run_id, [r for r, _ in unknown], clock)
    if refused and not failed:
        audit.set_run_status(run_id, "delivery-incomplete", clock())
        raise RefusedError(_refused_text(ref, run_id, refused, len(unique)))
    return sent, skipped, failed + refused


def _refused_text(ref: ReportRef, run_id: int, refused: Sequence[tuple[str, str]], total: int) -> str:
    """Says what the server answered, what to fix, and that nothing will retry it on its own."""
    lines = "; ".join(why for _, why in refused)
    commands = ", ".join(f"`csa-report delivery resend {run_id} {r}`" for r, _ in refused)
    return (
        f"report {ref.report_id}: {len(refused)} of {total} deliveries refused for good and not retried "
        f"(the others were made): {lines}. Fix what it names, then {commands}"
    )
