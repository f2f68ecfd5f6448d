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


PER_VERSION = (
    "From 2026-01-01 to 2026-07-30 (211 days, retention.md version 2025.1): at most 180 days; purposes: redress. "
    "From 2026-07-31 to 2026-12-31 (154 days, retention.md version 2026.2): at most 195 days; purposes: redress."
)
HOLD = (
    "at most 365 days; purposes: report, block, hash, redress, law enforcement request; except: data named in a "
    "preservation request of a law-enforcement or judicial authority (a legal hold) is kept until the authority "
    "lifts the hold (legal basis: GDPR Article 6(1)(c) with Article 3(1)(h)(v) of the Regulation (answering lawful "
    "requests of competent authorities), and the authority's preservation order)"
)


def _field(ctx: ReportContext, fid: str) -> str:
    return next(f.cells[0].text for s in ctx.sections for g in s.groups for f in g.fields if f.id == fid)


@pytest.fixture(scope="module")
def rendered_2026(context_2026: ReportContext) -> tuple[str, str]:
    from csa_report.render.env import make_environment, render_template
    from csa_report.render.report import template_data

    env = make_environment()
    data = template_data(context_2026)
    return render_template(env, "report.html.j2", data), render_template(env, "report.md.j2", data)


def test_2026_section_8_states_each_retention_version_with_its_days(
    context_2026: ReportContext, rendered_2026: tuple[str, str]
) -> None:
    assert _field(context_2026, "8.retention.complaint") == PER_VERSION
    # the same statement in both versions is printed once, without versions
    assert _field(context_2026, "8.retention.report_metadata") == (
        "at most 365 days; purposes: report, law enforcement request"
    )
    html, md = rendered_2026
    assert PER_VERSION in html and PER_VERSION in md
    # the prose once, with the days each version applied; only the sentence that changed is given per version
    for text in (html, md):
        assert (
            "retention.md (version 2025.1, applied from 2026-01-01 to 2026-07-30, 211 days of the period; version "
            "2026.2, applied from 2026-07-31 to 2026-12-31, 154 days of the period; where the versions differ, the "
            "wording of each is marked with its version):"
        ) in text
        assert text.count("Non-content data about our reports is kept for twelve months.") == 1
        assert text.count("is erased within one day of that decision.") == 1
    assert (
        "*Version 2025.1 (2026-01-01 to 2026-07-30):* Data about complaints is kept for 180 days after the complaint "
        "is decided. *Version 2026.2 (2026-07-31 to 2026-12-31):* Data about complaints is kept for 195 days after "
        "the complaint is decided (from 31 July 2026,"
    ) in md
    assert (
        "<em>Version 2025.1 (2026-01-01 to 2026-07-30):</em> Data about complaints is kept for 180 days after the "
        "complaint is decided. <em>Version 2026.2 (2026-07-31 to 2026-12-31):</em> Data about complaints is kept "
        "for 195 days"
    ) in html


def test_a_2025_report_quotes_one_version_without_days() -> None:
    ctx = _context("2025")
    assert _field(ctx, "8.retention.complaint") == "at most 180 days; purposes: redress"
    assert [(p.version, p.applied) for s in ctx.sections if s.number == 8 for p in s.prose] == [("2025.1", "")]


def test_section_8_agrees_with_the_policy_text(context_2026: ReportContext) -> None:
    assert _field(context_2026, "8.retention.confirmed_content") == HOLD
    assert _field(context_2026, "8.retention.not_abuse") == "erased immediately after review (within 24 hours)"


def test_a_purpose_listed_for_not_abuse_is_never_printed(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "pol"
    shutil.copytree(EXAMPLE, folder)
    path = folder / "retention.md"
    path.write_text(
        path.read_text().replace(
            "  - data: not_abuse\n    max_days: 0\n", "  - data: not_abuse\n    max_days: 2\n    purposes: [redress]\n"
        ),
        encoding="utf-8",
    )
    ctx = _context("2026", folder)
    # only the current version (2026.2) changed: 2 days are 48 hours, and the purpose is printed in neither
    assert _field(ctx, "8.retention.not_abuse") == (
        "From 2026-01-01 to 2026-07-30 (211 days, retention.md version 2025.1): erased immediately after review "
        "(within 24 hours). From 2026-07-31 to 2026-12-31 (154 days, retention.md version 2026.2): erased "
        "immediately after review (within 48 hours)."
    )


def test_section_3_states_purpose_and_ground_and_no_internal_note(
    context_2026: ReportContext, rendered_2026: tuple[str, str]
) -> None:
    ncmec = _field(context_2026, "3.ground.ncmec")
    assert ncmec.startswith(
        "NCMEC: purpose: reports of confirmed child sexual abuse under Article 3(1)(h)(i) of the Regulation, through "
        "the CyberTipline, so that the case reaches the competent law-enforcement authorities; ground: Art. 46(2)(c)"
    )
    for text in rendered_2026:
        assert "compliance check blocks" not in text
        assert "2010/87" not in text
        assert "Example Partner Hotline" not in text  # listed in transfers.md, received nothing
        for r in POLICIES_2026.transfers.recipients:
            if r.note:
                assert " ".join(r.note.split())[:60] not in text
