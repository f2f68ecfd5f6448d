"""Delivery as a state machine, against a scripted SMTP server on loopback, a real SeaweedFS and the audit DB.

Each test names the defect it guards: a duplicate after the server accepted the message (421 on QUIT, reset
after 250), a loss reported as success (a claim whose process died), and the operator's confirm / resend."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.errors import DeliveryError, DeliveryUnknown, InputError
from csa_report.filing.mail import settle as delivery_ops
from csa_report.filing.mail.machine import claim_owner
from csa_report.filing.mail.message import message_id
from csa_report.settings import Settings
from csa_report.storage import S3Store
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, NOW, stage_report, submit


def _on(settings: Settings, port: int, **extra: Any) -> Settings:
    return settings.model_copy(update={"smtp_port": port, **extra})


def _states(audit: AuditLog, report: FakeReport) -> dict[str, tuple[str, int]]:
    return {d.recipient: (d.status, d.attempts) for d in audit.deliveries(report.ref.report_id)}


@pytest.mark.parametrize("mode", ["quit-421", "reset-after-accept"])
def test_error_after_the_server_accepted_never_resends(
    settings: Settings, report: FakeReport, audit: AuditLog, mode: str
) -> None:
    """Defect: 250 after DATA then 421 on QUIT was treated as a failure and resent on every retry (sent|4)."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp(mode) as (port, script):
        first = submit(_on(settings, port), report, audit, run_id)
        again = submit(_on(settings, port), report, audit, run_id)
    assert sorted(d.recipient for d in first.sent) == sorted([AUTHORITY, COMMISSION])
    assert again.sent == () and sorted(again.skipped) == sorted([AUTHORITY, COMMISSION])
    assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1
    assert _states(audit, report) == {AUTHORITY: ("sent", 1), COMMISSION: ("sent", 1)}
    events = [(e.recipient, e.event) for e in audit.delivery_events(report.ref.report_id)]
    assert events == [
        (AUTHORITY, "claimed"),
        (AUTHORITY, "accepted"),
        (AUTHORITY, "sent"),
        (COMMISSION, "claimed"),
        (COMMISSION, "accepted"),
        (COMMISSION, "sent"),
    ]
    assert audit.status()[0].status == "submitted"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_claim_of_a_dead_process_is_unknown_never_delivered(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    """Defect: after kill -9 while a delivery was claimed, the re-run said 'already delivered', exited 0 and
    marked the run submitted although the authority never got the report."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    host = claim_owner().split(" pid ")[0]
    ref = report.ref
    assert (
        audit.claim(
            ref.provider,
            ref.period,
            ref.report_id,
            AUTHORITY,
            channel="smtp",
            at=NOW,
            owner=f"{host} pid {_dead_pid()}",
        ).outcome
        == "claimed"
    )
    with scripted_smtp("accept") as (port, script), pytest.raises(DeliveryUnknown) as info:
        submit(_on(settings, port), report, audit, run_id)
    message = str(info.value)
    assert info.value.exit_code == 3
    assert f"csa-report delivery confirm {run_id} {AUTHORITY} --evidence TEXT" in message
    assert f"csa-report delivery resend {run_id} {AUTHORITY}" in message
    assert script.copies(AUTHORITY) == 0 and script.copies(COMMISSION) == 1  # the other recipient still served
    [run] = audit.status()
    assert run.status == "delivery-unknown" and run.publication_url is None
    assert _states(audit, report) == {AUTHORITY: ("unknown", 1), COMMISSION: ("sent", 1)}
    with scripted_smtp("accept") as (port, script), pytest.raises(DeliveryUnknown):
        submit(_on(settings, port), report, audit, run_id)  # a re-run never settles it on its own
    assert script.messages == [] and audit.status()[0].status == "delivery-unknown"


def test_reset_before_the_answer_is_unknown_then_resend_sends_the_same_message(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("reset-before-reply") as (port, first):
        with pytest.raises(DeliveryUnknown):
            submit(_on(settings, port), report, audit, run_id)
    assert first.copies(AUTHORITY) == 1 and first.copies(COMMISSION) == 1  # the server did store them
    assert _states(audit, report) == {AUTHORITY: ("unknown", 1), COMMISSION: ("unknown", 1)}

    done = delivery_ops.confirm(audit, run_id, AUTHORITY, "reply from the authority of 2026-01-21")
    assert done.status == "confirmed" and not done.all_done
    with scripted_smtp("accept") as (port, second):
        resent = delivery_ops.resend(audit, _on(settings, port), S3Store.from_settings(settings), run_id, COMMISSION)
    assert resent.all_done and resent.message_id == message_id(report.ref.report_id, COMMISSION)
    assert [m.message_id for m in second.messages] == [resent.message_id]
    assert second.messages[0].data == first.messages[1].data  # byte for byte the same message
    assert _states(audit, report) == {AUTHORITY: ("confirmed", 1), COMMISSION: ("sent", 2)}
    events = [(e.recipient, e.event) for e in audit.delivery_events(report.ref.report_id)]
    assert (AUTHORITY, "confirmed") in events and (COMMISSION, "resend") in events
    with pytest.raises(InputError, match="is sent, not of unknown outcome"):
        delivery_ops.resend(audit, settings, S3Store.from_settings(settings), run_id, COMMISSION)

    with scripted_smtp("accept") as (port, third):
        result = submit(_on(settings, port), report, audit, run_id)
    assert third.messages == [] and sorted(result.skipped) == sorted([AUTHORITY, COMMISSION])
    assert audit.status()[0].status == "submitted"


def test_never_greeting_server_fails_without_sending_and_next_run_sends_once(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("never-greet") as (port, _script), pytest.raises(DeliveryError) as info:
        submit(_on(settings, port, smtp_timeout_s=0.5), report, audit, run_id)
    assert info.value.exit_code == 3
    assert _states(audit, report) == {AUTHORITY: ("failed", 1), COMMISSION: ("failed", 1)}
    with scripted_smtp("slow", delay_s=0.05) as (port, script):
        submit(_on(settings, port), report, audit, run_id)
    assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1
    assert _states(audit, report) == {AUTHORITY: ("sent", 2), COMMISSION: ("sent", 2)}


def test_temporary_failure_then_accept_delivers_exactly_once(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("tempfail-then-accept", tempfails=1) as (port, script):
        with pytest.raises(DeliveryError, match="451"):
            submit(_on(settings, port), report, audit, run_id)
        assert script.copies(AUTHORITY) == 0 and script.copies(COMMISSION) == 1
        submit(_on(settings, port), report, audit, run_id)
    assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1
    assert _states(audit, report) == {AUTHORITY: ("sent", 2), COMMISSION: ("sent", 1)}
    assert audit.status()[0].status == "submitted"


def test_cli_confirm_records_evidence_and_unknown_run_is_exit_2(
    settings: Settings, report: FakeReport, audit: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    ref = report.ref
    host = claim_owner().split(" pid ")[0]
    owner = f"{host} pid {_dead_pid()}"  # a claim whose process died: its outcome is open
    audit.claim(ref.provider, ref.period, ref.report_id, AUTHORITY, channel="smtp", at=NOW, owner=owner)
    code = main(
        ["delivery", "confirm", str(run_id), AUTHORITY, "--evidence", "ticket 42", "--audit-db", settings.audit_db]
    )
    assert code == 0 and "confirmed" in capsys.readouterr().out
    assert _states(audit, report) == {AUTHORITY: ("confirmed", 1)}
    assert audit.delivery_events(ref.report_id)[-1].detail == "confirmed by the operator: ticket 42"
    assert main(["delivery", "confirm", "999", AUTHORITY, "--evidence", "x", "--audit-db", settings.audit_db]) == 2
    assert "run 999 is not in the audit database" in capsys.readouterr().err


def test_resend_of_a_superseded_report_is_refused(settings: Settings, report: FakeReport, audit: AuditLog) -> None:
    """Its correction went out meanwhile: sending the original now would deliver the wrong version last."""
    from csa_report.filing.guard import Correction, claim_filing

    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("reset-before-reply") as (port, _first):
        with pytest.raises(DeliveryUnknown):
            submit(_on(settings, port), report, audit, run_id)
    ref = report.ref
    for report_id, correction in ((ref.report_id, None), ("c0rrec7edc0rrec7", Correction(ref.report_id, "typo"))):
        claim_filing(
            audit,
            provider=ref.provider,
            period=str(ref.period),
            report_id=report_id,
            manifest_sha256=report_id * 4,
            correction=correction,
            run_id=None,
            at=NOW,
        )
    with (
        scripted_smtp("accept") as (port, second),
        pytest.raises(InputError, match=f"report {ref.report_id} was superseded by report c0rrec7edc0rrec7"),
    ):
        delivery_ops.resend(audit, _on(settings, port), S3Store.from_settings(settings), run_id, COMMISSION)
    assert second.messages == []
    assert _states(audit, report) == {AUTHORITY: ("unknown", 1), COMMISSION: ("unknown", 1)}
