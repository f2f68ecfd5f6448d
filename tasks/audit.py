"""Prefect tasks that write the audit trail (workflow.md, "Audit database"). Each is idempotent: recording the
same run, findings or objects again updates rather than duplicates, so retries are harmless."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.context import TaskRunContext
from prefect.runtime import flow_run

from csa_report.audit import AuditLog, FindingRecord, SignoffRecord
from csa_report.checks import CheckResult
from csa_report.period import utc_now
from csa_report.services import current
from csa_report.tasks.retry import retry_options


def audit_log() -> AuditLog:
    """The run's audit log (built and migrated once, at run start; see csa_report.services)."""
    return current().audit


@task(name="record-run", **retry_options())
def record_run(
    provider: str,
    period: str,
    as_of: datetime,
    status: str,
    report_id: str | None = None,
    manifest_sha256: str | None = None,
) -> int:
    run_id = flow_run.get_id()
    return audit_log().record_run(
        provider=provider,
        period=period,
        as_of=as_of,
        status=status,
        at=utc_now(),
        report_id=report_id,
        manifest_sha256=manifest_sha256,
        flow_run_id=str(run_id) if run_id else None,
    )


@task(name="record-findings", **retry_options())
def record_findings(run_id: int, result: CheckResult) -> None:
    audit_log().record_findings(
        run_id,
        [
            FindingRecord(rule=f.rule, severity=f.severity, message=f.message, count=f.count, waived_by=f.waived_by)
            for f in result.findings
        ],
    )


@task(name="record-signoff", **retry_options())
def record_signoff(record: SignoffRecord) -> int:
    return audit_log().record_signoff(record)


@task(name="set-run-status", **retry_options())
def set_run_status(run_id: int, status: str) -> None:
    audit_log().set_run_status(run_id, status, utc_now())


@task(name="prior-approval", **retry_options())
def prior_approval(report_id: str, manifest_sha256: str, filing_run_id: int | None) -> SignoffRecord | None:
    """An approval already recorded for exactly this report version by this flow run (a Retry, a resumed
    execution), or by the run whose unfinished filing ``filing_run_id`` this run finishes after a crash; so a
    retry does not ask (or record) twice. Another run's approval is never reused: that run asked, not this one."""
    me = flow_run.get_id()
    # Outside a flow run there is no "this run": "" matches no recorded run, so nothing is reused.
    return audit_log().approval_for(report_id, manifest_sha256, flow_run_id=str(me) if me else "", run_id=filing_run_id)


def _first_seen_key(ctx: TaskRunContext, params: dict[str, Any]) -> str:
    return f"csa-first-seen-{ctx.task_run.flow_run_id}-{params['label']}"


@task(name="first-seen", persist_result=True, cache_key_fn=_first_seen_key)
def first_seen_at(label: str) -> datetime:
    """The clock, read once per flow run and label: later executions of the flow body (resume, retry) get the
    instant of the first one from the persisted result."""
    return utc_now()
