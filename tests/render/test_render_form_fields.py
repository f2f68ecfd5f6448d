"""Every field of the standard form (form_fields.py, from the form's Annex) is in the report; no value is blank;
every N/A carries a reason; no section is dropped."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace

import pytest

from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.reference import regimes
from csa_report.render import RenderResult, build_context
from csa_report.render.env import make_environment, render_template
from csa_report.render.report import template_data
from tests.render.form_fields import GROUPS, HEADER, SECTIONS
from tests.render.render_fixture import load_fixture_policies, make_indicators, make_series, read


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).lower()


def _section(html: str, n: int) -> str:
    start = html.index(f'<section id="section-{n}"')
    return html[start : html.index("</section>", start)]


def test_header_fields(rendered: RenderResult) -> None:
    html = read(rendered, "report.html")
    header = _text(html[html.index("<header>") : html.index("</header>")])
    for phrase in HEADER:
        assert phrase.lower() in header, phrase


@pytest.mark.parametrize("n", sorted(SECTIONS))
def test_section_fields(rendered: RenderResult, n: int) -> None:
    html = read(rendered, "report.html")
    section = _text(_section(html, n))
    for phrase in SECTIONS[n]:
        assert phrase.lower() in section, (n, phrase)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_fields(rendered: RenderResult, group: str) -> None:
    html = read(rendered, "report.html")
    start = html.index(f'id="g-{group}"')
    table = _text(html[start : html.index("</table>", start)])
    for phrase in GROUPS[group]:
        assert phrase.lower() in table, (group, phrase)


def test_markdown_has_every_field_too(rendered: RenderResult) -> None:
    md = re.sub(r"\s+", " ", read(rendered, "report.md").replace("\\", "")).lower()
    for phrase in (*HEADER, *(p for ps in SECTIONS.values() for p in ps), *(p for ps in GROUPS.values() for p in ps)):
        assert phrase.lower() in md, phrase
    for n in range(1, 10):
        assert f"\n## {n}) " in read(rendered, "report.md")


def test_no_blank_value_and_every_na_has_a_reason(rendered: RenderResult) -> None:
    html = read(rendered, "report.html")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
    assert cells
    for cell in cells:
        text = _text(cell).strip()
        assert text, "blank cell"
        if text.startswith("n/a"):
            assert re.match(r"n/a — \S", text), text


def test_nothing_happened_still_renders_every_section() -> None:
    """A quiet period: every count 0, rates N/A — all nine sections are still there, with values or N/A."""
    ind = make_indicators()
    rows = []
    for r in ind.rows:
        if r.unit in ("count", "bytes"):
            r = replace(r, value=0)
        elif r.unit == "percent":
            r = replace(r, value=None, note="N/A: no items flagged")
        elif r.indicator in ("organisations", "other_file_types"):
            r = replace(r, value="", note="N/A: nothing in the period")
        rows.append(r)
    quiet = Indicators.build(ind.period, ind.as_of, ind.services, rows)
    ctx = build_context(
        quiet, load_fixture_policies(), regimes=regimes(), series=make_series(), publication_date=ind.as_of.date()
    )
    html = render_template(make_environment(), "report.html.j2", template_data(ctx))
    for n in range(1, 10):
        assert f'<section id="section-{n}"' in html
    assert "N/A — no items flagged" in html and "N/A — nothing in the period" in html


def test_period_touching_the_2026_gap_says_so() -> None:
    ind = make_indicators()
    period = Period.parse("2026")
    shifted = Indicators.build(period, ind.as_of.replace(year=2027), ind.services, ind.rows)
    ctx = build_context(
        shifted, load_fixture_policies(), regimes=regimes(), series=make_series(), publication_date=shifted.as_of.date()
    )
    names = [i.id for i in ctx.header.instruments]
    assert names == ["2021/1232", "gap-2026", "2026/1881"]
    assert [i.days for i in ctx.header.instruments] == [93, 118, 154]
    assert ctx.header.gap_notice.startswith(
        "From 2026-04-04 to 2026-07-30 (118 days of this period) no derogation was in force"
    )
    # No findings were given: the statement says what the (absent) counts show, and names no rule id.
    assert (
        "SCOPE-2" not in ctx.header.gap_notice and "The data show no processing on those days" in ctx.header.gap_notice
    )
    html = render_template(make_environment(), "report.html.j2", template_data(ctx))
    assert "Legal gap:" in html and "end-to-end encrypted communications excluded" in html


def test_single_service_has_one_column() -> None:
    ind = make_indicators()
    rows = [r for r in ind.rows if r.service == "Example Chat"]
    one = Indicators.build(ind.period, ind.as_of, ("Example Chat",), rows)
    ctx = build_context(
        one, load_fixture_policies(), regimes=regimes(), series=make_series(), publication_date=ind.as_of.date()
    )
    assert [c.key for c in ctx.header.columns] == ["Example Chat"]
    assert all(len(f.cells) == 1 for s in ctx.sections for g in s.groups for f in g.fields)
