"""The messages csa-report sends, built deterministically: the Message-ID derives from the report id and the
recipient, the Date header from an instant passed in, and the MIME boundary from the content. The same delivery
therefore always produces the same bytes, and a receiving system can de-duplicate on the Message-ID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from csa_report.errors import InputError
from csa_report.invisible import visible


class Composer(Protocol):
    """Builds the whole message to ``recipient`` from the verified files (``contents``: artefact name → bytes, the
    sealed PDF as report.pdf, the approver's signature when there is one), dated ``sent_at``. The formal letter
    (csa_report/letters) is one; the filing code only calls it."""

    def __call__(self, recipient: str, contents: Mapping[str, bytes], sent_at: datetime, /) -> EmailMessage: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


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
