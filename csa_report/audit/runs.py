"""Report runs: one row per provider, period, report version and flow run, with its status."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, update

from csa_report.audit.models import ReportRun
from csa_report.audit.store import AuditStore, eq_or_null, period_text
from csa_report.period import Period

log = logging.getLogger(__name__)


class Runs(AuditStore):
    def record_run(
        self,
        *,
        provider: str,
        period: Period | str,
        as_of: datetime,
        status: str,
        at: datetime,
        report_id: str | None = None,
        manifest_sha256: str | None = None,
        flow_run_id: str | None = None,
    ) -> int:
        """Insert the run, or update the one with the same provider, period, report id and flow run id."""
        with self._tx() as conn:
            found = conn.execute(
                select(ReportRun.id).where(
                    ReportRun.provider == provider,
                    ReportRun.period == period_text(period),
                    eq_or_null(ReportRun.report_id, report_id),
                    eq_or_null(ReportRun.flow_run_id, flow_run_id),
                )
            ).scalar()
            if found is not None:
                conn.execute(
                    update(ReportRun)
                    .where(ReportRun.id == found)
                    .values(status=status, manifest_sha256=manifest_sha256, as_of=as_of, updated_at=at)
                )
                run_id = int(found)
            else:
                run_id = int(
                    conn.execute(
                        insert(ReportRun)
                        .values(
                            provider=provider,
                            period=period_text(period),
                            as_of=as_of,
                            report_id=report_id,
                            manifest_sha256=manifest_sha256,
                            status=status,
                            flow_run_id=flow_run_id,
                            created_at=at,
                            updated_at=at,
                        )
                        .returning(ReportRun.id)
                    ).scalar_one()
                )
        log.info("audit run %d: %s %s report=%s status=%s", run_id, provider, period, report_id, status)
        return run_id

    def set_run_status(self, run_id: int, status: str, at: datetime, *, publication_url: str | None = None) -> None:
        values: dict[str, object] = {"status": status, "updated_at": at}
        if publication_url is not None:
            values["publication_url"] = publication_url
        with self._tx() as conn:
            conn.execute(update(ReportRun).where(ReportRun.id == run_id).values(**values))
        log.info("audit run %d: status=%s%s", run_id, status, f" url={publication_url}" if publication_url else "")
