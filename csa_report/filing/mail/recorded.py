"""A delivery's message is composed once: the first attempt records it in the audit DB (headers, body, the
attachments' names and SHA-256, the MIME boundary) and every attempt, the first included, sends the message
built from that record and the archived files. A retry, a re-run or an operator's resend therefore sends exactly
the letter of the original submission, whatever provider.md or the templates say by then, down to its ``Date``
(the moment the delivery was first claimed) and its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.message import EmailMessage

from csa_report.audit.log import AuditLog, SentMessage
from csa_report.errors import IntegrityViolation, ToolError
from csa_report.filing.mail.message import Composer

#: Headers the build writes itself: the MIME structure follows from the body and the attachments.
_MIME = ("mime-version", "content-type", "content-transfer-encoding", "content-disposition")


def sent_message_of(msg: EmailMessage) -> SentMessage:
    """What :func:`message_from` needs to build ``msg`` again: a text body and attachments, nothing else."""
    part = msg.get_body(("plain",))
    if part is None:
        raise ToolError("the composed message has no text body; it cannot be recorded")
    body = str(part.get_content()).replace("\r\n", "\n")
    attachments = []
    for att in msg.iter_attachments():
        data = att.get_payload(decode=True)
        name = att.get_filename()
        if not isinstance(data, bytes) or not name:
            raise ToolError("the composed message has an attachment without a file name or bytes")
        attachments.append((name, att.get_content_type(), hashlib.sha256(data).hexdigest()))
    headers = tuple((name, str(value)) for name, value in msg.items() if name.lower() not in _MIME)
    length = msg.policy.max_line_length
    return SentMessage(
        headers=headers,
        body=body,
        attachments=tuple(attachments),
        boundary=msg.get_boundary() if msg.is_multipart() else None,
        max_line_length=int(length) if length else 0,  # 0: the policy folds no line (None there)
    )


def message_from(record: SentMessage, contents: Mapping[str, bytes]) -> EmailMessage:
    """The recorded message, with the archived bytes of each attachment; IntegrityViolation
    (exit 5, nothing sent) when a file is missing or is not the one the message was composed with."""
    msg = EmailMessage(policy=policy.SMTP)
    for name, value in record.headers:
        msg[name] = value
    msg.set_content(record.body)
    for filename, ctype, sha256 in record.attachments:
        data = contents.get(filename)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            found = "missing" if data is None else f"SHA-256 {hashlib.sha256(data).hexdigest()}"
            raise IntegrityViolation(
                f"{filename}: the archived file ({found}) is not the one the message was composed with "
                f"(SHA-256 {sha256}); nothing sent"
            )
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    if record.boundary is not None and msg.is_multipart():
        msg.set_boundary(record.boundary)
    # Serialised as first composed: the letter's headers unfolded (998 a line), the plain message's folded.
    msg.policy = policy.SMTP.clone(max_line_length=record.max_line_length or None)
    return msg


def recorded_message(
    audit: AuditLog,
    key: tuple[str, str, str, str],
    compose: Composer | None,
    contents: Mapping[str, bytes],
    sent_at: datetime,
    *,
    at: datetime,
) -> EmailMessage | None:
    """The message of delivery ``key`` (provider, period, report id, recipient): the recorded one, or, the
    first time, ``compose``'s, recorded now. None when nothing is recorded and ``compose`` is None."""
    provider, period, report_id, recipient = key
    record = audit.sent_message(provider, period, report_id, recipient)
    if record is None:
        if compose is None:
            return None
        composed = sent_message_of(compose(recipient, contents, sent_at))
        record = audit.record_message(provider, period, report_id, recipient, composed, at=at)
    return message_from(record, contents)
