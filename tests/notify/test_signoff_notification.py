"""The sign-off request e-mail against a real SMTP server (aiosmtpd) and a real audit DB (SQLite and
PostgreSQL): sent once per (run, request, recipient), never again on a re-execution, re-sent after a failure,
and written to the outbox when no SMTP host is configured."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from pathlib import Path

from csa_report.audit import AuditLog
from csa_report.filing.notify import SignoffRequest, message, notifications, notify_signoff_request
from csa_report.local.processes import free_port
from csa_report.settings import Settings

SHA = "0123456789abcdef" * 4
RUN = "6f1c2d3e-0000-4000-8000-000000000001"


def request(key: str = "signoff-1") -> SignoffRequest:
    return SignoffRequest(
        provider="Example Communications Ireland Ltd",
        period="2025-01-01/2025-12-31",
        report_id="0123456789abcdef",
        manifest_sha256=SHA,
        flow_run_id=RUN,
        flow_run_name="annual-report-2025-example-communications-ireland-ltd",
        key=key,
        run_url=f"http://127.0.0.1:4200/v2/runs/flow-run/{RUN}",
        links=(("report.pdf", "http://s3.local/report.pdf?X-Amz-Expires=604800"),),
        links_expire=datetime(2026, 1, 22, 0, 0),
        deadline=datetime(2026, 1, 22, 0, 0),
        approvers=("Dara Kelly", "Niamh Walsh"),
        requested_at=datetime(2026, 1, 15, 0, 0),
    )


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


def test_message_has_run_link_report_links_deadline_and_hash():
    subject, body = message(request())
    assert (
        subject == "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report "
        "0123456789abcdef)"
    )
    assert f"http://127.0.0.1:4200/v2/runs/flow-run/{RUN}" in body
    assert "Deadline: 2026-01-22T00:00:00Z." in body
    assert "links valid until 2026-01-22T00:00:00Z" in body
    assert "  report.pdf: http://s3.local/report.pdf?X-Amz-Expires=604800" in body
    assert f"  {SHA}" in body and "Request: signoff-1." in body


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
