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

import pytest

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


def _parsed(data: bytes) -> tuple[EmailMessage, str, dict[str, bytes]]:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    files = {}
    for att in msg.iter_attachments():
        content = att.get_content()
        files[str(att.get_filename())] = content if isinstance(content, bytes) else content.encode()
    return msg, str(part.get_content()), files


def test_the_operators_resend_is_the_flows_letter_with_the_same_message_id(
    settings: Settings,
    report: FakeReport,
    audit: AuditLog,
    smtp: CollectingHandler,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`csa-report delivery resend` of a refused delivery sends the formal letter the run sent to the other
    recipient (same subject and body, the archived files attached), with this delivery's Message-ID and the Date
    of its first claim, not the plain message."""
    from csa_report.cli import main
    from csa_report.errors import RefusedError
    from csa_report.letters.submission import compose_letter

    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    ref = report.ref
    facts = letter_facts(
        load_policies(EXAMPLE).provider, ref.period, ref.report_id, instruments=instruments_from_reference(ref.period)
    )
    smtp.refuse.add(COMMISSION)
    with pytest.raises(RefusedError):
        submit(settings, report, audit, run_id, letter=letter_composer(facts, sender=SENDER))
    smtp.refuse.clear()
    assert smtp.to(COMMISSION) == []

    # The operator's command, with the installation's settings in its environment.
    fields = ("s3_endpoint", "s3_access_key", "s3_secret_key", "staging_bucket", "staging_prefix", "archive_bucket")
    fields += ("archive_prefix", "smtp_host", "smtp_port", "smtp_tls", "audit_db")
    for name in fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        monkeypatch.setenv(f"CSA_{name.upper()}", str(value))
    monkeypatch.setenv("CSA_POLICIES", str(EXAMPLE))
    monkeypatch.setenv("CSA_SMTP_FROM", SENDER)
    assert main(["delivery", "resend", str(run_id), COMMISSION]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        f"report {ref.report_id} sent again to {COMMISSION} with Message-ID {message_id(ref.report_id, COMMISSION)}"
        in out
    )
    [first] = smtp.to(AUTHORITY)
    [again] = smtp.to(COMMISSION)
    flow_msg, flow_body, flow_files = _parsed(first.data)
    msg, body, files = _parsed(again.data)
    assert (
        str(msg["Subject"])
        == str(flow_msg["Subject"])
        == (
            "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
            "— Example Communications Ireland Ltd — 2025"
        )
    )
    assert body == flow_body
    # The letter as written from the facts alone, with the report's own files: the body that went out.
    expected = compose_letter(facts, {n: report.artefacts[n] for n in files})
    assert body.replace("\r\n", "\n") == expected.body
    assert str(msg["Message-ID"]).strip() == message_id(ref.report_id, COMMISSION)
    assert parsedate_to_datetime(str(msg["Date"])) == NOW.replace(tzinfo=UTC)  # the first claim, kept
    assert sorted(files) == ["manifest.json", "report.csv", "report.json", "report.pdf"]
    assert files == flow_files == {n: report.artefacts[n] for n in files}
    assert {d.recipient: (d.status, d.attempts) for d in audit.status()[0].deliveries} == {
        AUTHORITY: ("sent", 1),
        COMMISSION: ("sent", 2),
    }
