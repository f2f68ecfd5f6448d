"""The runs with everything recorded about them, for ``csa-report status`` and the operator's commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from csa_report.audit.deliveries import delivery_summary
from csa_report.audit.findings import finding_record
from csa_report.audit.models import Delivery, Finding, ReportRun, Signoff
from csa_report.audit.records import RunSummary
from csa_report.audit.signoffs import signoff_record
from csa_report.audit.store import AuditStore, eq_or_null, period_text, record_of
from csa_report.period import Period


class Status(AuditStore):
    def status(self, period: Period | str | None = None) -> list[RunSummary]:
        """Runs (oldest first) with their findings, sign-offs and deliveries, for ``csa-report status``."""
        with self._tx() as conn:
            query = select(ReportRun).order_by(ReportRun.created_at, ReportRun.id)
            if period is not None:
                query = query.where(ReportRun.period == period_text(period))
            return [_summary(conn, run) for run in conn.scalars(query).all()]

    def run(self, run_id: int) -> RunSummary | None:
        """One run with its findings, sign-offs and deliveries, or None when there is no such run."""
        with self._tx() as conn:
            run = conn.get(ReportRun, run_id)
            return None if run is None else _summary(conn, run)


def _summary(conn: Session, run: ReportRun) -> RunSummary:
    findings = conn.scalars(select(Finding).where(Finding.run_id == run.id).order_by(Finding.rule, Finding.id)).all()
    # A sign-off belongs to its run, or (recorded without one) to every run of its report.
    own = (Signoff.run_id.is_(None)) & eq_or_null(Signoff.report_id, run.report_id)
    signoffs = conn.scalars(
        select(Signoff).where((Signoff.run_id == run.id) | own).order_by(Signoff.decided_at, Signoff.id)
    ).all()
    deliveries = conn.scalars(
        select(Delivery)
        .where(
            Delivery.provider == run.provider,
            Delivery.period == run.period,
            eq_or_null(Delivery.report_id, run.report_id),
        )
        .order_by(Delivery.recipient)
    ).all()
    return record_of(
        RunSummary,
        run,
        run_id=run.id,
        findings=tuple(finding_record(f) for f in findings),
        signoffs=tuple(signoff_record(s) for s in signoffs),
        deliveries=tuple(delivery_summary(d) for d in deliveries),
    )
