"""submit_report end to end against a real SeaweedFS, a real SMTP server (aiosmtpd) and the audit DB:
exactly-once deliveries, tamper stops, interruption and refusal recovery, concurrency."""

from __future__ import annotations

import email
import threading
from email import policy
from pathlib import Path
from typing import Any

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import RefusedError, TamperedError, UnreachableError
from csa_report.filing.mail import settle as delivery_ops
from csa_report.filing.mail.transport import Delivered, DeliveryProgress, Outgoing, transport_for
from csa_report.filing.submit import SubmissionResult, submit_report
from csa_report.settings import Settings
from csa_report.storage import S3Store
from tests.support.storage import CollectingHandler, FakeReport
from tests.support.submission import AS_OF, AUTHORITY, COMMISSION, RECIPIENTS, clock, stage_report, submit


def _archive_versions(settings: Settings) -> dict[str, int]:
    client = S3Store.from_settings(settings).client
    counts: dict[str, int] = {}
    for v in client.list_object_versions(Bucket=settings.archive_bucket, Prefix=settings.archive_prefix).get(
        "Versions", []
    ):
        counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


@pytest.fixture
def audit(settings: Settings) -> AuditLog:
    return AuditLog.open(settings.audit_db)


def test_submit_delivers_archives_publishes_and_rerun_repeats_nothing(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler
) -> None:
    run_id, staged = stage_report(settings, report, audit)
    result = submit(settings, report, audit, run_id)
    assert [d.recipient for d in result.sent] == [AUTHORITY, COMMISSION]
    assert len(smtp.to(AUTHORITY)) == len(smtp.to(COMMISSION)) == 1
    msg = email.message_from_bytes(smtp.to(AUTHORITY)[0].data, policy=policy.default)
    assert msg["Message-ID"] == result.sent[0].message_id
    assert msg["Date"] == "Thu, 15 Jan 2026 00:00:00 +0000"
    atts = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert atts == {"report.pdf": report.artefacts["report.pdf"], "report.json": report.artefacts["report.json"]}
    assert _archive_versions(settings) == {a.key: 1 for a in result.archived}
    assert result.publication is not None and result.publication.url.endswith("/report.html")

    again = submit(settings, report, audit, run_id)
    assert again.sent == () and sorted(again.skipped) == sorted([AUTHORITY, COMMISSION])
    assert len(smtp.messages) == 2
    assert _archive_versions(settings) == {a.key: 1 for a in result.archived}
    assert again.publication == result.publication

    [run] = audit.status(report.ref.period)
    assert run.status == "submitted" and run.publication_url == result.publication.url
    assert {(d.recipient, d.status, d.attempts) for d in run.deliveries} == {
        (AUTHORITY, "sent", 1),
        (COMMISSION, "sent", 1),
    }
    assert len(audit.stored_objects(report.ref.report_id, "archive")) == len(staged)
    assert len(audit.stored_objects(report.ref.report_id, "publication")) == 2


def test_tampered_staged_object_stops_everything(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler
) -> None:
    run_id, staged = stage_report(settings, report, audit)
    pdf = next(o for o in staged if o.name == "report.pdf")
    client = S3Store.from_settings(settings).client
    # After sign-off, someone overwrites the staged PDF with a plain PUT (a new version on top).
    client.put_object(Bucket=pdf.bucket, Key=pdf.key, Body=b"%PDF forged")
    with pytest.raises(TamperedError) as info:
        submit(settings, report, audit, run_id)
    assert info.value.exit_code == 5 and pdf.key in str(info.value)
    assert smtp.messages == []
    assert _archive_versions(settings) == {}
    [run] = audit.status()
    assert run.status == "tampered" and [f.rule for f in run.findings] == ["storage.tampered"]
    assert run.deliveries == ()


def test_manifest_other_than_the_signed_one_is_tampered(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler
) -> None:
    run_id, _ = stage_report(settings, report, audit)
    with pytest.raises(TamperedError, match="not the signed manifest"):
        submit_report(
            store=S3Store.from_settings(settings),
            audit=audit,
            settings=settings,
            ref=report.ref,
            run_id=run_id,
            staged=audit.stored_objects(report.ref.report_id, "staging"),
            manifest_sha256="f" * 64,
            recipients=RECIPIENTS,
            message_date=AS_OF,
            clock=clock,
        )
    assert smtp.messages == [] and _archive_versions(settings) == {}


@pytest.mark.parametrize("where", ["before-claim", "in-send"])
def test_interrupted_after_archive_before_email_completes_on_rerun(
    settings: Settings,
    report: FakeReport,
    audit: AuditLog,
    smtp: CollectingHandler,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    run_id, _ = stage_report(settings, report, audit)

    def crash(*args: Any, **kw: Any) -> Any:
        raise KeyboardInterrupt  # the process is stopped after the archive write, before any e-mail

    class Crashing:
        channel = "smtp"
        send = staticmethod(crash)

    with monkeypatch.context() as patch:
        if where == "before-claim":
            patch.setattr(AuditLog, "claim", crash)
            with pytest.raises(KeyboardInterrupt):
                submit(settings, report, audit, run_id)
        else:
            with pytest.raises(KeyboardInterrupt):
                submit(settings, report, audit, run_id, transport=Crashing())
    archived = _archive_versions(settings)
    assert len(archived) == 6 and set(archived.values()) == {1}
    assert smtp.messages == []
    assert audit.status()[0].status == "archived"

    result = submit(settings, report, audit, run_id)
    assert sorted(d.recipient for d in result.sent) == sorted([AUTHORITY, COMMISSION])
    assert len(smtp.to(AUTHORITY)) == len(smtp.to(COMMISSION)) == 1
    assert _archive_versions(settings) == archived
    submit(settings, report, audit, run_id)
    assert len(smtp.messages) == 2
    assert audit.status()[0].status == "submitted"


def test_smtp_refusing_one_recipient_is_final_until_the_operator_resends(
    settings: Settings, report: FakeReport, audit: AuditLog, smtp: CollectingHandler
) -> None:
    """A 550 is a refusal, not an outage: exit 7, the delivery failed with the server's answer, never sent again
    by a re-run (no second attempt, no attachment resent); the operator resends it once the address is fixed."""
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    smtp.refuse.add(COMMISSION)
    with pytest.raises(RefusedError, match=COMMISSION) as info:
        submit(settings, report, audit, run_id)
    assert info.value.exit_code == 7 and not isinstance(info.value, UnreachableError)
    assert "550 5.1.1 mailbox unavailable to RCPT" in str(info.value)
    assert "provider.md" in str(info.value) and "retried on the next run" not in str(info.value)
    assert f"csa-report delivery resend {run_id} {COMMISSION}" in str(info.value)
    assert len(smtp.to(AUTHORITY)) == 1 and smtp.to(COMMISSION) == []
    [run] = audit.status()
    assert run.status == "delivery-incomplete" and run.publication_url is None
    states = {d.recipient: (d.status, d.attempts) for d in run.deliveries}
    assert states == {AUTHORITY: ("sent", 1), COMMISSION: ("failed", 1)}

    smtp.refuse.clear()  # even when the server would take it now, a re-run does not try again on its own
    with pytest.raises(RefusedError):
        submit(settings, report, audit, run_id)
    assert smtp.to(COMMISSION) == [] and audit.status()[0].deliveries[1].attempts == 1

    done = delivery_ops.resend(audit, settings, S3Store.from_settings(settings), run_id, COMMISSION)
    assert done.all_done and len(smtp.to(COMMISSION)) == 1 and len(smtp.to(AUTHORITY)) == 1
    assert {d.recipient: (d.status, d.attempts) for d in audit.status()[0].deliveries} == {
        AUTHORITY: ("sent", 1),
        COMMISSION: ("sent", 2),
    }
    result = submit(settings, report, audit, run_id)
    assert result.sent == () and sorted(result.skipped) == sorted([AUTHORITY, COMMISSION])
    assert audit.status()[0].status == "submitted"


def test_two_concurrent_submissions_deliver_once(
    settings: Settings, report: FakeReport, new_db_url: str, smtp: CollectingHandler
) -> None:
    """Two runs submit the same report at once. Each delivery is held open until the other run has tried to claim
    the same recipient and found it claimed, so the race provably happened for every recipient (not one run
    finishing before the other started), and still each recipient gets one message."""
    settings = settings.model_copy(update={"audit_db": new_db_url})
    audit = AuditLog.open(new_db_url)
    run_id, _ = stage_report(settings, report, audit)
    start = threading.Barrier(2)
    results: list[SubmissionResult] = []
    errors: list[BaseException] = []
    claims: list[tuple[str, str, str]] = []  # (run, recipient, outcome) in the order the claims returned
    lock = threading.Lock()
    found_claimed = {AUTHORITY: threading.Event(), COMMISSION: threading.Event()}

    def recording(own: AuditLog) -> AuditLog:
        real = own.claim

        def claim(*key: Any, **kw: Any) -> Any:
            result = real(*key, **kw)
            recipient = key[3]
            with lock:
                claims.append((threading.current_thread().name, recipient, result.outcome))
            if result.outcome == "pending":  # the other run holds this recipient's claim right now
                found_claimed[recipient].set()
            return result

        own.claim = claim  # type: ignore[method-assign]
        return own

    real_transport = transport_for(settings.smtp)

    class Held:
        """The real transport, holding each message until the other run has found its claim taken."""

        channel = real_transport.channel

        def send(self, out: Outgoing, progress: DeliveryProgress) -> Delivered:
            if not found_claimed[out.recipient].wait(timeout=20):
                raise AssertionError(f"the other submission never tried {out.recipient} while this one held its claim")
            return real_transport.send(out, progress)

    def run() -> None:
        try:
            own_audit = recording(AuditLog.open(new_db_url, migrate=False))
            start.wait(timeout=10)
            results.append(submit(settings, report, own_audit, run_id, transport=Held()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, name=f"run-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a submission did not finish within 60 s"
    assert errors == []
    assert len(results) == 2
    for recipient in (AUTHORITY, COMMISSION):  # the race: one run claimed, then the other found it claimed
        outcomes = [(who, outcome) for who, r, outcome in claims if r == recipient]
        winners = {who for who, outcome in outcomes if outcome == "claimed"}
        losers = {who for who, outcome in outcomes if outcome == "pending"}
        assert len(winners) == 1 and len(losers) == 1 and winners != losers, (recipient, outcomes)
        assert outcomes.index((*winners, "claimed")) < outcomes.index((*losers, "pending")), outcomes
    assert len(smtp.to(AUTHORITY)) == 1 and len(smtp.to(COMMISSION)) == 1
    assert sorted(d.recipient for r in results for d in r.sent) == sorted([AUTHORITY, COMMISSION])
    assert sorted(a for r in results for a in r.skipped) == sorted([AUTHORITY, COMMISSION])
    assert set(_archive_versions(settings).values()) == {1}
    [summary] = audit.status()
    assert {(d.status, d.attempts) for d in summary.deliveries} == {("sent", 1)}


def test_outbox_when_no_smtp_host(settings: Settings, report: FakeReport, audit: AuditLog, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"smtp_host": None})
    run_id, _ = stage_report(settings, report, audit)
    result = submit(settings, report, audit, run_id)
    files = sorted(p.name for p in settings.outbox.iterdir())
    rid = report.ref.report_id
    assert files == [f"{rid}-csam-reports-commission-example.eml", f"{rid}-dsc-authority-example.eml"]
    assert {d.channel for d in result.sent} == {"outbox"}
    before = {p: p.read_bytes() for p in settings.outbox.iterdir()}
    again = submit(settings, report, audit, run_id)
    assert again.sent == () and {p: p.read_bytes() for p in settings.outbox.iterdir()} == before
