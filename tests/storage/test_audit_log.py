"""The audit database on SQLite and PostgreSQL: migrations, once-only delivery claims under concurrency,
re-claiming failures, runs, findings, sign-offs, stored objects and the status summary."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import sqlalchemy as sa

from csa_report.audit import AuditLog, FindingRecord, SignoffRecord
from csa_report.db import make_engine
from csa_report.storage import StoredObject

T0 = datetime(2026, 1, 20, 9, 0)
P, PERIOD, RID = "Example Communications Ireland Ltd", "2025-01-01/2025-12-31", "0123456789abcdef"


def claimed(log: AuditLog, *args: object, **kwargs: object) -> bool:
    """True if this caller may send now (it holds the 'pending' row)."""
    return log.claim(*args, **kwargs).outcome == "claimed"  # type: ignore[arg-type]


def test_migration_creates_the_audit_tables(new_db_url: str) -> None:
    AuditLog.open(new_db_url)
    AuditLog.open(new_db_url)  # a second upgrade is a no-op
    insp = sa.inspect(make_engine(new_db_url))
    tables = set(insp.get_table_names())
    assert {"report_runs", "findings", "signoffs", "deliveries", "storage_objects", "alembic_version_audit"} <= tables
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("deliveries")}
    assert ("provider", "period", "report_id", "recipient") in uniques


def test_concurrent_claimers_get_one_turn(new_db_url: str) -> None:
    AuditLog.open(new_db_url)
    start = threading.Barrier(8)
    calls: list[tuple[bool, float, float]] = []  # (won, started, returned) of each claim

    def claim() -> None:
        log = AuditLog.open(new_db_url, migrate=False)
        start.wait(timeout=10)
        began = time.monotonic()
        won = claimed(log, P, PERIOD, RID, "dsc@authority.example", channel="smtp", at=T0)
        calls.append((won, began, time.monotonic()))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a claimer did not return within 30 s"
    assert sorted(won for won, _, _ in calls) == [False] * 7 + [True]
    # The race happened: a loser had started its claim before the winner's returned (not one after the other).
    [(_, _, winner_returned)] = [c for c in calls if c[0]]
    assert any(began < winner_returned for won, began, _ in calls if not won), calls
    [delivery] = AuditLog.open(new_db_url, migrate=False).deliveries(RID)
    assert (delivery.status, delivery.attempts) == ("pending", 1)  # one claim recorded, the losers' none


def test_failed_delivery_is_reclaimed_sent_never(new_db_url: str) -> None:
    log = AuditLog.open(new_db_url)
    to = "csam@commission.example"
    assert claimed(log, P, PERIOD, RID, to, channel="smtp", at=T0, role="European Commission")
    assert not claimed(log, P, PERIOD, RID, to, channel="smtp", at=T0)  # in progress elsewhere
    log.mark_failed(P, PERIOD, RID, to, detail="550 mailbox unavailable", at=T0)
    assert claimed(log, P, PERIOD, RID, to, channel="smtp", at=T0)
    assert not claimed(log, P, PERIOD, RID, to, channel="smtp", at=T0)
    log.mark_delivered(P, PERIOD, RID, to, message_id="<x@csa-report>", detail="accepted", at=T0)
    assert not claimed(log, P, PERIOD, RID, to, channel="smtp", at=T0)
    [d] = log.deliveries(RID)
    assert (d.status, d.attempts, d.message_id, d.role) == ("sent", 2, "<x@csa-report>", "European Commission")
    # Another report id (or period) is another delivery.
    assert claimed(log, P, PERIOD, "fedcba9876543210", to, channel="smtp", at=T0)


def test_stuck_pending_needs_an_operator(new_db_url: str) -> None:
    log = AuditLog.open(new_db_url)
    to = "dsc@authority.example"
    assert claimed(log, P, PERIOD, RID, to, channel="outbox", at=T0)
    assert not claimed(log, P, PERIOD, RID, to, channel="outbox", at=T0)
    assert log.release_delivery(P, PERIOD, RID, to, detail="released by operator", at=T0)
    assert claimed(log, P, PERIOD, RID, to, channel="outbox", at=T0)


def test_runs_findings_signoffs_objects_and_status(new_db_url: str) -> None:
    log = AuditLog.open(new_db_url)
    run = log.record_run(
        provider=P,
        period=PERIOD,
        as_of=T0,
        status="staged",
        at=T0,
        report_id=RID,
        manifest_sha256="a" * 64,
        flow_run_id="flow-1",
    )
    assert (
        log.record_run(
            provider=P,
            period=PERIOD,
            as_of=T0,
            status="approved",
            at=T0,
            report_id=RID,
            manifest_sha256="a" * 64,
            flow_run_id="flow-1",
        )
        == run
    )
    other = log.record_run(provider=P, period="2024-01-01/2024-12-31", as_of=T0, status="blocked", at=T0)
    log.record_findings(
        run,
        [FindingRecord("R1", "warning", "late reviews", 3), FindingRecord("R2", "blocking", "x", None, "Dara Kelly")],
    )
    log.record_findings(run, [FindingRecord("R1", "warning", "late reviews", 3)])  # replaces
    log.record_signoff(
        SignoffRecord(RID, "approve", "Aoife Byrne", "a" * 64, T0, refused_reason="preparer", run_id=run)
    )
    log.record_signoff(
        SignoffRecord(RID, "approve", "demo-reviewer", "a" * 64, T0, comment="ok", automatic=True, run_id=run)
    )
    obj = StoredObject(
        "csa-archive",
        f"submitted/x/{RID}/report.pdf",
        "v1",
        "b" * 64,
        10,
        "etag",
        "application/pdf",
        "COMPLIANCE",
        datetime(2036, 1, 1),
    )
    log.record_objects(RID, "archive", [obj], T0)
    log.record_objects(RID, "archive", [obj], T0)
    assert log.stored_objects(RID, "archive") == [obj]
    log.set_run_status(run, "submitted", T0, publication_url="https://example.ie/r.html")

    runs = log.status()
    assert [r.run_id for r in runs] == [run, other]
    [summary] = log.status(PERIOD)
    assert summary.status == "submitted" and summary.publication_url == "https://example.ie/r.html"
    assert [f.rule for f in summary.findings] == ["R1"]
    assert [(s.reviewer, s.automatic, s.refused_reason) for s in summary.signoffs] == [
        ("Aoife Byrne", False, "preparer"),
        ("demo-reviewer", True, None),
    ]
    assert log.status("2024-01-01/2024-12-31")[0].status == "blocked"


def test_approval_for_finds_the_valid_approval_of_exactly_that_version(new_db_url: str) -> None:
    log = AuditLog.open(new_db_url)
    run = log.record_run(
        provider=P,
        period=PERIOD,
        as_of=T0,
        status="staged",
        at=T0,
        report_id=RID,
        manifest_sha256="a" * 64,
        flow_run_id="flow-1",
    )
    assert log.approval_for(RID, "a" * 64) is None
    log.record_signoff(
        SignoffRecord(RID, "approve", "Aoife Byrne", "a" * 64, T0, refused_reason="preparer", run_id=run)
    )
    log.record_signoff(SignoffRecord(RID, "reject", "Dara Kelly", "a" * 64, T0, run_id=run))
    log.record_signoff(SignoffRecord(RID, "approve", "Dara Kelly", "b" * 64, T0, run_id=run))  # another version
    assert log.approval_for(RID, "a" * 64) is None  # refused, rejected or of another version: none counts
    later = datetime(2026, 1, 21, 9, 0)
    log.record_signoff(SignoffRecord(RID, "approve", "Sam Ortiz", "a" * 64, later, run_id=run))
    log.record_signoff(SignoffRecord(RID, "approve", "Dara Kelly", "a" * 64, T0, run_id=None))
    approval = log.approval_for(RID, "a" * 64)
    assert approval is not None and (approval.reviewer, approval.decided_at) == ("Dara Kelly", T0)  # the first
    assert log.approval_for("fedcba9876543210", "a" * 64) is None


def test_approval_for_a_flow_run_finds_only_the_approvals_given_in_it(new_db_url: str) -> None:
    """An approval belongs to the run that asked: another flow run of the same bytes does not see it, except
    through the audit run named explicitly (the one whose unfinished filing it finishes)."""
    log = AuditLog.open(new_db_url)

    def run_of(flow_run_id: str) -> int:
        return log.record_run(
            provider=P,
            period=PERIOD,
            as_of=T0,
            status="staged",
            at=T0,
            report_id=RID,
            manifest_sha256="a" * 64,
            flow_run_id=flow_run_id,
        )

    first, second = run_of("flow-1"), run_of("flow-2")
    log.record_signoff(SignoffRecord(RID, "approve", "Dara Kelly", "a" * 64, T0, run_id=first))
    mine = log.approval_for(RID, "a" * 64, flow_run_id="flow-1")
    assert mine is not None and (mine.reviewer, mine.run_id) == ("Dara Kelly", first)
    assert log.approval_for(RID, "a" * 64, flow_run_id="flow-2") is None
    assert log.approval_for(RID, "a" * 64, flow_run_id="") is None  # outside any flow run: nothing reused
    via_filing = log.approval_for(RID, "a" * 64, flow_run_id="flow-2", run_id=first)
    assert via_filing is not None and via_filing.run_id == first
    assert log.approval_for(RID, "a" * 64, flow_run_id="flow-2", run_id=second) is None


def test_run_reads_one_run_as_status_does(new_db_url: str) -> None:
    log = AuditLog.open(new_db_url)
    run = log.record_run(
        provider=P,
        period=PERIOD,
        as_of=T0,
        status="staged",
        at=T0,
        report_id=RID,
        manifest_sha256="a" * 64,
        flow_run_id="flow-1",
    )
    log.record_run(provider=P, period="2024-01-01/2024-12-31", as_of=T0, status="blocked", at=T0)
    log.record_signoff(SignoffRecord(RID, "approve", "Dara Kelly", "a" * 64, T0, run_id=None))
    assert log.run(run) == next(r for r in log.status() if r.run_id == run)
    assert log.run(run + 1000) is None
