"""Issue 22 leftovers: no internal compliance wording reaches a published artefact, and PLAUS-2 without a
previous filed report is a visible result (not applicable) in the annex, not a silent pass.

The 2026 report is made the way the flow makes it: the demo's data (seed 2026, scale 3000), the example
policies, the checks run on them (no previous filed report is on record), and the context built from their
result (csa_report.pipeline.report_context)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from csa_report.checks import RULE_IDS, evaluate
from csa_report.extract import extract_indicators
from csa_report.period import Period
from csa_report.pipeline import report_context
from csa_report.policies.loader import load_policies
from csa_report.render import RenderResult, ReportContext, render_report
from csa_report.resources import example_policies_dir
from csa_report.seed import seed
from tests.render.render_fixture import read

PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 15)
#: The rule ids of the checks (policies.md §3). The broader pattern [A-Z]+-\d+ also matches words of the
#: policies that are not rule ids (the assessment "LIA-2024-07", "AES-256", "ECDSA P-256"), so the test names
#: the ids themselves.
RULE_ID = re.compile(r"\b(?:" + "|".join(re.escape(r) for r in RULE_IDS) + r")\b")
TEXT_ARTEFACTS = ("report.html", "report.md", "report.json", "report.csv", "manifest.json")


@dataclass(frozen=True)
class Published:
    context: ReportContext
    rendered: RenderResult


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    folder = tmp_path_factory.mktemp("published-2026")
    url = f"sqlite:///{folder / 'source.db'}"
    seed(url, PERIOD, scale=3000, seed=2026)
    policies = load_policies(example_policies_dir(), PERIOD)
    indicators = extract_indicators(url, PERIOD, AS_OF)
    result = evaluate(url, PERIOD, AS_OF, policies, indicators=indicators, previous=None)
    context = report_context(url, indicators, policies, result, date(2027, 1, 20), now=datetime(2027, 1, 20))
    return Published(context, render_report(context, folder / "out"))


def _notes() -> list[str]:
    """The sentences of the transfers' internal notes (transfers.md ``note``), whitespace as printed."""
    transfers = load_policies(example_policies_dir(), PERIOD).transfers
    notes = [" ".join(r.note.split()) for r in transfers.recipients if r.note]
    return [s for n in notes for s in re.split(r"(?<=[.;])\s+", n) if len(s) > 20]


def test_the_example_transfers_carry_internal_notes() -> None:
    sentences = _notes()
    # Example Partner Hotline (3 parts), Example Child Safety Foundation (3) and Stichting Example Meldpunt (2),
    # counted in transfers.md
    assert len(sentences) == 8
    assert "No data may be sent until new clauses are signed (XFER-2 blocks any report to it)." in sentences


def test_no_transfer_note_reaches_an_artefact(published: Published) -> None:
    for name in TEXT_ARTEFACTS:
        text = " ".join(read(published.rendered, name).replace("\\n", " ").split())
        for sentence in _notes():
            assert sentence not in text, (name, sentence)
        assert "PIPEDA" not in text and "DPF-certified" not in text, name


def test_no_rule_id_outside_the_annex(published: Published) -> None:
    html = read(published.rendered, "report.html")
    assert RULE_ID.search(html[html.index('<section id="annex"') :])  # the annex names the rules it lists
    before = html[: html.index('<section id="annex"')]
    assert RULE_ID.search(before) is None, RULE_ID.search(before)
    md = read(published.rendered, "report.md")
    md_before = md[: md.index("## Annex")].replace("\\_", "_")
    assert RULE_ID.search(md_before) is None, RULE_ID.search(md_before)
    for name in ("report.json", "report.csv"):
        found = RULE_ID.search(read(published.rendered, name))
        assert found is None, (name, found)


def test_plaus_2_is_listed_as_not_applicable_in_the_annex(published: Published) -> None:
    assert [(n.rule, n.text) for n in published.context.not_applicable] == [
        ("PLAUS-2", "not applicable: no previous filed report")
    ]
    reference = "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(i) and (ii) (volumes and cases, year on year)"
    html = read(published.rendered, "report.html")
    annex = html[html.index('<section id="annex"') : html.index('<h3 id="annex-waivers">')]
    assert f"<li>PLAUS-2 ({reference}): not applicable: no previous filed report</li>" in annex
    md = read(published.rendered, "report.md")
    md_annex = md[md.index("### A.1") : md.index("### A.2")]
    assert f"- PLAUS-2 ({reference}): not applicable: no previous filed report\n" in md_annex
    # not a finding: the findings of the annex and the summary counts of report.json do not name it
    assert "PLAUS-2" not in {f.rule for f in published.context.findings}
    assert "not applicable: no previous filed report" not in read(published.rendered, "report.json")


def test_the_summary_says_there_is_no_comparison(published: Published) -> None:
    html = read(published.rendered, "report.html")
    summary = html[html.index('id="summary"') : html.index('id="h-details"')]
    assert "No previous filed report is on record for the preceding period: no comparison is given." in summary
