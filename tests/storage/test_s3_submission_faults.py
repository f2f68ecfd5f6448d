"""The whole submission (archive, deliveries, public copy) behind S3 faults: 5xx, resets, lost replies and
delays through the fault proxy, and SeaweedFS stopped and restarted mid-run. Every object is stored once, every
recipient gets exactly one copy, and a run interrupted by S3 completes on the next run without resending."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import UnreachableError
from csa_report.filing.submit import submit_report
from csa_report.local.seaweed import BucketSpec, S3Endpoint, SeaweedServer, ensure_buckets
from csa_report.settings import Settings
from csa_report.storage import S3Store, make_client, stage
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import ARCHIVE, PUBLIC, STAGING, FakeReport

AUTHORITY = "dsc@authority.example"
COMMISSION = "csam-reports@commission.example"
RECIPIENTS = [("supervisory authority", AUTHORITY), ("European Commission", COMMISSION)]
NOW = datetime(2026, 1, 20, 9, 30)


def _prepare(store: S3Store, settings: Settings, report: FakeReport, audit: AuditLog) -> int:
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    audit.record_objects(report.ref.report_id, "staging", staged, NOW)
    return audit.record_run(
        provider=report.ref.provider,
        period=report.ref.period,
        as_of=NOW,
        status="approved",
        at=NOW,
        report_id=report.ref.report_id,
        manifest_sha256=report.manifest_sha256,
    )


def _submit(store: S3Store, settings: Settings, report: FakeReport, audit: AuditLog, run_id: int) -> None:
    submit_report(
        store=store,
        audit=audit,
        settings=settings,
        ref=report.ref,
        run_id=run_id,
        staged=audit.stored_objects(report.ref.report_id, "staging"),
        manifest_sha256=report.manifest_sha256,
        recipients=RECIPIENTS,
        message_date=NOW,
        clock=lambda: NOW,
    )


def _with(settings: Settings, **changes: object) -> Settings:
    """A validated copy (model_copy would keep plain strings where secrets belong)."""
    return Settings.model_validate({**settings.model_dump(), **changes})


def _versions(store: S3Store, bucket: str, prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in store.client.list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", []):
        counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


def test_submission_behind_5xx_resets_lost_replies_and_delays(
    seaweed: S3Endpoint, settings: Settings, report: FakeReport
) -> None:
    audit = AuditLog.open(settings.audit_db)
    with FaultProxy(seaweed.url.removeprefix("http://")) as proxy, scripted_smtp("accept") as (port, script):
        store = S3Store(make_client(settings, endpoint_url=proxy.url, max_attempts=5), sse=settings.sse)
        smtp = settings.model_copy(update={"smtp_port": port})
        run_id = _prepare(store, smtp, report, audit)
        proxy.arm(
            Rule("503", count=2, method="GET", path=settings.staging_prefix),
            Rule("reset_after", count=1, method="PUT", path=f"{settings.archive_prefix}/.*/report\\.pdf$"),
            Rule("500", count=1, method="PUT", path=f"{settings.archive_prefix}/.*/report\\.json$"),
            Rule("delay:0.5", count=1, method="PUT", path=f"{settings.archive_prefix}/.*/report\\.md$"),
            Rule("reset", count=1, method="PUT", path=f"{settings.publication_prefix}/.*/report\\.html$"),
            Rule("reset_after", count=1, method="PUT", path=f"{settings.publication_prefix}/.*/report\\.pdf$"),
        )
        _submit(store, smtp, report, audit, run_id)
        actions = {a for a in proxy.actions()}
        assert {"503", "500", "reset", "reset_after"} <= actions and any(a.startswith("delay") for a in actions)
        assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1
    direct = S3Store.from_settings(settings)
    assert set(_versions(direct, ARCHIVE, settings.archive_prefix).values()) == {1}
    assert len(_versions(direct, ARCHIVE, settings.archive_prefix)) == len(report.artefacts)
    assert _versions(direct, PUBLIC, settings.publication_prefix) and set(
        _versions(direct, PUBLIC, settings.publication_prefix).values()
    ) == {1}
    assert audit.status()[0].status == "submitted"


def test_seaweedfs_stopped_before_publishing_then_restarted(
    tmp_path: Path, settings: Settings, report: FakeReport
) -> None:
    server = SeaweedServer(tmp_path / "weed")
    endpoint = server.start()
    try:
        ensure_buckets(endpoint.client(), [BucketSpec(STAGING), BucketSpec(ARCHIVE, 1), BucketSpec(PUBLIC)])
        own = _with(settings, **endpoint.settings_overrides(), s3_max_attempts=2)
        audit = AuditLog.open(own.audit_db)
        with scripted_smtp("accept") as (port, script):
            own = own.model_copy(update={"smtp_port": port})
            run_id = _prepare(S3Store.from_settings(own), own, report, audit)
            original = audit.mark_delivered
            delivered: list[str] = []

            def stop_after_the_last_delivery(*args: object, **kw: object) -> None:
                original(*args, **kw)  # type: ignore[arg-type]
                delivered.append(str(args[3]))
                if len(delivered) == len(RECIPIENTS):
                    server.stop()  # S3 goes away between the deliveries and the public copy

            audit.mark_delivered = stop_after_the_last_delivery  # type: ignore[method-assign]
            with pytest.raises(UnreachableError) as info:
                _submit(S3Store.from_settings(own), own, report, audit, run_id)
            assert info.value.exit_code == 3
            [run] = audit.status()
            assert run.status == "archived" and run.publication_url is None
            assert {d.status for d in run.deliveries} == {"sent"}

            endpoint = server.start()  # the same data folder: the archive and staging survive
            own = _with(own, **endpoint.settings_overrides())
            audit.mark_delivered = original  # type: ignore[method-assign]
            _submit(S3Store.from_settings(own), own, report, audit, run_id)
            assert script.copies(AUTHORITY) == 1 and script.copies(COMMISSION) == 1  # nothing sent again
        assert audit.status()[0].status == "submitted"
        store = S3Store.from_settings(own)
        assert set(_versions(store, ARCHIVE, own.archive_prefix).values()) == {1}
    finally:
        server.stop()
