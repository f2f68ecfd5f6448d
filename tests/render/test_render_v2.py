"""Issue 14: the report answers the form's questions for EU users and names the instruments and recipients
that applied to its period (docs/definitions.md, readings 13-20)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.reference import regimes
from csa_report.render.context import instruments_in_force, report_title
from csa_report.render.model import Field, ReportContext
from tests.render.render_fixture import load_fixture_policies, make_context, make_indicators


def _field(ctx: ReportContext, fid: str) -> Field:
    for section in ctx.sections:
        for group in section.groups:
            for f in group.fields:
                if f.id == fid:
                    return f
    raise KeyError(fid)


def test_2025_title_and_header_name_only_the_instruments_of_the_period() -> None:
    ctx = make_context()
    assert ctx.header.title_under == (
        "transparency report under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307"
    )
    assert "2026/1881" not in ctx.header.title
    assert [i.id for i in ctx.header.instruments] == ["2021/1232"]
    i = ctx.header.instruments[0]
    assert (i.first_day, i.last_day, i.days) == ("2025-01-01", "2025-12-31", 365)
    assert i.deadline_confirmed and "31 January" in i.deadline


def test_2023_names_2021_1232_without_its_2024_amendment() -> None:
    instruments = instruments_in_force(regimes(), date(2023, 1, 1), date(2023, 12, 31))
    assert report_title(instruments) == "Transparency report under Regulation (EU) 2021/1232"


def test_2021_1232_applies_from_its_entry_into_force() -> None:
    instruments = instruments_in_force(regimes(), date(2021, 1, 1), date(2021, 12, 31))
    assert [(i.first_day, i.days) for i in instruments] == [("2021-08-02", 152)]


def test_2026_shows_three_segments_the_gap_and_what_is_unconfirmed() -> None:
    instruments = instruments_in_force(regimes(), date(2026, 1, 1), date(2026, 12, 31))
    assert [(i.id, i.first_day, i.last_day, i.days) for i in instruments] == [
        ("2021/1232", "2026-01-01", "2026-04-03", 93),
        ("gap-2026", "2026-04-04", "2026-07-30", 118),
        ("2026/1881", "2026-07-31", "2026-12-31", 154),
    ]
    assert [i.derogation for i in instruments] == [True, False, True]
    assert [(i.form_confirmed, i.deadline_confirmed) for i in instruments] == [
        (True, True),
        (True, True),
        (False, False),
    ]
    # 2026/1881 is a self-standing regulation, never presented as an amendment of 2021/1232 (issue 22)
    assert report_title(instruments) == (
        "Transparency report under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
        "(2026-01-01 to 2026-04-03), and under Regulation (EU) 2026/1881 (2026-07-31 to 2026-12-31); "
        "no derogation in force from 2026-04-04 to 2026-07-30"
    )
    ind = make_indicators()
    ctx = make_context(
        indicators=Indicators(Period.parse("2026"), ind.as_of, ind.services, tuple(replace(r) for r in ind.rows))
    )
    assert "From 2026-04-04 to 2026-07-30 (118 days of this period) no derogation was in force" in ctx.header.gap_notice


def test_form_fields_of_sections_4_and_5_carry_the_eu_values_with_all_regions_beside() -> None:
    ind = make_indicators()
    ctx = make_context(indicators=ind)
    for fid, indicator, category in (
        ("4.known_csam.reports", "reports", "known_csam"),
        ("4.new_csam.images", "images_reported", "new_csam"),
        ("5.known_csam.content.removed", "content_removed", "known_csam"),
        ("5.new_csam.account.suspended", "accounts_suspended", "new_csam"),
        ("5.known_csam.account.internal", "account_complaints_internal", "known_csam"),
    ):
        eu, every = _field(ctx, fid), _field(ctx, f"{fid}.all")
        assert "all regions" not in eu.label and "all regions" in every.label
        for col, cell_eu, cell_all in zip(ctx.header.columns, eu.cells, every.cells, strict=True):
            assert cell_eu.value == ind.value(indicator, service=col.key, category=category, region="eu")
            assert cell_all.value == ind.value(indicator, service=col.key, category=category, region="all")
            assert cell_eu.value != cell_all.value  # the fixture's EU figure is nine tenths of the total


def test_an_expired_ground_is_shown_as_expired_and_unused_recipients_are_not_listed() -> None:
    ctx = make_context()
    ids = {f.id for s in ctx.sections if s.number == 3 for g in s.groups for f in g.fields}
    policies = load_fixture_policies()
    received = {"Internet Watch Foundation", "NCMEC"}
    for r in policies.transfers.recipients:
        assert (f"3.ground.{_slug(r.name)}" in ids) == (r.name in received), r.name
    ncmec = _field(ctx, "3.ground.ncmec").cells[0].text
    assert "valid throughout the period" in ncmec and "expired" not in ncmec


def test_an_expired_ground_of_a_recipient_that_received_reports_is_never_valid() -> None:
    from csa_report.indicators import ALL, IndicatorRow
    from csa_report.policies.models import Recipient

    ind = make_indicators()
    rows = [
        r
        if not (r.section == 9 and r.service == ALL)
        else IndicatorRow(ALL, 9, "organisations", "-", "-", "all", "Example Partner Hotline, NCMEC", "text")
        for r in ind.rows
    ]
    policies = load_fixture_policies()
    legacy = Recipient.model_validate(
        {
            "name": "Example Partner Hotline",
            "type": "public_interest_organisation",
            "country": "CA",
            "grounds": [
                {
                    "article": "46(2)(c)",
                    "instrument": "Standard contractual clauses, Decision 2010/87/EU",
                    "valid_from": date(2019, 5, 1),
                    "valid_until": None,
                }
            ],
        }
    )
    transfers = policies.transfers.model_copy(update={"recipients": (*policies.transfers.recipients, legacy)})
    ctx = make_context(
        policies=policies.model_copy(update={"transfers": transfers}),
        indicators=Indicators(ind.period, ind.as_of, ind.services, tuple(rows)),
    )
    text = _field(ctx, "3.ground.example_partner_hotline").cells[0].text
    assert text == (
        "Example Partner Hotline: purpose: not stated by the provider; ground: Art. 46(2)(c) GDPR — Standard "
        "contractual clauses, Decision "
        "2010/87/EU (expired on 2022-12-27: not a valid ground for transfers in this period)"
    )


def test_item_9_holds_no_law_enforcement_recipient() -> None:
    from csa_report.indicators import ALL, IndicatorRow

    ind = make_indicators()
    garda = "An Garda Síochána"
    rows = [
        r
        if not (r.section == 9 and r.service == ALL)
        else IndicatorRow(
            ALL, 9, "organisations", "-", "-", "all", f"{garda}, Internet Watch Foundation, NCMEC", "text"
        )
        for r in ind.rows
    ]
    policies = load_fixture_policies()
    types = {r.name: r.type for r in policies.transfers.recipients}
    assert types.get(garda) == "law_enforcement"
    ctx = make_context(indicators=Indicators(ind.period, ind.as_of, ind.services, tuple(rows)))
    s9 = next(s for s in ctx.sections if s.number == 9)
    item9 = next(g for g in s9.groups if g.id == "9")
    assert not any(garda in c.text for f in item9.fields for c in f.cells)
    apart = _field(ctx, "9.not_public")
    assert apart.cells[-1].text == f"{garda} (law enforcement)"
    assert _field(ctx, "9.others").cells[-1].text == "Internet Watch Foundation"


def _slug(name: str) -> str:
    from csa_report.render.context import slug

    return slug(name)


def test_section_8_please_specify_fields_from_the_example_policies() -> None:
    from pathlib import Path

    from csa_report.policies.loader import load_policies

    example = load_policies(Path(__file__).parents[2] / "policies" / "example")
    ctx = make_context(policies=example)
    enc = _field(ctx, "8.safeguards.encryption.specify").cells[0]
    assert not enc.na and enc.text.startswith("TLS 1.3 (TLS 1.2 accepted only with ECDHE key exchange and AES-GCM)")
    inc = _field(ctx, "8.safeguards.incident.specify").cells[0]
    assert not inc.na and "tabletop exercise every six months" in inc.text
    # the render fixture's folder does not specify: N/A with the reason, never an empty cell
    fixture = _field(make_context(), "8.safeguards.encryption.specify").cells[0]
    assert fixture.na and fixture.text == "N/A — not specified in retention.md (safeguards)"


def test_a_hash_only_provider_gets_na_with_its_reason_not_zeros() -> None:
    """Like the largest filers: known CSAM by hash matching only; no classifier, no text scanning."""
    from csa_report.indicators import IndicatorRow
    from csa_report.policies.models import NotApplicable

    policies = load_fixture_policies()
    reason = "we scan only for known CSAM, by hash matching"
    measures = policies.measures.model_copy(
        update={"new_csam": NotApplicable(not_applicable=reason), "solicitation": NotApplicable(not_applicable=reason)}
    )
    provider = policies.provider.model_copy(update={"volumes_not_counted": {"metadata": "not counted by us"}})
    policies = policies.model_copy(update={"measures": measures, "provider": provider})

    def zero(r: IndicatorRow) -> IndicatorRow:
        nothing = r.category in ("new_csam", "solicitation") or r.indicator in (
            "text_bytes_processed",
            "metadata_processed",
        )
        if not nothing or r.unit not in ("count", "bytes", "percent"):
            return r
        value = 0 if r.unit != "percent" else None
        return replace(r, value=value, note="N/A: no items flagged" if value is None else "")

    ind = make_indicators()
    rows = tuple(
        zero(r) for r in ind.rows if not (r.section == 6 and r.category != "known_csam" and r.technology != "-")
    )
    ctx = make_context(policies=policies, indicators=Indicators(ind.period, ind.as_of, ind.services, rows))
    for fid in (
        "4.new_csam.reports",
        "4.new_csam.images.all",
        "5.new_csam.content.removed",
        "5.solicitation.account.suspended",
        "6.new_csam.-.A",
        "6.solicitation.-.rate",
        "4.solicitation.soliciting",
    ):
        cells = _field(ctx, fid).cells
        assert [c.text for c in cells] == [f"N/A — {reason}"] * len(cells), fid
    text = _field(ctx, "1.2.text.eu").cells
    assert {c.text for c in text} == {f"N/A — no text is scanned: {reason}"}
    assert {c.text for c in _field(ctx, "1.1.volume.non_eu").cells} == {"N/A — not counted by us"}
    # known CSAM keeps its figures
    assert _field(ctx, "4.known_csam.reports").cells[-1].value == ind.value(
        "reports", category="known_csam", region="eu"
    )


def test_the_providers_reading_of_processed_is_printed_in_1_3_and_the_annex() -> None:
    from csa_report.render.definitions import DEFINITIONS

    assert _field(make_context(), "1.3.definition").cells[0].text == DEFINITIONS[0][1]  # the default reading
    policies = load_fixture_policies()
    own = "An item is processed when it is hash-matched against the known-CSAM lists."
    policies = policies.model_copy(
        update={"provider": policies.provider.model_copy(update={"processed_definition": own})}
    )
    ctx = make_context(policies=policies)
    assert _field(ctx, "1.3.definition").cells[0].text == own
    assert next(d.text for d in ctx.definitions if d.term == "Processed") == own


def test_a_2026_report_gives_every_figure_per_regime_segment_beside_the_whole_period() -> None:
    from tests.render.render_fixture import SERVICES, _sum_rows, _svc_rows

    def indicators(period: str, k1: int, k2: int) -> Indicators:
        rows = _svc_rows(SERVICES[0], k1) + _svc_rows(SERVICES[1], k2)
        ind = make_indicators()
        return Indicators.build(Period.parse(period), ind.as_of, SERVICES, rows + _sum_rows(rows))

    whole = indicators("2026", 1, 2)
    segments = (
        indicators("2026-01-01/2026-04-03", 1, 1),
        indicators("2026-04-04/2026-07-30", 3, 3),
        indicators("2026-07-31/2026-12-31", 2, 2),
    )
    from csa_report.render import build_context
    from tests.render.render_fixture import PUBLICATION, make_findings, make_series

    ctx = build_context(
        whole,
        load_fixture_policies(),
        findings=make_findings(),
        regimes=regimes(),
        series=make_series(),
        publication_date=PUBLICATION,
        tool_version="0.1.0",
        segments=segments,
    )
    assert [c.label for c in ctx.segment_columns] == [
        "2026-01-01 to 2026-04-03: Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307",
        "2026-04-04 to 2026-07-30: no derogation in force",
        "2026-07-31 to 2026-12-31: Regulation (EU) 2026/1881",
        "Whole period",
    ]
    fields = {f.id: f for g in ctx.segment_groups for f in g.fields}
    reports = fields["4.known_csam.reports"]
    assert [r.column for r in reports.rows] == [*SERVICES, "ALL"]
    for row in reports.rows:  # every service and the total, each with its own figure per segment
        expected = [
            seg.value("reports", service=row.column, category="known_csam", region="eu") for seg in (*segments, whole)
        ]
        assert [c.value for c in row.cells] == expected
        assert len(set(expected)) == (4 if row.column == "ALL" else 3)  # a service repeats one scale
    assert {"1.2.images.eu", "5.known_csam.account.suspended", "6.known_csam.-.A"} <= set(fields)
    assert not any(f.startswith(("2.", "3.", "7.", "8.", "9.")) for f in fields)
    # a one-regime period has no segment table
    assert make_context().segment_groups == ()


def test_segment_indicators_extract_each_regime_segment(new_db_url: str) -> None:
    """On the hand-counted fixture: in 2026 only d7 (known CSAM) and d13 (new CSAM) are automated flags, both on
    2026-01-01, so the first segment holds them all and the gap and 2026/1881 segments hold none."""
    from datetime import datetime

    from csa_report.extract import extract_indicators
    from csa_report.tasks.context import segment_indicators
    from tests.fixtures import handcount as fx

    fx.load(new_db_url)
    as_of = datetime(2027, 1, 15)
    whole = extract_indicators(new_db_url, Period.parse("2026"), as_of)
    segments = segment_indicators(new_db_url, whole)
    assert [str(s.period) for s in segments] == [
        "2026-01-01/2026-04-03",
        "2026-04-04/2026-07-30",
        "2026-07-31/2026-12-31",
    ]
    assert all(s.as_of == as_of for s in segments)
    for category in ("known_csam", "new_csam"):
        assert whole.value("flagged", category=category) == 1
        assert [s.value("flagged", category=category) for s in segments] == [1, 0, 0]
    assert segment_indicators(new_db_url, extract_indicators(new_db_url, fx.PERIOD, fx.AS_OF)) == ()
