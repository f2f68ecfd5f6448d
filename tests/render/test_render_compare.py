"""The summary's comparison with a filed report: the previous period's last filing, or, for a correction, the
filing it corrects. The filed figures come from a hand-made report.json (values chosen so that exactly three
key figures differ from the render fixture's: 1,026 reports, 342 suspended accounts, 2.00 % error rate), read
through the audit trail and a real S3 archive (SeaweedFS), then printed literally on the summary page."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from csa_report.audit import AuditLog
from csa_report.filing.guard import Correction, claim_filing, mark_filed
from csa_report.local.seaweed import S3Endpoint
from csa_report.period import Period
from csa_report.pipeline import compared_report
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context, render_report
from csa_report.render.summary import PreviousReport
from csa_report.settings import Settings
from csa_report.storage import S3Store
from csa_report.storage.previous import row_values
from tests.render.render_fixture import (
    PUBLICATION,
    load_fixture_policies,
    make_context,
    make_findings,
    make_indicators,
    make_series,
)
from tests.support.storage import ARCHIVE

PROVIDER = "Example Communications Ireland Ltd"
NOW = datetime(2026, 1, 20, 9, 30)
SCHEMA = Path(__file__).parents[2] / "csa_report" / "schemas" / "indicators.schema.json"


def _row(indicator: str, category: str, region: str, value: object, unit: str = "count") -> dict[str, Any]:
    return {
        "service": "ALL",
        "indicator": indicator,
        "category": category,
        "technology": "-",
        "region": region,
        "value": value,
        "unit": unit,
    }


#: The filed report.json, by hand: known-CSAM reports 1,000 (now 1,026), new CSAM 109 (unchanged), accounts
#: suspended for known CSAM 300 (now 342), known-CSAM error rate 1.5 % (now 2.00 %).
FILED: dict[str, Any] = {
    "rows": [
        _row("reports", "known_csam", "eu", 1000),
        _row("reports", "new_csam", "eu", 109),
        _row("accounts_suspended", "known_csam", "eu", 300),
        _row("error_rate", "known_csam", "all", 1.5, "percent"),
    ]
}
CHANGES = (
    "Reports sent concerning EU users — known CSAM: 1,000 → 1,026",
    "EU user accounts suspended — known CSAM: 300 → 342",
    "Error rate — known CSAM (content items, all regions): 1.50 % → 2.00 %",
)


def _context(**kw: Any) -> ReportContext:
    return build_context(
        make_indicators(),
        load_fixture_policies(),
        findings=make_findings(),
        regimes=regimes(),
        series=make_series(),
        publication_date=PUBLICATION,
        tool_version="0.1.0",
        **kw,
    )


def _previous(corrected: bool = False) -> PreviousReport:
    return PreviousReport("r-2024", "2024-01-01/2024-12-31", row_values(FILED), corrected=corrected)


def test_changed_figures_are_printed_against_the_previous_period(tmp_path: Path) -> None:
    ctx = _context(previous=_previous())
    assert ctx.summary is not None
    assert ctx.summary.changes == CHANGES
    assert ctx.summary.comparison == (
        "Compared with the previous filed report r-2024 (period 2024-01-01/2024-12-31), all services together: "
        "3 key figures changed."
    )
    by_label = {f.label: f for f in ctx.summary.figures}
    suspended = by_label["EU user accounts suspended — known CSAM"]
    assert (suspended.previous, suspended.change) == ("300", "+42")
    assert by_label["Error rate — known CSAM (content items, all regions)"].change == "+0.50 percentage points"
    result = render_report(ctx, tmp_path)
    html = Path(result.paths["report.html"]).read_text(encoding="utf-8")
    md = Path(result.paths["report.md"]).read_text(encoding="utf-8")
    for line in CHANGES:
        assert f"<li>{line}</li>" in html
        assert f"- {line}\n" in md
    assert "Previous report (2024-01-01/2024-12-31)" in html


def test_without_a_filed_report_the_summary_says_so_once() -> None:
    summary = make_context().summary
    assert summary is not None and summary.changes == ()
    assert summary.comparison == (
        "No previous filed report is on record for the preceding period: no comparison is given."
    )


def _settings(seaweed: S3Endpoint, tmp_path: Path, tag: str) -> Settings:
    return Settings(
        **seaweed.settings_overrides(),
        archive_bucket=ARCHIVE,
        archive_prefix=f"compare-{tag}",
        audit_db=f"sqlite:///{tmp_path / 'audit.db'}",
    )


def _file(audit: AuditLog, store: S3Store, settings: Settings, period: str, report_id: str, doc: bytes) -> None:
    key = f"{settings.archive_prefix}/{report_id}/report.json"
    obj = store.put_create_only(ARCHIVE, key, doc, "application/json")
    audit.record_objects(report_id, "archive", [obj], NOW)
    claim_filing(
        audit,
        provider=PROVIDER,
        period=period,
        report_id=report_id,
        manifest_sha256="0" * 64,
        correction=None,
        run_id=None,
        at=NOW,
    )
    mark_filed(audit, PROVIDER, period, report_id, NOW)


@pytest.mark.slow
def test_the_previous_filing_is_read_from_the_audit_trail_and_the_archive(seaweed: S3Endpoint, tmp_path: Path) -> None:
    settings = _settings(seaweed, tmp_path, tmp_path.name[-12:])
    period = Period.parse("2025")
    # No audit database yet: no comparison, and nothing is created.
    assert compared_report(settings.audit, settings.s3, PROVIDER, period) is None
    assert not (tmp_path / "audit.db").exists()

    audit = AuditLog.open(settings.audit.audit_db)
    store = S3Store.from_settings(settings.s3)
    _file(audit, store, settings, "2024-01-01/2024-12-31", "r-2024", json.dumps(FILED).encode())
    found = compared_report(settings.audit, settings.s3, PROVIDER, period)
    assert found == _previous()
    # Another provider's filing is not this provider's previous report.
    assert compared_report(settings.audit, settings.s3, "Other Ltd", period) is None

    # A correction of the 2025 filing compares with that filing, not with 2024.
    filed_2025 = {"rows": [_row("reports", "known_csam", "eu", 1020)]}
    _file(audit, store, settings, str(period), "r-2025", json.dumps(filed_2025).encode())
    corrected = compared_report(settings.audit, settings.s3, PROVIDER, period, Correction("r-2025", "wrong"))
    assert corrected == PreviousReport(
        "r-2025", str(period), {("ALL", "reports", "known_csam", "-", "eu"): "1020"}, corrected=True
    )


def test_a_correction_says_once_what_it_corrects_and_why_and_carries_it_in_report_json(tmp_path: Path) -> None:
    ctx = _context(
        supersedes="r-2024",
        reason="section 4 counted  each report twice",
        previous=_previous(corrected=True),
    )
    sentence = "Correction of report r-2024 because section 4 counted each report twice."
    assert ctx.provenance.correction == sentence
    assert ctx.summary is not None and ctx.summary.correction == sentence
    assert ctx.summary.comparison == (
        "Compared with the filing it corrects, report r-2024, all services together: 3 key figures changed."
    )
    result = render_report(ctx, tmp_path)
    html = Path(result.paths["report.html"]).read_text(encoding="utf-8")
    md = Path(result.paths["report.md"]).read_text(encoding="utf-8")
    assert f'<p class="notice correction" role="note"><strong>{sentence}</strong></p>' in html
    assert f'<p class="notice correction" role="note">{sentence}</p>' in html
    assert "Corrected version" not in html and "corrected version" not in md
    assert html.count("Correction of report r-2024") == 3  # header, summary, annex: once each
    assert f"**{sentence}**" in md
    for line in CHANGES:
        assert f"<li>{line}</li>" in html
    assert "Corrected report r-2024" in html
    doc = json.loads(Path(result.paths["report.json"]).read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert (doc["report"]["supersedes"], doc["report"]["reason"]) == (
        "r-2024",
        "section 4 counted each report twice",
    )
    manifest = json.loads(Path(result.paths["manifest.json"]).read_text(encoding="utf-8"))
    assert manifest["correction"] == sentence


def test_report_json_of_a_correction_without_its_reason_is_refused_by_the_schema() -> None:
    doc = {"schema": "csa-report/indicators/2", "period": "2025-01-01/2025-12-31", "as_of": "2026-01-08T00:00:00Z"}
    doc |= {"services": [], "rows": [], "report": {"supersedes": "r-2024"}}
    with pytest.raises(jsonschema.ValidationError, match="reason"):
        jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
