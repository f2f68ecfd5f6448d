"""Issue 14 item 3: a 2026 report (three regime segments: 2021/1232, the gap, 2026/1881) gives every data-driven
field per service and per segment beside the whole period, in every artefact. The expected values come from
plain SQL on the seeded source, written here apart from the extraction (docs/definitions.md, reading 17)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from csa_report.extract import extract_indicators
from csa_report.indicators import ALL
from csa_report.period import Period
from csa_report.reference import regimes
from csa_report.render import RenderResult, ReportContext, build_context, render_report
from csa_report.render.series import monthly_series_from_url
from csa_report.seed import seed
from csa_report.tasks.context import segment_indicators
from tests.render.render_fixture import load_fixture_policies, read

PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 20)
#: The segments of 2026 (reference data) and the whole period, in the order of the annex's columns.
SPANS = (
    ("2026-01-01", "2026-04-03"),
    ("2026-04-04", "2026-07-30"),
    ("2026-07-31", "2026-12-31"),
    ("2026-01-01", "2026-12-31"),
)
SCHEMA = Path(__file__).parents[2] / "csa_report" / "schemas" / "indicators.schema.json"


@dataclass(frozen=True)
class Straddling:
    db: Path
    context: ReportContext
    rendered: RenderResult


@pytest.fixture(scope="module")
def straddling(tmp_path_factory: pytest.TempPathFactory) -> Straddling:
    folder = tmp_path_factory.mktemp("straddling")
    db = folder / "source.db"
    url = f"sqlite:///{db}"
    seed(url, PERIOD, scale=900, seed=11)
    whole = extract_indicators(url, PERIOD, AS_OF)
    context = build_context(
        whole,
        load_fixture_policies(),
        regimes=regimes(),
        series=monthly_series_from_url(url, PERIOD, AS_OF),
        publication_date=date(2027, 1, 25),
        tool_version="0.1.0",
        segments=segment_indicators(url, whole),
    )
    return Straddling(db, context, render_report(context, folder / "out"))


@pytest.fixture(scope="module")
def source(straddling: Straddling) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{straddling.db}?mode=ro", uri=True)
    yield conn
    conn.close()


def _per_span(conn: sqlite3.Connection, sql: str, services: tuple[str, ...]) -> dict[str, list[int]]:
    """``sql`` (bound parameters :first, :last and :service, where NULL means every service) for each
    service and all services together, over each segment and the whole period."""
    return {
        svc: [
            int(conn.execute(sql, {"first": a, "last": b, "service": None if svc == ALL else svc}).fetchone()[0] or 0)
            for a, b in SPANS
        ]
        for svc in (*services, ALL)
    }


IMAGES_EU = """SELECT SUM(items) FROM processing_volumes
               WHERE data_type = 'image' AND user_region = 'eu' AND day BETWEEN :first AND :last
                 AND (:service IS NULL OR service = :service)"""
SUSPENDED_EU = """SELECT COUNT(DISTINCT account_ref) FROM account_actions
                  WHERE action IN ('suspend', 'terminate') AND category = 'known_csam' AND user_region = 'eu'
                    AND date(taken_at) BETWEEN :first AND :last AND (:service IS NULL OR service = :service)"""
FLAGGED_KNOWN = """SELECT COUNT(*) FROM detections
                   WHERE automated AND category = 'known_csam' AND date(flagged_at) BETWEEN :first AND :last
                     AND (:service IS NULL OR service = :service)"""
#: field of the annex, SQL, indicator in report.json/csv (category, region)
CASES = (
    ("1.2.images.eu", IMAGES_EU, ("images_processed", "-", "eu", "-")),
    ("5.known_csam.account.suspended", SUSPENDED_EU, ("accounts_suspended", "known_csam", "eu", "-")),
    ("6.known_csam.-.A", FLAGGED_KNOWN, ("flagged", "known_csam", "all", "-")),
)


def _label(context: ReportContext, key: str) -> str:
    return next(c.label for c in context.header.columns if c.key == key)


@pytest.mark.parametrize(("fid", "sql", "row"), CASES, ids=[c[0] for c in CASES])
def test_each_service_has_one_value_per_segment_beside_the_whole_period(
    straddling: Straddling, source: sqlite3.Connection, fid: str, sql: str, row: tuple[str, ...]
) -> None:
    ctx = straddling.context
    expected = _per_span(source, sql, ctx.header.services)
    assert [c.dates for c in ctx.segment_columns] == [f"{a} to {b}" for a, b in SPANS]
    field = next(f for g in ctx.segment_groups for f in g.fields if f.id == fid)
    assert [r.column for r in field.rows] == [*ctx.header.services, ALL]
    got = {r.column: [c.value for c in r.cells] for r in field.rows}
    assert got == expected
    # The gap, when nothing may be scanned, is a segment of its own (the clean seed does not scan then).
    if fid != "5.known_csam.account.suspended":
        assert expected[ALL][1] == 0 and expected[ALL][0] > 0 and expected[ALL][2] > 0

    # One table per section and service: a row per field, a column per segment and the whole period.
    html = read(straddling.rendered, "report.html")
    md = read(straddling.rendered, "report.md")
    section = fid.split(".")[0]
    for svc, values in expected.items():
        tr = re.search(rf'<tr id="f-{re.escape(fid)}\.{re.escape(svc)}">(.*?)</tr>', html)
        assert tr is not None, svc
        cells = [int(t.split()[0].replace(",", "")) for t in re.findall(r"<td[^>]*>([^<]*)", tr.group(1))]
        assert cells == values
        table = md[md.index(f"#### Section {section} per regime segment — {_label(ctx, svc)}\n") :]
        table = table[: table.index("\n\n####")] if "\n\n####" in table else table
        md_row = next(line for line in table.splitlines() if line.startswith(f"| {field.label}"))
        md_cells = [int(c.split()[0].replace(",", "")) for c in md_row.strip("|").split("|")[1:]]
        assert md_cells == values

    doc = json.loads(read(straddling.rendered, "report.json"))
    indicator, category, region, technology = row
    assert [s["period"] for s in doc["segments"]] == [f"{a}/{b}" for a, b in SPANS[:-1]]
    assert [s["instrument"] for s in doc["segments"]] == ["2021/1232", "gap-2026", "2026/1881"]
    for svc, values in expected.items():
        found = [
            next(
                r["value"]
                for r in rows
                if (r["service"], r["indicator"], r["category"], r["region"], r["technology"])
                == (svc, indicator, category, region, technology)
            )
            for rows in (*(s["rows"] for s in doc["segments"]), doc["rows"])
        ]
        assert found == values

    table = list(csv.DictReader(io.StringIO(read(straddling.rendered, "report.csv"))))
    for svc, values in expected.items():
        by_period = {
            r["period"]: int(r["value"])
            for r in table
            if (r["service"], r["indicator"], r["category"], r["region"], r["technology"])
            == (svc, indicator, category, region, technology)
        }
        assert by_period == {f"{a}/{b}": v for (a, b), v in zip(SPANS, values, strict=True)}


def test_segment_rows_follow_the_schema_and_stay_apart_from_the_whole_period(straddling: Straddling) -> None:
    doc = json.loads(read(straddling.rendered, "report.json"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    for segment in doc["segments"]:
        jsonschema.validate({**doc, "period": segment["period"], "rows": segment["rows"]}, schema)
        assert {r["period"] for r in segment["rows"]} == {segment["period"]}
    assert {r["period"] for r in doc["rows"]} == {"2026-01-01/2026-12-31"}
    # report.csv: the whole period first (the contract's row order), then each segment in time order
    rows = list(csv.DictReader(io.StringIO(read(straddling.rendered, "report.csv"))))
    periods = [r["period"] for r in rows]
    assert list(dict.fromkeys(periods)) == ["2026-01-01/2026-12-31", *(s["period"] for s in doc["segments"])]
    for p in dict.fromkeys(periods):
        keys = [
            (int(r["section"]), r["indicator"], r["category"], r["technology"], r["region"], r["service"])
            for r in rows
            if r["period"] == p
        ]
        assert keys == sorted(keys)


def test_a_reason_shared_by_every_cell_is_printed_once(straddling: Straddling) -> None:
    fields = {f.id: f for g in straddling.context.segment_groups for f in g.fields}
    reasons = fields["5.known_csam.content.internal.reasons"]
    assert reasons.rows == () and reasons.na.startswith("N/A — optional field")
    md = read(straddling.rendered, "report.md")
    section = md[md.index("### A.5") :]
    # once for all of section 5's fields that share it, in one row naming them
    assert sum(1 for f in fields.values() if f.na == reasons.na) == 10
    assert section.count(reasons.na) == 1
    row = next(line for line in section.splitlines() if line.endswith(f"| {reasons.na} |"))
    assert row.startswith(
        "| Known CSAM — content: Reasons for the internal complaints (optional), Reasons for the judicial complaints "
        "(optional); Known CSAM — accounts: Reasons for the internal complaints (optional)"
    )
    assert "an item or account counted in two segments (or by two services) counts once" in section
