"""Prefect tasks of the one-filing-per-period guard (csa_report.filing): the check before staging, the claim
before archiving, and marking the filing complete once every delivery went out."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from csa_report.filing import AlreadyFiled, Correction, FilingRecord, check_not_filed, claim_filing, mark_filed
from csa_report.period import utc_now
from tasks.audit import audit_log
from tasks.retry import retry_options


@task(name="period-guard", **retry_options((5, 30)))
def period_guard(provider: str, period: str, as_of: datetime, report_id: str, manifest_sha256: str,
                 correction: Correction | None) -> FilingRecord | None:
    """Stop before staging when the period was filed and this run is not its correction. The stop is recorded
    as a run with status ``already-filed``, and the reason is the failed task's (and run's) message in the UI."""
    audit = audit_log()
    try:
        return check_not_filed(audit, provider, period, report_id, correction)
    except AlreadyFiled:
        audit.record_run(provider=provider, period=period, as_of=as_of, status="already-filed", at=utc_now(),
                         report_id=report_id, manifest_sha256=manifest_sha256)
        raise


@task(name="claim-filing", **retry_options((5, 30)))
def claim_period(provider: str, period: str, report_id: str, manifest_sha256: str, correction: Correction | None,
                 run_id: int) -> FilingRecord:
    """Take the period's filing slot for this report (the unique constraint decides between concurrent runs)."""
    audit = audit_log()
    try:
        return claim_filing(audit, provider=provider, period=period, report_id=report_id,
                            manifest_sha256=manifest_sha256, correction=correction, run_id=run_id, at=utc_now())
    except AlreadyFiled:
        audit.set_run_status(run_id, "already-filed", utc_now())
        raise


@task(name="mark-filed", **retry_options((5, 30)))
def filed(provider: str, period: str, report_id: str) -> None:
    mark_filed(audit_log(), provider, period, report_id, utc_now())
