"""Two operators settle the same delivery at once (issue 24, item 3; found by the round-3 replay): both read it as
`unknown`, then one claims it for a resend and is sending to a slow server. The other's `delivery resend` or
`delivery confirm`, decided on what it read before, could move the row on from `pending` too: a second copy with
the same Message-ID, or `confirmed` for a message in flight. Now an operator's action moves the row only from
exactly the state it read (status, attempts and detail), so the later one is refused and changes nothing.

Real components: the session's SeaweedFS (the late operator's reads go through a delaying proxy, which opens the
window deterministically), the scripted SMTP server (slowdata: the first resend holds its claim), the audit DB."""

from __future__ import annotations

import threading

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import DeliveryUnknown, InputError
from csa_report.filing.mail import settle as delivery_ops
from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from csa_report.storage import S3Store
from csa_report.storage.client import make_client
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, stage_report, submit


def _states(audit: AuditLog, report: FakeReport) -> dict[str, tuple[str, int]]:
    return {d.recipient: (d.status, d.attempts) for d in audit.deliveries(report.ref.report_id)}


def test_a_resend_decided_on_a_stale_read_never_sends_a_second_copy(
    seaweed: S3Endpoint, settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("reset-before-reply") as (port, _first):
        with pytest.raises(DeliveryUnknown):
            submit(settings.model_copy(update={"smtp_port": port}), report, audit, run_id)
    assert _states(audit, report) == {AUTHORITY: ("unknown", 1), COMMISSION: ("unknown", 1)}

    errors: dict[str, BaseException] = {}
    with (
        FaultProxy(seaweed.url.removeprefix("http://")) as proxy,
        scripted_smtp("slowdata", delay_s=4.0) as (port, script),
    ):
        smtp = settings.model_copy(update={"smtp_port": port})
        slow_store = S3Store(make_client(settings, endpoint_url=proxy.url, max_attempts=1), sse=settings.sse)
        # The late operator's first S3 read waits 3 s: it has read the row (unknown) and acts on it later.
        proxy.arm(Rule("delay:3", count=1))

        def operator(name: str, store: S3Store) -> None:
            try:
                delivery_ops.resend(AuditLog.open(settings.audit_db, migrate=False), smtp, store, run_id, COMMISSION)
            except BaseException as exc:  # asserted below
                errors[name] = exc

        late = threading.Thread(target=operator, args=("late", slow_store), name="late-operator")
        late.start()
        while not proxy.actions() and late.is_alive():  # the late operator has read the row and waits on S3
            late.join(timeout=0.05)
        first = threading.Thread(target=operator, args=("first", S3Store.from_settings(settings)), name="first")
        first.start()
        assert script.data_arrived.wait(timeout=30), "the first resend never reached DATA"
        late.join(timeout=60)
        first.join(timeout=60)
    assert not late.is_alive() and not first.is_alive()
    assert "first" not in errors, errors
    refused = errors.get("late")
    assert isinstance(refused, InputError), errors
    assert f"run {run_id}: the delivery to {COMMISSION} changed meanwhile" in str(refused)
    assert script.copies(COMMISSION) == 1  # one copy: the first operator's
    assert _states(audit, report)[COMMISSION] == ("sent", 2)
    events = [e.event for e in audit.delivery_events(report.ref.report_id) if e.recipient == COMMISSION]
    assert events.count("resend") == 1


def test_confirm_and_resend_move_a_row_only_from_the_state_they_read(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    """The audit-level rule both commands rely on: a stale read (the row moved on since) moves nothing."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("reset-before-reply") as (port, _first):
        with pytest.raises(DeliveryUnknown):
            submit(settings.model_copy(update={"smtp_port": port}), report, audit, run_id)
    _, stale = delivery_ops.find(audit, run_id, COMMISSION)
    key = (report.ref.provider, report.ref.period, report.ref.report_id, COMMISSION)
    assert audit.begin_resend(*key, owner="elsewhere pid 1", at=stale.updated_at, read=stale)
    assert not audit.begin_resend(*key, owner="elsewhere pid 2", at=stale.updated_at, read=stale)
    assert not audit.confirm_delivery(*key, evidence="stale", at=stale.updated_at, read=stale)
    assert _states(audit, report)[COMMISSION] == ("pending", 2)
