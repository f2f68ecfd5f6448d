"""Where a built message goes, one recipient at a time: an SMTP server (STARTTLS, SMTPS or plain) or, with no
SMTP host configured, a create-only ``.eml`` file in the outbox folder. :func:`transport_for` is the one place
that chooses; the messages themselves are built by :mod:`.message`, and the claim → send → record bookkeeping
around each send is :mod:`.machine`'s.
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
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from csa_report.credentials import smtp_password
from csa_report.errors import (
    DeliveryError,
    DeliveryRefused,
    DeliveryUnknown,
    InputError,
    StorageConflict,
    UnreachableError,
)
from csa_report.filing.mail.message import Attachment, build_message
from csa_report.settings import SmtpSettings

log = logging.getLogger(__name__)

Channel = Literal["smtp", "outbox"]
#: What to fix when the server refuses for good, by the SMTP step it refused.
REFUSED_CHECK: dict[str, str] = {
    "mail": "CSA_SMTP_FROM (the sender the server will not relay for)",
    "rcpt": "the recipient's address in the policies (provider.md: the supervisory authority's and the "
    "Commission's e-mail) or CSA_SIGNOFF_NOTIFY",
    "data": "the server's limits for this message (size, attachments) and CSA_SMTP_FROM",
}
#: 530 to MAIL FROM: the server wants STARTTLS (RFC 3207) or a login (RFC 4954) first, not another sender.
WANTS_TLS_OR_LOGIN = (
    "CSA_SMTP_TLS (starttls or ssl) and CSA_SMTP_USER / CSA_SMTP_PASSWORD (the server wants TLS or a login "
    "before it takes mail)"
)
Stage = Literal["connecting", "data-sent", "accepted"]


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


@dataclass(frozen=True)
class Outgoing:
    """One built message for one recipient; ``key`` (the report id, or the notification's identity) names the
    outbox file."""

    key: str
    recipient: str
    msg: EmailMessage


class Transport(Protocol):
    """Where messages go: an SMTP server or the outbox folder, chosen once by :func:`transport_for`."""

    @property
    def channel(self) -> Channel: ...

    def send(self, out: Outgoing, progress: DeliveryProgress) -> Delivered: ...


@dataclass(frozen=True)
class SmtpTransport:
    settings: SmtpSettings
    channel: Channel = "smtp"

    def send(self, out: Outgoing, progress: DeliveryProgress) -> Delivered:
        return _send_smtp(self.settings, out.recipient, out.msg, progress)


@dataclass(frozen=True)
class OutboxTransport:
    outbox: Path
    channel: Channel = "outbox"

    def send(self, out: Outgoing, progress: DeliveryProgress) -> Delivered:
        path = write_outbox(self.outbox, out.key, out.recipient, out.msg.as_bytes())
        progress.accepted(f"written to {path}")
        return Delivered(out.recipient, "outbox", str(out.msg["Message-ID"]), str(path))


def transport_for(settings: SmtpSettings) -> Transport:
    """The one place that chooses: SMTP when ``CSA_SMTP_HOST`` is set, else the outbox folder."""
    return SmtpTransport(settings) if settings.smtp_host else OutboxTransport(settings.outbox)


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
    """Build the message and hand it to the configured transport (a convenience for one-off sends and tests).

    Raises DeliveryRefused when the server refuses this recipient or the message for good, UnreachableError when
    the server cannot be reached (nothing was handed over), DeliveryUnknown when the connection broke after the
    message went out and before the server answered, DeliveryError for any other SMTP failure. Errors after the
    server accepted the message (a failing QUIT, a reset) are logged, not raised: the message was delivered."""
    msg = build_message(
        report_id=report_id,
        sender=settings.smtp_from,
        recipient=recipient,
        subject=subject,
        body=body,
        attachments=attachments,
        date=date,
    )
    return transport_for(settings).send(Outgoing(report_id, recipient, msg), progress or DeliveryProgress())


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


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verification always on (name and chain); only whom to trust is configurable."""
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"CSA_SMTP_CA_FILE {cafile}: not a readable PEM file of certificates ({exc})") from None


def _send_smtp(
    settings: SmtpSettings, recipient: str, msg: EmailMessage, progress: DeliveryProgress | None = None
) -> Delivered:
    host, port = settings.smtp_host or "", settings.smtp_port
    where = f"SMTP server {host}:{port}"
    mid = str(msg["Message-ID"])
    progress = progress if progress is not None else DeliveryProgress()
    timeout = settings.smtp_timeout_s
    smtp: smtplib.SMTP | None = None
    step = "connect"
    tls = _tls_context(settings) if settings.smtp_tls != "none" else None  # a bad CA file: before connecting
    try:
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=tls)
            smtp.ehlo()
        if settings.smtp_user:
            password = smtp_password(settings)  # the setting, or the Prefect Secret block it names
            smtp.login(settings.smtp_user, password)
        step = "mail"
        code, reply = smtp.mail(settings.smtp_from)
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        step = "data"
        code, reply = _data(smtp, msg.as_bytes(), progress)
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
        progress.accepted(f"{code} {_text(reply)}")
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = exc.recipients.get(recipient, (0, b""))
        if 400 <= code < 500:
            raise DeliveryError(f"{where} deferred recipient {recipient}: {code} {_text(text)}") from None
        raise DeliveryRefused(
            recipient, f"{where} answered {code} {_text(text)} to RCPT", REFUSED_CHECK["rcpt"]
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the login of CSA_SMTP_USER: {exc.smtp_code}; check CSA_SMTP_USER and CSA_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500 and step in REFUSED_CHECK:
            raise DeliveryRefused(
                recipient,
                f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)} to "
                + ("MAIL FROM" if step == "mail" else "the message"),
                WANTS_TLS_OR_LOGIN if (step, exc.smtp_code) == ("mail", 530) else REFUSED_CHECK[step],
            ) from None
        raise DeliveryError(f"{where} did not take the message for {recipient}: {exc.smtp_code}") from None
    except ssl.SSLCertVerificationError as exc:
        # Not an outage: retrying cannot make an untrusted certificate trusted; the setting must change.
        raise DeliveryError(
            f"{where}: its TLS certificate is not trusted ({exc.verify_message}); check CSA_SMTP_HOST (the name "
            "must match the certificate) and CSA_SMTP_CA_FILE (the authorities that vouch for it)"
        ) from None
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
