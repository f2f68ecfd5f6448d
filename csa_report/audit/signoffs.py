"""Sign-off decisions: recorded as given (approvals refused by the rules too, with the reason), and the valid
approval of a report version found with one indexed query."""

from __future__ import annotations

import logging

from sqlalchemy import ColumnElement, insert, or_, select

from csa_report.audit.models import ReportRun, Signoff
from csa_report.audit.records import Decision, SignoffRecord
from csa_report.audit.store import AuditStore, record_of

log = logging.getLogger(__name__)


class Signoffs(AuditStore):
    def record_signoff(self, record: SignoffRecord) -> int:
        with self._tx() as conn:
            signoff_id = int(
                conn.execute(
                    insert(Signoff)
                    .values(
                        run_id=record.run_id,
                        report_id=record.report_id,
                        decision=record.decision,
                        reviewer=record.reviewer,
                        manifest_sha256=record.manifest_sha256,
                        comment=record.comment,
                        automatic=record.automatic,
                        decided_at=record.decided_at,
                        refused_reason=record.refused_reason,
                        signature=record.signature,
                        key_fingerprint=record.key_fingerprint,
                    )
                    .returning(Signoff.id)
                ).scalar_one()
            )
        log.info(
            "audit sign-off %d: report=%s decision=%s automatic=%s refused=%s",
            signoff_id,
            record.report_id,
            record.decision,
            record.automatic,
            bool(record.refused_reason),
        )
        return signoff_id

    def approval_for(
        self, report_id: str, sha256: str, *, flow_run_id: str | None = None, run_id: int | None = None
    ) -> SignoffRecord | None:
        """The first valid approval (not refused by the rules) of exactly this report version, or None. With
        ``flow_run_id`` or ``run_id``: only one given in a run of that Prefect flow run or in that audit run (an
        approval belongs to the run that asked for it; see csa_report/filing/guard.py)."""
        query = select(Signoff).where(
            Signoff.report_id == report_id,  # ix_signoffs_report_id
            Signoff.manifest_sha256 == sha256,
            Signoff.decision == "approve",
            or_(Signoff.refused_reason.is_(None), Signoff.refused_reason == ""),
        )
        scope: list[ColumnElement[bool]] = []
        if flow_run_id is not None:
            scope.append(Signoff.run_id.in_(select(ReportRun.id).where(ReportRun.flow_run_id == flow_run_id)))
        if run_id is not None:
            scope.append(Signoff.run_id == run_id)
        if scope:
            query = query.where(or_(*scope))
        with self._tx() as conn:
            row = conn.scalars(query.order_by(Signoff.decided_at, Signoff.id).limit(1)).first()
        return None if row is None else signoff_record(row)


def signoff_record(s: Signoff) -> SignoffRecord:
    return record_of(SignoffRecord, s, decision=_decision(s.decision), automatic=bool(s.automatic))


def _decision(value: str) -> Decision:
    return "approve" if value == "approve" else "reject"
