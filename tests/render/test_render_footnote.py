"""Issue 23 item 3: where a total is below one of its services, its cell carries a footnote saying why (an
account counts once in the total, classified on all of its records). The fixture's EU accounts reported as
possibly soliciting a child are 6 (Example Chat), 0 (Example Mail) and 6 in total; set the total to 5 by hand
(one of Example Chat's six accounts cleared there but counted elsewhere) and the total cell is marked."""

from __future__ import annotations

from dataclasses import replace

from csa_report.indicators import ALL, Indicators
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context
from csa_report.render.env import make_environment, render_template
from csa_report.render.model import Table
from csa_report.render.report import template_data
from csa_report.render.tables import BELOW_A_SERVICE, BELOW_MARK
from tests.render.render_fixture import PUBLICATION, load_fixture_policies, make_indicators, make_series

FIELD = "4.solicitation.soliciting"


def _context(total: int) -> ReportContext:
    ind = make_indicators()
    rows = tuple(
        replace(r, value=total) if (r.service, r.indicator, r.region) == (ALL, "accounts_soliciting", "eu") else r
        for r in ind.rows
    )
    changed = Indicators.build(ind.period, ind.as_of, ind.services, rows)
    return build_context(
        changed,
        load_fixture_policies(),
        regimes=regimes(),
        series=make_series(),
        publication_date=PUBLICATION,
        tool_version="0.1.0",
    )


def _table(context: ReportContext, field: str) -> Table:
    return next(t for s in context.sections for t in s.tables for r in t.rows if r.id == field)


def test_a_total_below_a_service_carries_the_footnote() -> None:
    table = _table(_context(5), FIELD)
    row = next(r for r in table.rows if r.id == FIELD)
    assert [(c.text, c.mark) for c in row.cells] == [("6", ""), ("0", ""), ("5", BELOW_MARK)]
    assert [(n.mark, n.text) for n in table.footnotes] == [(BELOW_MARK, BELOW_A_SERVICE)]
    assert "counts as confirmed in the total" in BELOW_A_SERVICE
    html = render_template(make_environment(None), "report.html.j2", template_data(_context(5)))
    assert f'<tr id="f-{FIELD}">' in html
    start = html.index(f'<tr id="f-{FIELD}">')
    assert f'<td class="count">5<sup class="mark">{BELOW_MARK}</sup></td>' in html[start : html.index("</tr>", start)]
    escaped = BELOW_A_SERVICE.replace("'", "&#39;")  # autoescape
    assert f'<p class="footnote"><sup>{BELOW_MARK}</sup> {escaped}</p>' in html


def test_a_total_equal_to_its_largest_service_carries_none() -> None:
    table = _table(_context(6), FIELD)
    row = next(r for r in table.rows if r.id == FIELD)
    assert [(c.text, c.mark) for c in row.cells] == [("6", ""), ("0", ""), ("6", "")]
    assert table.footnotes == ()
