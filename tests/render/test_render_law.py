"""Issue 22 items 2, 4-7 in the rendered 2026 report (example policies, hand-built indicators): the annex lists
the open legal questions first, the segment tables give each service's days in scope, and the statements of
sections 2, 3, 7, 8 and 9 follow the policy versions and agree with their policy text."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from csa_report.checks.findings import Finding
from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.policies.loader import load_policies
from csa_report.reference import regimes
from csa_report.render import ReportContext, build_context
from csa_report.render.annex import finding_entries
from csa_report.render.segments import DAYS_IN_SCOPE_ID, days_in_scope_group
from tests.render.render_fixture import SERVICES, make_indicators, make_series

EXAMPLE = Path(__file__).parents[2] / "policies" / "example"
POLICIES_2026 = load_policies(EXAMPLE, Period.parse("2026"))


def _context(year: str, folder: Path = EXAMPLE) -> ReportContext:
    period = Period.parse(year)
    fixture = make_indicators()
    indicators = Indicators.build(period, datetime(int(year) + 1, 1, 20), SERVICES, fixture.rows)
    return build_context(
        indicators,
        load_policies(folder, period),
        regimes=regimes(),
        series=make_series(),
        publication_date=date(int(year) + 1, 1, 25),
        tool_version="0.1.0",
    )


@pytest.fixture(scope="module")
def context_2026() -> ReportContext:
    return _context("2026")


def _finding(rule: str, severity: str) -> Finding:
    return Finding(rule=rule, severity=severity, message=f"{rule} message", count=1, reference="ref")  # type: ignore[arg-type]


def test_position_1_is_listed_first_in_the_annex_even_before_blocking_findings() -> None:
    entries = finding_entries(
        [_finding("XFER-1", "blocking"), _finding("RET-4", "review"), _finding("POSITION-1", "review")]
    )
    assert [e.rule for e in entries] == ["POSITION-1", "XFER-1", "RET-4"]


def test_segment_tables_give_each_service_its_days_in_scope(context_2026: ReportContext) -> None:
    group = days_in_scope_group(context_2026.header.columns, context_2026.header.instruments, POLICIES_2026)
    assert group.id == DAYS_IN_SCOPE_ID
    (field,) = group.fields
    # 2021/1232 from 1 January to 3 April (93 days), the gap (118 days, none in scope), 2026/1881 from 31 July
    # (154 days): Example Chat is end-to-end encrypted from 1 October, so in scope 31 July..30 September (62).
    got = {r.column: [c.value for c in r.cells] for r in field.rows}
    assert got == {
        "Example Chat": [93, 0, 62, 155],
        "Example Mail": [93, 0, 154, 247],
        "ALL": [93, 0, 154, 247],
    }
