"""What the operator and the reviewer see in the Prefect UI: the key figures (with the change against the
previous submitted report when the audit DB knows one), the staged files, and the delivery receipts.

Artifacts are created inside tasks, which the flow persists: a resumed or retried run does not add versions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from csa_report.audit import AuditLog
from csa_report.errors import CsaReportError
from csa_report.indicators import ALL, Indicators
from csa_report.period import Period
from csa_report.settings import load_settings
from csa_report.storage import S3Store
from csa_report.submission import SubmissionResult
from csa_report.summary import KEY_FIGURES, key_figure, key_row
from tasks.stage import StagedReport

log = logging.getLogger(__name__)

Key = tuple[str, str, str, str, str]


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the day before ``period`` starts (last year, for a year)."""
    if period.start.month == 1 and period.start.day == 1 and period.end.month == 12 and period.end.day == 31:
        return Period(date(period.start.year - 1, 1, 1), date(period.end.year - 1, 12, 31))
    from datetime import timedelta

    length = period.end - period.start
    end = period.start - timedelta(days=1)
    return Period(end - length, end)


def previous_values(provider: str, period: Period) -> tuple[str, dict[Key, str]] | None:
    """Report id and indicator values (as printed) of the last submitted report of the previous period, read from
    its archived ``report.json``; None when there is none. Never fails the run: this is context, not evidence."""
    try:
        settings = load_settings()
        audit = AuditLog.open(settings.audit_db)
        runs = [r for r in audit.status(previous_period(period)) if r.provider == provider
                and r.status == "submitted" and r.report_id]
        if not runs:
            return None
        last = max(runs, key=lambda r: r.updated_at)
        assert last.report_id is not None
        archived = {o.name: o for o in audit.stored_objects(last.report_id, "archive")}
        if "report.json" not in archived:
            return None
        doc = json.loads(S3Store.from_settings(settings).read_verified(archived["report.json"]))
    except (CsaReportError, OSError, ValueError, KeyError) as exc:
        log.warning("previous report not available for comparison: %s", exc)
        return None
    values: dict[Key, str] = {}
    for row in doc.get("rows", []):
        value = row.get("value")
        text = "" if value is None else (f"{value:.2f}" if row.get("unit") == "percent" else str(value))
        values[(row["service"], row["indicator"], row["category"], row["technology"], row["region"])] = text
    return last.report_id, values


def key_figures_rows(ind: Indicators, previous: tuple[str, dict[Key, str]] | None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for label, indicator, selectors in KEY_FIGURES:
        entry = {"figure": label}
        for s in (*ind.services, ALL):
            entry[s] = key_figure(ind, indicator, s, selectors)
        if previous is not None:
            r = key_row(ind, indicator, ALL, selectors)
            entry[f"{ALL}, previous report"] = previous[1].get(
                (ALL, r.indicator, r.category, r.technology, r.region), "–")
        rows.append(entry)
    return rows


@task(name="review-artifacts")
def review_artifacts(staged: StagedReport, indicators: Indicators, links: dict[str, str]) -> None:
    """Key figures (table) and the staged files with time-limited links (markdown), for operator and reviewer."""
    previous = previous_values(staged.provider, indicators.period)
    desc = f"Key figures of report {staged.report_id} ({staged.period})"
    if previous is not None:
        desc += f", with the previous submitted report {previous[0]}"
    create_table_artifact(key="key-figures", table=key_figures_rows(indicators, previous), description=desc)
    lines = [f"# Report {staged.report_id} staged for sign-off", "",
             f"Manifest SHA-256: `{staged.manifest_sha256}`", "",
             "| file | SHA-256 | version | link |", "|---|---|---|---|"]
    for obj in staged.objects:
        link = f"[open]({links[obj.name]})" if obj.name in links else "–"
        lines.append(f"| {obj.name} | `{obj.sha256_hex[:16]}…` | `{obj.version_id or '–'}` | {link} |")
    create_markdown_artifact(key="staged-report", markdown="\n".join(lines) + "\n",
                             description="Staged artefacts (links are time-limited)")


@task(name="delivery-receipts")
def delivery_receipts(staged: StagedReport, submission: SubmissionResult,
                      recipients: Sequence[tuple[str, str]]) -> None:
    settings = load_settings()
    by_address = {d.recipient: d for d in AuditLog.open(settings.audit_db).deliveries(staged.report_id)}
    table = []
    for role, address in recipients:
        d = by_address.get(address)
        table.append({"recipient": address, "role": role, "status": d.status if d else "–",
                      "channel": d.channel if d else "–", "message_id": (d.message_id or "–") if d else "–",
                      "attempts": str(d.attempts) if d else "0"})
    create_table_artifact(key="delivery-receipts", table=table,
                          description=f"Deliveries of report {staged.report_id}; archived "
                          f"{len(submission.archived)} objects under Object Lock")
    if submission.publication is not None:
        create_markdown_artifact(key="publication", markdown=f"Published: <{submission.publication.url}>\n",
                                 description=f"Public copy of report {staged.report_id}")
