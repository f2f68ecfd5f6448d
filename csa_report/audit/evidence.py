"""The reads an auditor's evidence pack and ``csa-report status`` need beyond the runs themselves: whether the
database is an audit database at all, the filing chain of a period, and the history of each delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from csa_report.audit.models import Filing
from csa_report.audit.records import FilingRecord
from csa_report.audit.store import AuditStore, period_text, record_of
from csa_report.db import with_retries
from csa_report.errors import ConfigError
from csa_report.period import Period


@dataclass(frozen=True, kw_only=True)
class FilingEntry(FilingRecord):
    """A filing with what the evidence pack adds: when its row was written (``run_id``, the run that filed it,
    is the record's own)."""

    created_at: datetime
    updated_at: datetime


class Evidence(AuditStore):
    def has_audit_tables(self) -> bool:
        """Whether csa-report ever wrote here (a fresh or foreign database has no report_runs table)."""
        conn = with_retries(self.engine.connect, self.what)
        try:
            return bool(inspect(conn).has_table("report_runs"))
        finally:
            conn.close()

    def filing_chain(self, period: Period | str) -> list[FilingEntry]:
        """Every filing of ``period`` (all providers), by provider and then first filing first."""
        with self._tx() as conn:
            rows = conn.scalars(
                select(Filing).where(Filing.period == period_text(period)).order_by(Filing.provider, Filing.seq)
            ).all()
            return [record_of(FilingEntry, r, seq=int(r.seq), flow_run_id=None, filed_at=r.created_at) for r in rows]


def require_existing(raw_url: str) -> None:
    """Reading commands (``status``, ``evidence``) never create an audit database: a SQLite file that does not
    exist is a ConfigError (exit 2) naming it and the setting, and nothing is created."""
    try:
        url = make_url(raw_url)
    except Exception:  # the engine reports a malformed URL with its own message
        return
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise ConfigError(
            f"no audit database at {database}: give the one the runs wrote with --audit-db URL or CSA_AUDIT_DB "
            "(nothing was created)"
        )
