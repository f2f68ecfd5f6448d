"""The previous period's submitted report, for the year-on-year comparison of the key figures.

Read from the audit DB (which run of the previous period was submitted last) and the WORM archive (its
``report.json``, verified on read). Context for the reviewer, never evidence: any failure means "no comparison".
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from csa_report.audit import AuditLog
from csa_report.errors import CsaReportError
from csa_report.period import Period
from csa_report.storage.objects import S3Store

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
    values: dict[Key, str] = {}
    for row in doc.get("rows", []):
        value = row.get("value")
        text = "" if value is None else (f"{value:.2f}" if row.get("unit") == "percent" else str(value))
        values[(row["service"], row["indicator"], row["category"], row["technology"], row["region"])] = text
    return last.report_id, values
