"""The filed report a report is compared with: the previous period's last filing (the year-on-year
comparison of the key figures), or, for a correction, the filing it corrects.

Read from the audit DB (the filing chain of the period; runs for an audit DB older than it) and the WORM
archive (the ``report.json`` of that filing, verified on read). Context for the reviewer, never evidence: any
failure means "no comparison".
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import SQLAlchemyError

from csa_report.audit import AuditLog
from csa_report.errors import CsaReportError
from csa_report.period import Period
from csa_report.storage.objects import S3Store

if TYPE_CHECKING:
    from csa_report.settings import AuditSettings, S3Settings

log = logging.getLogger(__name__)

#: An indicator row's identity: (service, indicator, category, technology, region).
Key = tuple[str, str, str, str, str]


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the day before ``period`` starts (last year, for a year)."""
    if period.start.month == 1 and period.start.day == 1 and period.end.month == 12 and period.end.day == 31:
        return Period(date(period.start.year - 1, 1, 1), date(period.end.year - 1, 12, 31))
    length = period.end - period.start
    end = period.start - timedelta(days=1)
    return Period(end - length, end)


def previous_values(
    audit: AuditLog, store: S3Store, provider: str, period: Period
) -> tuple[str, dict[Key, str]] | None:
    """Report id and indicator values (as printed) of the last submitted report of the previous period, read from
    its archived ``report.json``; None when there is none. Never fails the run: this is context, not evidence."""
    try:
        runs = [
            r
            for r in audit.status(previous_period(period))
            if r.provider == provider and r.status == "submitted" and r.report_id
        ]
        if not runs:
            return None
        last = max(runs, key=lambda r: r.updated_at)
        assert last.report_id is not None
        archived = {o.name: o for o in audit.stored_objects(last.report_id, "archive")}
        if "report.json" not in archived:
            return None
        doc = json.loads(store.read_verified(archived["report.json"]))
    except (CsaReportError, OSError, ValueError, KeyError) as exc:
        log.warning("previous report not available for comparison: %s", exc)
        return None
    return last.report_id, row_values(doc)


def row_values(doc: dict[str, Any]) -> dict[Key, str]:
    """A report.json's whole-period rows: value as printed (rates with two decimals, N/A as "") by row."""
    values: dict[Key, str] = {}
    for row in doc.get("rows", []):
        value = row.get("value")
        text = "" if value is None else (f"{value:.2f}" if row.get("unit") == "percent" else str(value))
        values[(row["service"], row["indicator"], row["category"], row["technology"], row["region"])] = text
    return values


def _archived_values(audit: AuditLog, store: S3Store, report_id: str) -> dict[Key, str] | None:
    archived = {o.name: o for o in audit.stored_objects(report_id, "archive")}
    if "report.json" not in archived:
        return None
    return row_values(json.loads(store.read_verified(archived["report.json"])))


def filed_values(
    audit: AuditLog, store: S3Store, provider: str, period: Period, supersedes: str | None = None
) -> tuple[str, Period, dict[Key, str]] | None:
    """(report id, its period, its report.json values) of the filed report ``provider``'s report of ``period``
    is compared with: the report ``supersedes`` (a correction compares with the filing it corrects), else the
    latest filing of the previous period (its last correction, if any). None when there is none on record or
    its archived copy cannot be read. Never fails the run: this is context, not evidence."""
    try:
        if supersedes:
            values = _archived_values(audit, store, supersedes)
            return None if values is None else (supersedes, period, values)
        before = previous_period(period)
        chain = [f for f in audit.filing_chain(before) if f.provider == provider and f.status == "submitted"]
        if chain:
            latest = max(chain, key=lambda f: f.seq)
            values = _archived_values(audit, store, latest.report_id)
            return None if values is None else (latest.report_id, before, values)
    except (CsaReportError, OSError, ValueError, KeyError, SQLAlchemyError, BotoCoreError, ClientError) as exc:
        log.warning("filed report not available for comparison: %s", exc)
        return None
    # An audit DB written before filings were recorded knows only runs.
    found = previous_values(audit, store, provider, period)
    return None if found is None else (found[0], previous_period(period), found[1])


def compared_filing(
    audit: AuditSettings, s3: S3Settings, provider: str, period: Period, supersedes: str | None = None
) -> tuple[str, Period, dict[Key, str]] | None:
    """:func:`filed_values` from the settings parts: None, creating nothing, when the audit database does not
    exist (a report rendered before anything was filed) or the archive is not reachable."""
    from csa_report.audit.evidence import require_existing

    try:
        require_existing(audit.audit_db)
        log_ = AuditLog.open(audit.audit_db, migrate=False)
        if not log_.has_audit_tables():
            return None
        store = S3Store.from_settings(s3)
    except (CsaReportError, OSError, ValueError) as exc:
        log.info("no filed report to compare with: %s", exc)
        return None
    return filed_values(log_, store, provider, period, supersedes)
