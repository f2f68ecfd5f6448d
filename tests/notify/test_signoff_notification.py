"""The sign-off request e-mail against a real SMTP server (aiosmtpd) and a real audit DB (SQLite and
PostgreSQL): sent once per (run, request, recipient), never again on a re-execution, re-sent after a failure,
and written to the outbox when no SMTP host is configured."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import datetime
from email import policy
from pathlib import Path

from csa_report.audit import AuditLog
from csa_report.filing.notify import Kind, SignoffRequest, notifications, notify_signoff_request
from csa_report.letters.signoff import RefusedAnswer, SignoffNotice, review_link_lifetime, signoff_message
from csa_report.local.processes import free_port
from csa_report.settings import Settings
from csa_report.tasks.notify import mail_of

SHA = "0123456789abcdef" * 4
RUN = "6f1c2d3e-0000-4000-8000-000000000001"
RUN_NAME = "annual-report-2025-example-communications-ireland-ltd"
AT = datetime(2026, 1, 15, 0, 0)
NOTICE = SignoffNotice(
    provider="Example Communications Ireland Ltd",
    period="2025-01-01/2025-12-31",
    report_id="0123456789abcdef",
    manifest_sha256=SHA,
    run_name=RUN_NAME,
    run_url=f"http://127.0.0.1:4200/v2/runs/flow-run/{RUN}",
    request_key="signoff-1",
    approvers=("Dara Kelly", "demo-reviewer"),
    signers=(),
    summary=(
        "Example Communications Ireland Ltd: transparency report 2025",
        "",
        "Key figures (all services):",
        "- Reports sent concerning EU users — known CSAM: 1,204 [section 4]",
    ),
    links=(("report.pdf", "http://s3.local/report.pdf?X-Amz-Expires=172800"),),
    # CSA_REVIEW_LINK_SECONDS 7 days, sign-off time-out 2 days: the links live 2 days.
    links_valid_s=review_link_lifetime(7 * 86400, 2 * 86400),
    links_expire=datetime(2026, 1, 17, 0, 0),
    deadline=datetime(2026, 1, 17, 0, 0),
)
SIGNED = replace(NOTICE, signers=("Dara Kelly",))


def request(key: str = "signoff-1", notice: SignoffNotice = NOTICE, kind: Kind = "request") -> SignoffRequest:
    return mail_of(replace(notice, request_key=key), key=key, flow_run_id=RUN, kind=kind, at=AT)


def received(handler: object, index: int) -> tuple[str, str]:
    msg = email.message_from_bytes(handler.messages[index].data, policy=policy.default)  # type: ignore[attr-defined]
    return str(msg["Subject"]), msg.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]


def smtp_settings(port: int, tmp_path: Path, **kw: object) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_from="csa@example.ie",
        outbox=tmp_path / "outbox",
        signoff_notify=("dpo@example.ie", "legal@example.ie"),
        **kw,
    )


def test_the_request_received_carries_the_summary_the_lifetime_and_the_hash(
    new_sqlite_url, smtp, smtp_server, tmp_path
):
    audit = AuditLog.open(new_sqlite_url)
    assert (
        notify_signoff_request(smtp_settings(smtp_server.port, tmp_path), audit, request())["dpo@example.ie"] == "sent"
    )
    subject, body = received(smtp, -1)
    assert (
        subject
        == "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report 0123456789abcdef)"
    )
    assert (
        "What the authority will read first (the report's summary):\n"
        "  Example Communications Ireland Ltd: transparency report 2025\n"
        "\n"
        "  Key figures (all services):\n"
        "  - Reports sent concerning EU users — known CSAM: 1,204 [section 4]\n" in body
    )
    assert (
        "Review the staged files. The links work for 2 days, until 2026-01-17T00:00:00Z, for anyone who has them: "
        "do not forward this e-mail.\n  report.pdf: http://s3.local/report.pdf?X-Amz-Expires=172800\n" in body
    )
    assert f"Confirm the SHA-256 of manifest.json in the form; it must be:\n  {SHA}\n" in body
    assert body == signoff_message(NOTICE)[1]


def test_a_signed_request_never_asks_for_the_hash_in_the_form(new_sqlite_url, smtp, smtp_server, tmp_path):
    audit = AuditLog.open(new_sqlite_url)
    notify_signoff_request(smtp_settings(smtp_server.port, tmp_path), audit, request(notice=SIGNED))
    _, body = received(smtp, -1)
    assert "in the form; it must be" not in body and "Confirm the SHA-256" not in body
    assert f"  csa-report approve {RUN_NAME} --key ~/.ssh/id_ed25519 --sha256 {SHA}\n" in body
    assert "Who can sign: Dara Kelly.\n" in body


def preparer_refused() -> RefusedAnswer:
    return RefusedAnswer.of(
        reviewer="Aoife Byrne",
        decision="approve",
        manifest_sha256=SHA,
        reason="Aoife Byrne is not among the provider's approvers",
        preparer="Aoife Byrne",
        approvers=NOTICE.approvers,
        staged_sha256=SHA,
    )


def test_a_refused_answer_is_one_notice_naming_who_tried(new_sqlite_url, smtp, smtp_server, tmp_path):
    audit = AuditLog.open(new_sqlite_url)
    settings = smtp_settings(smtp_server.port, tmp_path)
    before = len(smtp.messages)
    notice = replace(NOTICE, refused=preparer_refused())
    # The notice of the answer refused to signoff-1 asks again, under request signoff-2.
    refusal = mail_of(replace(notice, request_key="signoff-2"), key="signoff-1", flow_run_id=RUN, kind="refusal", at=AT)
    assert notify_signoff_request(settings, audit, refusal) == {"dpo@example.ie": "sent", "legal@example.ie": "sent"}
    assert notify_signoff_request(settings, audit, refusal) == {
        "dpo@example.ie": "already sent",
        "legal@example.ie": "already sent",
    }
    assert len(smtp.messages) == before + 2
    subject, body = received(smtp, -1)
    assert subject == (
        "Sign-off still needed, an answer was refused: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 "
        "(report 0123456789abcdef)"
    )
    assert body.startswith(
        "Aoife Byrne, the preparer, tried to approve: refused (four eyes).\n"
        "The report still waits for the sign-off of an approver.\n\n"
    )
    assert body.endswith("Approvers: Dara Kelly, demo-reviewer. Request: signoff-2.\n")
    assert notifications(audit, RUN) == [
        ("signoff-1-refused", "dpo@example.ie", "sent"),
        ("signoff-1-refused", "legal@example.ie", "sent"),
    ]
    msg = email.message_from_bytes(smtp.messages[-1].data, policy=policy.default)
    assert str(msg["Message-ID"]).strip().startswith("<0123456789abcdef-6f1c2d3e-signoff-1-refused.")


def test_the_last_refused_answer_says_the_run_stops(new_sqlite_url, smtp, smtp_server, tmp_path):
    audit = AuditLog.open(new_sqlite_url)
    last = replace(NOTICE, request_key="signoff-3", refused=preparer_refused(), last=True)
    notify_signoff_request(
        smtp_settings(smtp_server.port, tmp_path),
        audit,
        mail_of(last, key="signoff-3", flow_run_id=RUN, kind="refusal", at=AT),
    )
    subject, body = received(smtp, -1)
    assert subject.startswith("Sign-off refused, nothing is submitted: Example Communications Ireland Ltd")
    assert body == (
        "Aoife Byrne, the preparer, tried to approve: refused (four eyes).\n"
        f"That was the last answer run {RUN_NAME} takes: it fails and nothing is submitted. Start a new run of "
        "the period to ask for the sign-off again.\n\n"
        "Approvers: Dara Kelly, demo-reviewer. Request: signoff-3.\n"
    )


def test_each_request_is_sent_once_per_recipient(new_db_url, smtp_server, smtp, tmp_path):
    port, handler = smtp_server.port, smtp
    audit = AuditLog.open(new_db_url)
    settings = smtp_settings(port, tmp_path)
    first = notify_signoff_request(settings, audit, request())
    assert first == {"dpo@example.ie": "sent", "legal@example.ie": "sent"}
    # The flow body runs again after a resume or retry: nothing is sent twice.
    again = notify_signoff_request(settings, audit, request())
    assert again == {"dpo@example.ie": "already sent", "legal@example.ie": "already sent"}
    assert sorted(r for m in handler.messages for r in m.recipients) == ["dpo@example.ie", "legal@example.ie"]
    # A new request after a refused answer is a new notification.
    assert notify_signoff_request(settings, audit, request("signoff-2"))["dpo@example.ie"] == "sent"
    assert len(handler.messages) == 4
    assert notifications(audit, RUN) == [
        ("signoff-1", "dpo@example.ie", "sent"),
        ("signoff-1", "legal@example.ie", "sent"),
        ("signoff-2", "dpo@example.ie", "sent"),
        ("signoff-2", "legal@example.ie", "sent"),
    ]
    msg = email.message_from_bytes(handler.messages[0].data, policy=policy.default)
    assert msg["Subject"].startswith("Sign-off needed: Example Communications Ireland Ltd")
    assert msg["Message-ID"].startswith("<0123456789abcdef-6f1c2d3e-signoff-1.")


def test_a_failed_send_is_retried_by_the_next_execution(new_sqlite_url, smtp_server, smtp, tmp_path):
    port, handler = smtp_server.port, smtp
    audit = AuditLog.open(new_sqlite_url)
    down = smtp_settings(free_port(), tmp_path)  # nothing listens there
    out = notify_signoff_request(down, audit, request())
    assert out["dpo@example.ie"].startswith("failed: SMTP server 127.0.0.1:")
    assert notifications(audit, RUN)[0][2] == "failed"
    assert notify_signoff_request(smtp_settings(port, tmp_path), audit, request())["dpo@example.ie"] == "sent"
    assert len(handler.messages) == 2


def test_without_smtp_host_the_request_goes_to_the_outbox(new_sqlite_url, tmp_path):
    audit = AuditLog.open(new_sqlite_url)
    settings = Settings(outbox=tmp_path / "outbox", signoff_notify=("dpo@example.ie",))
    assert notify_signoff_request(settings, audit, request()) == {"dpo@example.ie": "sent"}
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == ["0123456789abcdef-6f1c2d3e-signoff-1-dpo-example-ie.eml"]


def test_no_addresses_no_mail(new_sqlite_url, tmp_path):
    assert notify_signoff_request(Settings(outbox=tmp_path / "o"), AuditLog.open(new_sqlite_url), request()) == {}
    assert not (tmp_path / "o").exists()
