"""Staging and submitting a fake report in the storage tests: the steps before ``submit_report`` (staged objects,
a run, optionally a recorded approval) and the call itself, with a fixed clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csa_report.audit import AuditLog, SignoffRecord
from csa_report.filing.submit import SubmissionResult, submit_report
from csa_report.settings import Settings
from csa_report.storage import S3Store, StoredObject, stage
from tests.support.storage import FakeReport

AUTHORITY = "dsc@authority.example"
COMMISSION = "csam-reports@commission.example"
RECIPIENTS = [("supervisory authority", AUTHORITY), ("European Commission", COMMISSION)]
AS_OF = datetime(2026, 1, 15)
NOW = datetime(2026, 1, 20, 9, 30)


def clock() -> datetime:
    return NOW


def stage_report(
    settings: Settings, report: FakeReport, audit: AuditLog, *, approved_by: str | None = None
) -> tuple[int, list[StoredObject]]:
    """Stage the report's artefacts and record an approved run (and ``approved_by``'s sign-off, if given)."""
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    audit.record_objects(report.ref.report_id, "staging", staged, NOW)
    ref = report.ref
    run_id = audit.record_run(
        provider=ref.provider,
        period=ref.period,
        as_of=AS_OF,
        status="approved",
        at=NOW,
        report_id=ref.report_id,
        manifest_sha256=report.manifest_sha256,
    )
    if approved_by is not None:
        audit.record_signoff(
            SignoffRecord(
                report_id=ref.report_id,
                decision="approve",
                reviewer=approved_by,
                manifest_sha256=report.manifest_sha256,
                decided_at=AS_OF,
                run_id=run_id,
            )
        )
    return run_id, staged


def submit(settings: Settings, report: FakeReport, audit: AuditLog, run_id: int, **kw: Any) -> SubmissionResult:
    """``submit_report`` of the staged report to RECIPIENTS, at NOW."""
    return submit_report(
        store=S3Store.from_settings(settings),
        audit=audit,
        settings=settings,
        ref=report.ref,
        run_id=run_id,
        staged=audit.stored_objects(report.ref.report_id, "staging"),
        manifest_sha256=report.manifest_sha256,
        recipients=RECIPIENTS,
        message_date=AS_OF,
        clock=clock,
        **kw,
    )
