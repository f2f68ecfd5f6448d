"""The check findings of a run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert

from csa_report.audit.models import Finding
from csa_report.audit.records import FindingRecord
from csa_report.audit.store import AuditStore

log = logging.getLogger(__name__)


class Findings(AuditStore):
    def record_findings(self, run_id: int, findings: Sequence[FindingRecord]) -> None:
        """The run's findings (replacing any recorded before, so re-recording is idempotent)."""
        with self._tx() as conn:
            conn.execute(delete(Finding).where(Finding.run_id == run_id))
            for f in findings:
                conn.execute(_insert_finding(run_id, f))
        log.info("audit run %d: %d findings recorded", run_id, len(findings))

    def add_finding(self, run_id: int, finding: FindingRecord) -> None:
        with self._tx() as conn:
            conn.execute(_insert_finding(run_id, finding))
        log.info("audit run %d: finding %s (%s) added", run_id, finding.rule, finding.severity)


def _insert_finding(run_id: int, f: FindingRecord) -> Any:
    return insert(Finding).values(
        run_id=run_id, rule=f.rule, severity=f.severity, count=f.count, message=f.message, waived_by=f.waived_by
    )


def finding_record(f: Finding) -> FindingRecord:
    return FindingRecord(f.rule, f.severity, f.message, f.count, f.waived_by)
