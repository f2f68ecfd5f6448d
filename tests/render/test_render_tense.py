"""Issue 14 item 4: a report quotes a policy only in the tense its dates allow (docs/definitions.md, reading
29). A 2026 period quotes provider.md v2026.2, in force from 2026-07-31: the sections quoting it say so once,
naming the version of the history that applied before; a 2025 report, whose documents were all in force on
1 January, carries no such note."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.policies.loader import load_policies
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context
from csa_report.render.env import make_environment, render_template
from csa_report.render.report import template_data
from tests.render.render_fixture import SERVICES, make_indicators, make_series

EXAMPLE = Path(__file__).parents[2] / "policies" / "example"
NOTE = (
    "Stated in provider.md, in force from 2026-07-31 (the period began 2026-01-01); before that date "
    "provider.md version 2025.1 applied."
)


def _context(year: str) -> ReportContext:
    period = Period.parse(year)
    fixture = make_indicators()  # hand-built rows; only the period differs
    indicators = Indicators.build(period, datetime(int(year) + 1, 1, 20), SERVICES, fixture.rows)
    return build_context(
        indicators,
        load_policies(EXAMPLE, period),
        regimes=regimes(),
        series=make_series(),
        publication_date=date(int(year) + 1, 1, 25),
        tool_version="0.1.0",
    )


def _render(context: ReportContext) -> tuple[str, str]:
    env = make_environment()
    data = template_data(context)
    return render_template(env, "report.html.j2", data), render_template(env, "report.md.j2", data)


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


@pytest.fixture(scope="module")
def rendered_2026() -> tuple[ReportContext, str, str]:
    context = _context("2026")
    return (context, *_render(context))


def test_2026_section1_states_the_tense_once_in_html_and_markdown(
    rendered_2026: tuple[ReportContext, str, str],
) -> None:
    context, html, md = rendered_2026
    section1 = next(s for s in context.sections if s.number == 1)
    assert section1.tense == (NOTE,)
    # Section 1 quotes provider.md (types of metadata, the reading of "processed"): the note once, before
    # the fields it qualifies.
    h1 = _section(html, '<section id="section-1"', '<section id="section-2"')
    assert h1.count(NOTE) == 1
    assert f'<p class="note tense">{NOTE}</p>' in h1
    assert h1.index(NOTE) < h1.index('id="f-1.1.types"')
    m1 = _section(md, "## 1) ", "## 2) ")
    assert m1.count(NOTE) == 1
    assert f"\n\n{NOTE}\n\n" in m1
    assert m1.index(NOTE) < m1.index("| Types of metadata processed |")


def test_2026_only_sections_quoting_provider_md_carry_the_note(rendered_2026: tuple[ReportContext, str, str]) -> None:
    context, html, md = rendered_2026
    # retention.md 2026.2 also took effect on 2026-07-31 (section 8 quotes it, and states each version for its
    # days); every other example document took effect on 2025-01-01, before the period: no note names them.
    retention = NOTE.replace("provider.md", "retention.md")
    assert all(note in (NOTE, retention) for s in context.sections for note in s.tense)
    with_note = [s.number for s in context.sections if NOTE in s.tense]
    assert 1 in with_note and 2 not in with_note and 8 not in with_note
    assert [s.number for s in context.sections if retention in s.tense] == [8]
    assert html.count(NOTE) == md.count(NOTE) == len(with_note)


def test_2026_note_without_history_says_no_version_applied(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for doc in EXAMPLE.glob("*.md"):
        (folder / doc.name).write_bytes(doc.read_bytes())
    context = build_context(
        Indicators.build(Period.parse("2026"), datetime(2027, 1, 20), SERVICES, make_indicators().rows),
        load_policies(folder, Period.parse("2026")),
        regimes=regimes(),
        series=make_series(),
        publication_date=date(2027, 1, 25),
        tool_version="0.1.0",
    )
    section1 = next(s for s in context.sections if s.number == 1)
    assert section1.tense == (
        "Stated in provider.md, in force from 2026-07-31 (the period began 2026-01-01); "
        "no version of this document was in force before that date.",
    )


def test_2025_report_carries_no_tense_note() -> None:
    context = _context("2025")
    assert all(not s.tense for s in context.sections)
    html, md = _render(context)
    assert "Stated in " not in html and "Stated in " not in md
    assert not re.search(r'class="note tense"', html)
