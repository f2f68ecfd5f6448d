"""WCAG 2.1 AA: axe-core finds no violation in the HTML report (the demo's 2025 data, a 2026 report across two
regimes, and the render fixture as a correction with a comparison), run in headless Chromium.

axe-core comes from npm into a cache outside the repository (.ci/run installs it):
``npm install --prefix .venv/axe axe-core@4`` (or set CSA_TEST_AXE to an axe.min.js). A test plants one
violation (an image without a text alternative) to prove that a violation fails the check."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from csa_report.invisible import visible
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context
from csa_report.render.env import make_environment, render_template
from csa_report.render.report import template_data
from csa_report.render.summary import PreviousReport
from tests.render.render_fixture import (
    PUBLICATION,
    load_fixture_policies,
    make_findings,
    make_indicators,
    make_series,
)
from tests.render.test_render_layout import seeded_context
from tests.support.services import service_missing

REPO = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("CSA_TEST_AXE", REPO / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM = os.environ.get("CSA_TEST_CHROMIUM", "/usr/bin/chromium")
#: The rule sets of WCAG 2.0 and 2.1, levels A and AA.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def _html(context: ReportContext) -> str:
    """report.html exactly as render_report writes it (no PDF layout: axe reads the HTML)."""
    return visible(render_template(make_environment(None), "report.html.j2", template_data(context)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not AXE.is_file():
        service_missing(f"axe-core at {AXE} (npm install --prefix .venv/axe axe-core@4)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        service_missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def violations(browser: Any, html: str) -> list[tuple[str, str, list[str]]]:
    """(rule id, impact, the first selectors) of every WCAG 2.1 A/AA violation axe-core finds in ``html``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(html, wait_until="load")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(RUN_AXE, TAGS)
    finally:
        page.close()
    return [(v["id"], v["impact"], [str(n["target"]) for n in v["nodes"][:3]]) for v in result["violations"]]


def _correction() -> ReportContext:
    values = {("ALL", "reports", "known_csam", "-", "eu"): "1000"}
    return build_context(
        make_indicators(),
        load_fixture_policies(),
        findings=make_findings(),
        regimes=regimes(),
        series=make_series(),
        publication_date=PUBLICATION,
        tool_version="0.1.0",
        supersedes="r-2025",
        reason="section 4 counted each report twice",
        previous=PreviousReport("r-2025", "2025-01-01/2025-12-31", values, corrected=True),
    )


def test_a_correction_with_its_comparison_has_no_violation(browser: Any) -> None:
    assert violations(browser, _html(_correction())) == []


def test_a_planted_violation_is_found(browser: Any) -> None:
    html = _html(_correction()).replace("</main>", '<img src="chart.png"></main>', 1)
    assert '<img src="chart.png">' in html
    assert [v[0] for v in violations(browser, html)] == ["image-alt"]


@pytest.mark.slow
@pytest.mark.parametrize(("year", "as_of"), [("2025", datetime(2026, 1, 15)), ("2026", datetime(2027, 1, 15))])
def test_the_demo_reports_have_no_violation(browser: Any, tmp_path: Path, year: str, as_of: datetime) -> None:
    assert violations(browser, _html(seeded_context(tmp_path, year, as_of))) == []
