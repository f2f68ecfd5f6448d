"""The audit trail the flow writes and ``csa-report status`` reads: ``AuditLog``, one facade over its parts.

runs.py (report runs), findings.py (check findings), signoffs.py (sign-off decisions, the approval of a report
version), deliveries.py (claimed-before-sent deliveries), messages.py (each delivery's message as first
composed), notifications.py (the sign-off request e-mails, claimed the same way), filings.py (one filing per
period), objects.py (stored objects) and status.py (runs with everything recorded about them). Timestamps are
passed in; nothing here reads a clock.
"""

from __future__ import annotations

from csa_report.audit.deliveries import Deliveries
from csa_report.audit.evidence import Evidence, FilingEntry
from csa_report.audit.filings import Filings
from csa_report.audit.findings import Findings
from csa_report.audit.messages import Messages
from csa_report.audit.notifications import Notifications
from csa_report.audit.objects import Objects
from csa_report.audit.records import (
    Claim,
    ClaimOutcome,
    Decision,
    DeliveryEventRecord,
    DeliverySummary,
    FilingRecord,
    FindingRecord,
    Location,
    NotificationRecord,
    RunSummary,
    SentMessage,
    SignoffRecord,
)
from csa_report.audit.runs import Runs
from csa_report.audit.signoffs import Signoffs
from csa_report.audit.status import Status
from csa_report.db import describe, make_engine, normalise_url


class AuditLog(Runs, Findings, Signoffs, Deliveries, Messages, Notifications, Filings, Objects, Status, Evidence):
    """All writes and reads of the audit database."""

    @classmethod
    def open(cls, raw_url: str, *, migrate: bool = True) -> AuditLog:
        """The audit log at ``raw_url``, migrated to the latest schema unless ``migrate`` is False."""
        if migrate:
            from csa_report.migrate import upgrade

            upgrade(raw_url, "audit")
        return cls(make_engine(raw_url), f"audit database {describe(normalise_url(raw_url))}")


__all__ = [
    "AuditLog",
    "Claim",
    "ClaimOutcome",
    "Decision",
    "DeliveryEventRecord",
    "DeliverySummary",
    "FilingEntry",
    "FilingRecord",
    "FindingRecord",
    "Location",
    "NotificationRecord",
    "RunSummary",
    "SentMessage",
    "SignoffRecord",
]
