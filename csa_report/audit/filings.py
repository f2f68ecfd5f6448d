"""The period's filings (table ``filings``): one row per report sent for a (provider, period); the unique
constraint on (provider, period, seq) is the one-filing-per-period guard (csa_report/filing/guard.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import insert, select, update

from csa_report.audit.models import Filing, ReportRun
from csa_report.audit.records import FilingRecord
from csa_report.audit.store import AuditStore, record_of


class Filings(AuditStore):
    def filings(self, provider: str, period: str) -> list[FilingRecord]:
        """The filings of a period, first filing first."""
        with self._tx() as conn:
            rows = conn.execute(
                select(Filing, ReportRun.flow_run_id)
                .outerjoin(ReportRun, ReportRun.id == Filing.run_id)
                .where(Filing.provider == provider, Filing.period == period)
                .order_by(Filing.seq)
            ).all()
            return [filing_record(r, flow_run_id) for r, flow_run_id in rows]

    def insert_filing(self, record: FilingRecord, *, run_id: int | None, at: datetime) -> bool:
        """Take the slot ``record.seq`` of the period; False when another report holds it already (the unique
        constraint lets one of any number of concurrent claimers win)."""
        # Only FilingRecord's own columns: the run and the times are set here; flow_run_id and filed_at are read
        # through the run and created_at, not stored.
        derived = {"run_id", "flow_run_id", "filed_at"}
        columns = {f.name: getattr(record, f.name) for f in fields(FilingRecord) if f.name not in derived}
        return self._insert_once(insert(Filing).values(**columns, run_id=run_id, created_at=at, updated_at=at))

    def set_filing_status(self, provider: str, period: str, report_id: str, status: str, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                update(Filing)
                .where(Filing.provider == provider, Filing.period == period, Filing.report_id == report_id)
                .values(status=status, updated_at=at)
            )


def filing_record(r: Filing, flow_run_id: str | None = None) -> FilingRecord:
    return record_of(FilingRecord, r, seq=int(r.seq), flow_run_id=flow_run_id, filed_at=r.created_at)
