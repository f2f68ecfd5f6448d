"""E-mail delivery: deterministic messages, create-only outbox, SMTP refusal of one recipient, unreachable SMTP."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from csa_report.errors import DeliveryRefused, StorageConflict, UnreachableError
from csa_report.filing.mail.message import Attachment, build_message, message_id
from csa_report.filing.mail.transport import deliver, write_outbox
from csa_report.settings import Settings
from tests.support.storage import CollectingHandler, free_port

RID = "0123456789abcdef"
ATTS = [
    Attachment("report.pdf", "application/pdf", b"%PDF-1.7 bytes"),
    Attachment("report.json", "application/json", b"{}"),
]
WHEN = datetime(2026, 1, 15)


def _msg(recipient: str = "dsc@authority.example", date: datetime = WHEN) -> bytes:
    return build_message(
        report_id=RID,
        sender="reports@example.ie",
        recipient=recipient,
        subject="Report",
        body="Attached.",
        attachments=ATTS,
        date=date,
    ).as_bytes()


def test_messages_are_deterministic() -> None:
    assert _msg() == _msg()
    assert _msg() != _msg(date=datetime(2026, 1, 16))
    assert b"Date: Thu, 15 Jan 2026 00:00:00 +0000" in _msg()
    mid = message_id(RID, "dsc@authority.example")
    assert (
        mid == message_id(RID, "DSC@authority.example ") and mid.startswith(f"<{RID}.") and mid.endswith("@csa-report>")
    )
    assert f"Message-ID: {mid}".encode() in _msg()


def test_outbox_is_create_only(tmp_path: Path) -> None:
    path = write_outbox(tmp_path, RID, "dsc@authority.example", _msg())
    assert path.name == f"{RID}-dsc-authority-example.eml"
    assert write_outbox(tmp_path, RID, "dsc@authority.example", _msg()) == path  # same bytes: no-op
    with pytest.raises(StorageConflict):
        write_outbox(tmp_path, RID, "dsc@authority.example", _msg(date=datetime(2026, 2, 1)))
    assert path.read_bytes() == _msg()


def test_smtp_refusing_one_recipient_raises_for_that_one(settings: Settings, smtp: CollectingHandler) -> None:
    smtp.refuse.add("closed@commission.example")
    ok = deliver(
        settings, report_id=RID, recipient="dsc@authority.example", subject="s", body="b", attachments=ATTS, date=WHEN
    )
    assert ok.channel == "smtp" and ok.message_id == message_id(RID, "dsc@authority.example")
    with pytest.raises(DeliveryRefused) as info:
        deliver(
            settings,
            report_id=RID,
            recipient="closed@commission.example",
            subject="s",
            body="b",
            attachments=ATTS,
            date=WHEN,
        )
    assert info.value.recipient == "closed@commission.example" and "550" in info.value.detail
    assert [m.recipients for m in smtp.messages] == [["dsc@authority.example"]]


def test_smtp_unreachable_is_exit_3(settings: Settings) -> None:
    dead = settings.model_copy(update={"smtp_port": free_port()})
    with pytest.raises(UnreachableError) as info:
        deliver(
            dead, report_id=RID, recipient="dsc@authority.example", subject="s", body="b", attachments=ATTS, date=WHEN
        )
    assert info.value.exit_code == 3 and str(dead.smtp_port) in str(info.value)
