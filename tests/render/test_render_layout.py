"""Issue 23 items 1-4: a summary first, tables, words a reader knows, and page counts a reader can manage.

The page counts are measured with pdfinfo (poppler-utils) on the demo's 2025 data (seed 2025, scale 3000,
example policies) and on a 2026 report seeded the same way."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from csa_report.extract import extract_indicators
from csa_report.period import Period
from csa_report.policies.loader import load_policies
from csa_report.reference import regimes
from csa_report.render import RenderResult, ReportContext, build_context, render_report
from csa_report.render.scanning import encryption_dates, scanning_days_from_url
from csa_report.render.series import monthly_series_from_url
from csa_report.render.summary import report_summary, summary_text
from csa_report.resources import example_policies_dir
from csa_report.seed import seed
from csa_report.tasks.context import segment_indicators
from tests.render.render_fixture import make_context, read

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CSA_UPDATE_GOLDEN") == "1"
RAW_IDS = ("csai_match", "photodna", "new_csam_classifier", "grooming_classifier", "user_report")
RULE_ID = re.compile(r"\b(?:SCOPE|TECH|RET|XFER|NOTICE|POLICY|DEADLINE)-\d\b")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _before_annex(html: str) -> str:
    return html[: html.index('<section id="annex"')]


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, f"{name} differs (CSA_UPDATE_GOLDEN=1 regenerates)"


def test_summary_is_first_and_matches_its_golden(rendered: RenderResult) -> None:
    html = read(rendered, "report.html")
    assert html.index('id="summary"') < html.index('id="section-1"')
    summary = report_summary(make_context())
    text = summary_text(summary)
    assert "Article 3(1)(g)(vii) of Regulation (EU) 2021/1232" in text
    assert "Contact point: Niamh Walsh, Head of Trust and Safety <csa-transparency@example.com>" in text
    _golden("summary-2025.txt", text)


def test_every_summary_figure_is_printed_in_its_section(rendered: RenderResult) -> None:
    html = read(rendered, "report.html")
    for f in report_summary(make_context()).figures:
        start = html.index(f'<section id="section-{f.section}"')
        assert f.text in html[start : html.index("</section>", start)], f.label


def test_no_raw_identifier_or_rule_id_outside_the_annex(rendered: RenderResult) -> None:
    body = _text(_before_annex(read(rendered, "report.html")))
    for raw in RAW_IDS:
        assert raw not in body, raw
    assert not RULE_ID.search(body), RULE_ID.search(body)
    md = read(rendered, "report.md")
    md_body = md[: md.index("## Annex")].replace("\\_", "_")
    for raw in RAW_IDS:
        assert raw not in md_body, raw
    assert not RULE_ID.search(md_body)


def test_each_section_6_figure_states_its_region_and_unit(rendered: RenderResult) -> None:
    html = read(rendered, "report.html")
    labels = re.findall(r'<tr id="f-6\.(known_csam|new_csam|solicitation)\.[^"]*"><th scope="row">([^<]*)', html)
    assert len(labels) >= 15
    for category, label in labels:
        unit = "EU user accounts" if category == "solicitation" else "content items, all regions"
        assert label.endswith(unit), label


def test_no_second_all_regions_row(rendered: RenderResult) -> None:
    assert "for information, not a form field" not in read(rendered, "report.html")
    assert "for information, not a form field" not in read(rendered, "report.md")


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def seeded_context(folder: Path, year: str, as_of: datetime) -> ReportContext:
    """The report of ``year`` on the demo's data (seed = the year, scale 3000, example policies)."""
    url = f"sqlite:///{folder / 'source.db'}"
    period = Period.parse(year)
    seed(url, period, scale=3000, seed=int(year))
    whole = extract_indicators(url, period, as_of)
    policies = load_policies(example_policies_dir(), period)
    context = build_context(
        whole,
        policies,
        regimes=regimes(),
        series=monthly_series_from_url(url, period, as_of),
        publication_date=date(as_of.year, 1, 20),
        tool_version="0.1.0",
        segments=segment_indicators(url, whole),
        scanning=scanning_days_from_url(url, period, encryption_dates(policies)),
    )
    return context


def _seeded_report(folder: Path, year: str, as_of: datetime) -> RenderResult:
    context = seeded_context(folder, year, as_of)
    if year == "2026":
        _golden("summary-2026.txt", summary_text(report_summary(context)))
    return render_report(context, folder / "out")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdfinfo") is None and os.environ.get("CI") != "true", reason="needs poppler-utils")
@pytest.mark.parametrize(
    ("year", "as_of", "limit"), [("2025", datetime(2026, 1, 15), 14), ("2026", datetime(2027, 1, 15), 24)]
)
def test_page_count(tmp_path: Path, year: str, as_of: datetime, limit: int) -> None:
    rendered = _seeded_report(tmp_path, year, as_of)
    assert _pages(rendered.paths["report.pdf"]) <= limit
