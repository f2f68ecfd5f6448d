"""The formal letter (csa_report/letters) delivered by submit_report through the real SMTP server, parsed back
with Python's email package: its subject, every attachment present and hashed as the body says, ``Date`` the
moment the delivery was first claimed (the same on a resend), the deterministic Message-ID."""

from __future__ import annotations

import hashlib
from datetime import UTC
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from csa_report.audit import AuditLog
from csa_report.filing.mail.message import message_id
from csa_report.letters.instruments import instruments_from_reference
from csa_report.letters.submission import letter_composer, letter_facts
from csa_report.policies import load_policies
from csa_report.settings import Settings
from tests.support.storage import CollectingHandler, FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, NOW, stage_report, submit

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example"
SENDER = "Transparency reports <transparency@example-provider.eu>"


def test_the_letter_goes_with_its_five_files_hashed_as_the_body_says(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    ref = report.ref
    facts = letter_facts(
        load_policies(EXAMPLE).provider, ref.period, ref.report_id, instruments=instruments_from_reference(ref.period)
    )
    submit(settings, report, audit, run_id, letter=letter_composer(facts, sender=SENDER))
    [received] = smtp.to(AUTHORITY)
    msg = message_from_bytes(received.data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert str(msg["Subject"]) == (
        "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
        "— Example Communications Ireland Ltd — 2025"
    )
    assert str(msg["Message-ID"]) == message_id(ref.report_id, AUTHORITY)
    assert parsedate_to_datetime(str(msg["Date"])) == NOW.replace(tzinfo=UTC)  # the claim's instant (the clock)
    body_part = msg.get_body(("plain",))
    assert body_part is not None
    body = str(body_part.get_content())
    files = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert sorted(files) == ["manifest.json", "report.csv", "report.json", "report.pdf"]  # unsigned: no .sig
    for name, data in files.items():
        raw = data if isinstance(data, bytes) else data.encode()
        assert raw == report.artefacts[name]
        assert hashlib.sha256(raw).hexdigest() in body
    assert len(smtp.to(COMMISSION)) == 1
    assert audit.first_claimed_at(ref.provider, ref.period, ref.report_id, AUTHORITY) == NOW
