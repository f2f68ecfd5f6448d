"""A permanent SMTP refusal against the scripted server (issue 24 items 6 and 3): a 550 at RCPT or after DATA
ends that delivery failed with the server's answer after exactly one attempt, exit 7, never retried by the
schedule or a re-run, the attachment not sent again; the other recipient still gets the report. And a claim
held by a live run (a slow server answering) is not touched by `delivery confirm` or `delivery resend`."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.errors import DeliveryError, RefusedError, UnreachableError
from csa_report.filing.mail import settle as delivery_ops
from csa_report.settings import Settings
from csa_report.tasks.retry import transient_only
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, stage_report, submit


def _on(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"smtp_port": port})


def _states(audit: AuditLog, report: FakeReport) -> dict[str, tuple[str, int]]:
    return {d.recipient: (d.status, d.attempts) for d in audit.deliveries(report.ref.report_id)}


@pytest.mark.parametrize(
    ("mode", "answer", "data_sent"),
    [("rcpt550", "550 5.1.1 no such mailbox here to RCPT", 0), ("data550", "550 5.7.1 message content rejected", 1)],
)
def test_permanent_refusal_is_one_attempt_exit_7_and_the_others_delivered(
    settings: Settings, report: FakeReport, audit: AuditLog, mode: str, answer: str, data_sent: int
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp(mode, refuse=frozenset({COMMISSION})) as (port, script):
        with pytest.raises(RefusedError) as info:
            submit(_on(settings, port), report, audit, run_id)
        err = info.value
        assert err.exit_code == 7 and not isinstance(err, UnreachableError)
        text = str(err)
        assert COMMISSION in text and answer in text
        assert ("provider.md" if mode == "rcpt550" else "CSA_SMTP_FROM") in text
        assert "will be retried" not in text and f"csa-report delivery resend {run_id} {COMMISSION}" in text
        assert script.rcpts.count(COMMISSION) == 1 and script.data_for.count(COMMISSION) == data_sent
        assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 0
        assert _states(audit, report) == {AUTHORITY: ("sent", 1), COMMISSION: ("failed", 1)}
        detail = next(d.detail for d in audit.deliveries(report.ref.report_id) if d.recipient == COMMISSION)
        assert detail is not None and answer in detail
        [run] = audit.status()
        assert run.status == "delivery-incomplete" and run.publication_url is None

        # A Retry (the schedule's or a new execution) does not try the refused recipient again.
        with pytest.raises(RefusedError):
            submit(_on(settings, port), report, audit, run_id)
        assert script.rcpts.count(COMMISSION) == 1 and script.data_for.count(COMMISSION) == data_sent
        assert script.copies(AUTHORITY) == 1 and _states(audit, report)[COMMISSION] == ("failed", 1)


def test_the_retry_schedule_retries_outages_only() -> None:
    """tasks/retry.py's condition: an outage is retried, a refusal is final."""

    class State:
        def __init__(self, exc: Exception) -> None:
            self.exc = exc

        def result(self) -> Any:
            raise self.exc

    assert transient_only(None, None, State(DeliveryError("451 try later"))) is True
    assert transient_only(None, None, State(RefusedError("550 no such mailbox"))) is False


def test_confirm_of_a_refused_delivery_is_refused(
    settings: Settings, report: FakeReport, audit: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused delivery did not arrive: it can be resent, never confirmed."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("rcpt550", refuse=frozenset({COMMISSION})) as (port, _script):
        with pytest.raises(RefusedError):
            submit(_on(settings, port), report, audit, run_id)
    code = main(["delivery", "confirm", str(run_id), COMMISSION, "--evidence", "x", "--audit-db", settings.audit_db])
    assert code == 2
    err = capsys.readouterr().err
    assert "refused the delivery" in err and f"csa-report delivery resend {run_id} {COMMISSION}" in err
    assert _states(audit, report)[COMMISSION] == ("failed", 1)


@pytest.mark.parametrize("action", ["confirm", "resend"])
def test_a_claim_held_by_a_live_run_is_not_touched(
    settings: Settings, report: FakeReport, audit: AuditLog, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    """The run is still waiting for the slow server's answer: the operator's command names the run holding the
    claim and does nothing (no second copy with the same Message-ID, no 'confirmed' for a delivery in flight)."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    audit.set_run_status(run_id, "archived", audit.status()[0].updated_at)
    errors: list[BaseException] = []
    with scripted_smtp("slowdata", delay_s=3.0) as (port, script):
        slow = _on(settings, port)

        def run() -> None:
            try:
                submit(slow, report, AuditLog.open(settings.audit_db, migrate=False), run_id)
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=run, name="submission")
        thread.start()
        assert script.data_arrived.wait(timeout=20), "the submission never reached DATA"
        argv = ["delivery", action, str(run_id), AUTHORITY, "--audit-db", settings.audit_db]
        if action == "confirm":
            argv += ["--evidence", "a reply"]
        code = main(argv)
        err = capsys.readouterr().err
        assert _states(audit, report)[AUTHORITY] == ("pending", 1)
        thread.join(timeout=60)
    assert not thread.is_alive() and errors == []
    assert code == 2
    assert f"being sent right now by run {run_id}" in err and "still alive" in err
    assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1
    assert _states(audit, report) == {AUTHORITY: ("sent", 1), COMMISSION: ("sent", 1)}
    with pytest.raises(Exception, match="not of unknown outcome"):
        delivery_ops.find(audit, run_id, AUTHORITY)
