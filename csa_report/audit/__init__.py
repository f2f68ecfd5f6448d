"""The audit database: models, migrations (csa_report/migrations/audit) and the AuditLog the flow writes."""

from __future__ import annotations

from csa_report.audit.log import (
    AuditLog,
    Decision,
    DeliverySummary,
    FindingRecord,
    Location,
    RunSummary,
    SignoffRecord,
)

__all__ = ["AuditLog", "Decision", "DeliverySummary", "FindingRecord", "Location", "RunSummary", "SignoffRecord"]
