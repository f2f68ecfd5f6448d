"""A resend sends exactly the letter of the original submission: the message the delivery's first attempt recorded
in the audit DB (SQLite and PostgreSQL), not one written again from provider.md as it reads on the day of the
resend. The real SMTP server (aiosmtpd) keeps the copy it answered 554 to, so the test holds both messages one
recipient received under one Message-ID and compares them, parsed with Python's email package and byte for byte."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.db import make_engine
from csa_report.errors import RefusedError
from csa_report.filing.mail.message import message_id
from csa_report.letters.instruments import instruments_from_reference
from csa_report.letters.submission import compose_letter, letter_composer, letter_facts
from csa_report.policies import load_policies
from csa_report.settings import Settings
from tests.support.storage import CollectingHandler, FakeReport
from tests.support.submission import COMMISSION, NOW, stage_report, submit

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example"
SENDER = "Transparency reports <transparency@example-provider.eu>"
SUBJECT = (
    "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
    "— Example Communications Ireland Ltd — 2025"
)
#: provider.md's DPO and contact e-mail on the day of the submission, and as changed before the resend.
DPO, NEW_DPO = "Ciarán Murphy", "Aoife Byrne"
CONTACT, NEW_CONTACT = "csa-transparency@example.org", "trust-and-safety@example.org"


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit-resend.db'}"
    return str(request.getfixturevalue("new_pg_url"))


def _refused_submission(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler, policies: Path
) -> tuple[int, bytes]:
    """The run's letter, to the Commission's gateway that keeps the copy and answers 554: the delivery is
    refused for good, so only the operator's resend sends it again. Returns the run id and the copy received."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    ref = report.ref
    provider = load_policies(policies, ref.period).provider
    facts = letter_facts(provider, ref.period, ref.report_id, instruments=instruments_from_reference(ref.period))
    smtp.refuse_data.add(COMMISSION)
    with pytest.raises(RefusedError):
        submit(settings, report, audit, run_id, letter=letter_composer(facts, sender=SENDER))
    smtp.refuse_data.clear()
    [first] = smtp.to(COMMISSION)
    return run_id, first.data


def _change_policies(policies: Path) -> None:
    """A new DPO and contact address in provider.md: the current file and the 2025 version in force for the
    report's period (history/provider/2025.1.md)."""
    for provider in (policies / "provider.md", policies / "history" / "provider" / "2025.1.md"):
        text = provider.read_text(encoding="utf-8")
        assert DPO in text and CONTACT in text
        provider.write_text(text.replace(DPO, NEW_DPO).replace(CONTACT, NEW_CONTACT), encoding="utf-8")


def _operator_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, policies: Path) -> None:
    """The operator's command, with the installation's settings in its environment (another sender by now)."""
    fields: tuple[str, ...] = (
        "s3_endpoint",
        "s3_access_key",
        "s3_secret_key",
        "staging_bucket",
        "staging_prefix",
        "archive_bucket",
    )
    fields += ("archive_prefix", "smtp_host", "smtp_port", "smtp_tls", "audit_db")
    for name in fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        monkeypatch.setenv(f"CSA_{name.upper()}", str(value))
    monkeypatch.setenv("CSA_POLICIES", str(policies))
    monkeypatch.setenv("CSA_SMTP_FROM", "Reports desk <reports-desk@example-provider.eu>")


def _parsed(data: bytes) -> tuple[EmailMessage, str, dict[str, str]]:
    """The message, its text body and each attachment's SHA-256, as a receiving system reads them."""
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    hashes = {}
    for att in msg.iter_attachments():
        raw = att.get_payload(decode=True)
        assert isinstance(raw, bytes)
        hashes[str(att.get_filename())] = hashlib.sha256(raw).hexdigest()
    return msg, str(part.get_content()), hashes


def test_a_resend_after_provider_md_changed_sends_the_original_letter(
    settings: Settings,
    report: FakeReport,
    smtp: CollectingHandler,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    audit_url: str,
    tmp_path: Path,
) -> None:
    settings = settings.model_copy(update={"audit_db": audit_url})
    audit = AuditLog.open(audit_url)
    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLE, policies)
    run_id, original = _refused_submission(settings, report, audit, smtp, policies)
    ref = report.ref

    _change_policies(policies)
    _operator_env(monkeypatch, settings, policies)
    assert main(["delivery", "resend", str(run_id), COMMISSION]) == 0
    capsys.readouterr()
    [_, again] = smtp.to(COMMISSION)

    first_msg, first_body, first_files = _parsed(original)
    msg, body, files = _parsed(again.data)
    assert str(msg["Subject"]) == str(first_msg["Subject"]) == SUBJECT
    assert body == first_body
    words = " ".join(body.split())  # the body is wrapped: a name may span two lines
    assert DPO in words and CONTACT in words and NEW_DPO not in words and NEW_CONTACT not in words
    expected = {n: hashlib.sha256(report.artefacts[n]).hexdigest() for n in files}
    assert files == first_files == expected
    assert sorted(files) == ["manifest.json", "report.csv", "report.json", "report.pdf"]
    assert all(digest in body for digest in files.values())
    assert str(msg["Message-ID"]) == str(first_msg["Message-ID"]) == message_id(ref.report_id, COMMISSION)
    assert str(msg["From"]) == str(first_msg["From"]) == SENDER  # not today's CSA_SMTP_FROM
    assert parsedate_to_datetime(str(msg["Date"])) == NOW.replace(tzinfo=UTC)  # the first claim, kept
    assert again.data == original  # byte for byte: a receiving system de-duplicates it

    # The premise: today's provider.md would have written another letter.
    provider = load_policies(policies, ref.period).provider
    today = letter_facts(provider, ref.period, ref.report_id, instruments=instruments_from_reference(ref.period))
    rewritten = " ".join(compose_letter(today, {n: report.artefacts[n] for n in files}).body.split())
    assert NEW_DPO in rewritten and NEW_CONTACT in rewritten
    assert {d.recipient: (d.status, d.attempts) for d in audit.deliveries(ref.report_id)}[COMMISSION] == ("sent", 2)


def test_a_delivery_without_a_recorded_message_is_resent_only_when_told_to_rebuild_it(
    settings: Settings,
    report: FakeReport,
    smtp: CollectingHandler,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    audit_url: str,
    tmp_path: Path,
) -> None:
    """An audit DB from before messages were recorded (audit_0005) holds no row for the delivery: the plain
    resend is refused (exit 2, nothing sent, the delivery as it was); ``--rebuild`` writes the letter from today's
    policies and records it."""
    settings = settings.model_copy(update={"audit_db": audit_url})
    audit = AuditLog.open(audit_url)
    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLE, policies)
    run_id, original = _refused_submission(settings, report, audit, smtp, policies)
    ref = report.ref
    engine = make_engine(audit_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM delivery_messages"))
    engine.dispose()
    assert audit.sent_message(ref.provider, ref.period, ref.report_id, COMMISSION) is None

    _change_policies(policies)
    _operator_env(monkeypatch, settings, policies)
    assert main(["delivery", "resend", str(run_id), COMMISSION]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"run {run_id}: the audit database holds no record of the message sent to {COMMISSION} (a delivery made "
        "before csa-report recorded its messages); nothing sent." in said
    )
    assert f"`csa-report delivery resend {run_id} {COMMISSION} --rebuild`" in said
    assert len(smtp.to(COMMISSION)) == 1
    assert {d.recipient: (d.status, d.attempts) for d in audit.deliveries(ref.report_id)}[COMMISSION] == ("failed", 1)

    assert main(["delivery", "resend", str(run_id), COMMISSION, "--rebuild"]) == 0
    [_, again] = smtp.to(COMMISSION)
    msg, body, _ = _parsed(again.data)
    words = " ".join(body.split())
    assert NEW_DPO in words and NEW_CONTACT in words and DPO not in words  # today's provider.md, as documented
    assert str(msg["Message-ID"]) == message_id(ref.report_id, COMMISSION)
    assert str(msg["Subject"]) == SUBJECT
    assert audit.sent_message(ref.provider, ref.period, ref.report_id, COMMISSION) is not None
    assert again.data != original


def test_a_recorded_message_is_not_built_with_another_file_than_it_was_composed_with() -> None:
    """The record keeps each attachment's SHA-256: an archived file that differs stops the build (exit 5)."""
    from csa_report.errors import IntegrityViolation
    from csa_report.filing.mail.recorded import message_from, sent_message_of
    from tests.support.storage import make_report

    report = make_report("recorded")
    ref = report.ref
    provider = load_policies(EXAMPLE, ref.period).provider
    facts = letter_facts(provider, ref.period, ref.report_id, instruments=instruments_from_reference(ref.period))
    composed = letter_composer(facts, sender=SENDER)(COMMISSION, report.artefacts, NOW)
    record = sent_message_of(composed)
    assert [name for name, _, _ in record.attachments] == ["report.pdf", "report.json", "report.csv", "manifest.json"]
    assert "Date" in dict(record.headers) and "Content-Type" not in dict(record.headers)
    rebuilt = message_from(record, report.artefacts)
    assert _parsed(rebuilt.as_bytes())[1:] == _parsed(composed.as_bytes())[1:]  # same body, same files
    assert message_from(record, report.artefacts).as_bytes() == rebuilt.as_bytes()  # deterministic
    changed = {**report.artefacts, "report.csv": b"indicator,value\nnonce,other\n"}
    with pytest.raises(
        IntegrityViolation, match=r"^report\.csv: the archived file \(SHA-256 [0-9a-f]{64}\) is not the one"
    ) as exc:
        message_from(record, changed)
    assert exc.value.exit_code == 5
