"""E-mail delivery of the report to one recipient at a time: SMTP (STARTTLS, SMTPS or plain) or, with no SMTP
host configured, a create-only ``.eml`` file in the outbox folder.

Messages are deterministic: the Message-ID derives from the report id and the recipient, the Date header from
an instant passed in (the as-of or sign-off time), and the MIME boundary from the content. The same delivery
therefore always produces the same bytes, and a receiving system can de-duplicate on the Message-ID.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

from csa_report.credentials import smtp_password
from csa_report.errors import (
    DeliveryError,
    DeliveryRefused,
    DeliveryUnknown,
    InputError,
    StorageConflict,
    UnreachableError,
)
from csa_report.invisible import visible
from csa_report.settings import SmtpSettings

log = logging.getLogger(__name__)

Channel = Literal["smtp", "outbox"]
Stage = Literal["connecting", "data-sent", "accepted"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Delivered:
    """What happened: the channel, the Message-ID and where it went (server reply or outbox file)."""

    recipient: str
    channel: Channel
    message_id: str
    detail: str


def recipient_slug(recipient: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", recipient.strip().lower()).strip("-")
    if not slug:
        raise InputError(f"recipient {recipient!r} is not an e-mail address")
    return slug


def message_id(report_id: str, recipient: str) -> str:
    """``<{report_id}.{sha256(recipient)[:16]}@csa-report>``: the same for every attempt of one delivery."""
    digest = hashlib.sha256(recipient.strip().lower().encode("utf-8")).hexdigest()[:16]
    return f"<{report_id}.{digest}@csa-report>"


def build_message(
    *,
    report_id: str,
    sender: str,
    recipient: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment],
    date: datetime,
) -> EmailMessage:
    """The message for one recipient; byte-identical for equal inputs."""
    if "@" not in recipient or any(c in recipient for c in "\r\n,;<>"):
        raise InputError(f"recipient {recipient!r} is not a single e-mail address")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = visible(subject)  # no bidi override or zero-width character in a header
    msg["Date"] = format_datetime(_aware_utc(date))
    msg["Message-ID"] = message_id(report_id, recipient)
    msg.set_content(body)
    content_hash = hashlib.sha256(body.encode("utf-8"))
    for att in sorted(attachments, key=lambda a: a.filename):
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename)
        content_hash.update(att.filename.encode("utf-8") + b"\0" + hashlib.sha256(att.data).digest())
    if msg.is_multipart():
        # '=_' never occurs in base64 or quoted-printable bodies, so this boundary cannot collide.
        msg.set_boundary(f"=_csa-report_{content_hash.hexdigest()[:32]}_=")
    return msg


def _aware_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def deliver(
    settings: SmtpSettings,
    *,
    report_id: str,
    recipient: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment],
    date: datetime,
    progress: DeliveryProgress | None = None,
) -> Delivered:
    """Send to ``recipient`` over SMTP, or write the outbox file when no SMTP host is configured.

    Raises DeliveryRefused when the server refuses this recipient, UnreachableError when the server cannot be
    reached (nothing was handed over), DeliveryUnknown when the connection broke after the message went out and
    before the server answered, DeliveryError for any other SMTP failure. Errors after the server accepted the
    message (a failing QUIT, a reset) are logged, not raised: the message was delivered."""
    msg = build_message(
        report_id=report_id,
        sender=settings.smtp_from,
        recipient=recipient,
        subject=subject,
        body=body,
        attachments=attachments,
        date=date,
    )
    if not settings.smtp_host:
        path = write_outbox(settings.outbox, report_id, recipient, msg.as_bytes())
        if progress is not None:
            progress.accepted(f"written to {path}")
        return Delivered(recipient, "outbox", str(msg["Message-ID"]), str(path))
    return _send_smtp(settings, recipient, msg, progress)


def write_outbox(outbox: Path, report_id: str, recipient: str, data: bytes) -> Path:
    """``{outbox}/{report_id}-{slug(recipient)}.eml``, create-only: the same bytes again are a no-op, other
    bytes raise StorageConflict."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{report_id}-{recipient_slug(recipient)}.eml"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        if path.read_bytes() == data:
            log.info(
                "outbox %s already holds this message (sha256=%s); nothing written",
                path,
                hashlib.sha256(data).hexdigest(),
            )
            return path
        raise StorageConflict(f"outbox file {path} exists with a different message; not overwritten") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    log.info("outbox message written: %s (report %s, sha256=%s)", path, report_id, hashlib.sha256(data).hexdigest())
    return path


class DeliveryProgress:
    """How far one SMTP delivery got, for the caller's state machine: ``connecting`` (nothing handed over; safe
    to send again), ``data-sent`` (the message went out, the server's answer did not arrive: outcome unknown),
    ``accepted`` (the server answered 250 to the message: delivered, whatever happens to the connection after).
    ``on_accepted`` runs the moment the 250 arrives, before QUIT, so the caller can record it at once."""

    def __init__(self, on_accepted: Callable[[str], None] | None = None) -> None:
        self.stage: Stage = "connecting"
        self.reply = ""
        self._on_accepted = on_accepted

    def accepted(self, reply: str) -> None:
        self.stage, self.reply = "accepted", reply
        if self._on_accepted is not None:
            self._on_accepted(reply)


def _send_smtp(
    settings: SmtpSettings, recipient: str, msg: EmailMessage, progress: DeliveryProgress | None = None
) -> Delivered:
    host, port = settings.smtp_host or "", settings.smtp_port
    where = f"SMTP server {host}:{port}"
    mid = str(msg["Message-ID"])
    progress = progress if progress is not None else DeliveryProgress()
    timeout = settings.smtp_timeout_s
    smtp: smtplib.SMTP | None = None
    try:
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            password = smtp_password(settings)  # the setting, or the Prefect Secret block it names
            smtp.login(settings.smtp_user, password)
        code, reply = smtp.mail(settings.smtp_from)
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = _data(smtp, msg.as_bytes(), progress)
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
        progress.accepted(f"{code} {_text(reply)}")
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = exc.recipients.get(recipient, (0, b""))
        if 400 <= code < 500:
            raise DeliveryError(f"{where} deferred recipient {recipient}: {code} {_text(text)}") from None
        raise DeliveryRefused(recipient, f"{code} {_text(text)}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the login of CSA_SMTP_USER: {exc.smtp_code}; check CSA_SMTP_USER and CSA_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise DeliveryRefused(recipient, f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        raise DeliveryError(f"{where} did not take the message for {recipient}: {exc.smtp_code}") from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        if progress.stage == "data-sent":
            raise DeliveryUnknown(
                f"{where} lost the connection ({type(exc).__name__}) after the message to {recipient} was handed "
                "over and before its answer: the outcome is unknown"
            ) from None
        raise UnreachableError(
            f"{where} unreachable ({type(exc).__name__}); check CSA_SMTP_HOST and CSA_SMTP_PORT"
        ) from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"{where} failed for {recipient}: {type(exc).__name__}") from None
    finally:
        if smtp is not None:
            _quit(smtp, where)
    log.info("smtp message sent: to=%s message_id=%s via %s", recipient, mid, where)
    return Delivered(recipient, "smtp", mid, f"accepted by {host}:{port}: {progress.reply}")


def _data(smtp: smtplib.SMTP, data: bytes, progress: DeliveryProgress) -> tuple[int, bytes]:
    """smtplib's DATA exchange, marking the moment the message starts going out (after the 354): from then on a
    broken connection leaves the outcome unknown, before it nothing was handed over."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPResponseException(code, reply)
    quoted = re.sub(rb"(?m)^\.", b"..", data)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    progress.stage = "data-sent"
    smtp.send(quoted + b".\r\n")
    return smtp.getreply()


def _quit(smtp: smtplib.SMTP, where: str) -> None:
    """QUIT, ignoring its failure: by now the message was either accepted or not, and QUIT changes neither."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError) as exc:
        log.info("%s: QUIT failed (%s); the delivery's outcome is not affected", where, type(exc).__name__)
    finally:
        smtp.close()


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:200]
