"""report.json follows the shipped JSON Schema (csa_report/schemas/indicators.schema.json); report.csv has the
data-contract §4 header and row order, and carries the policy-driven rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema

from csa_report.indicators import CSV_FIELDS
from csa_report.render import RenderResult
from tests.render.render_fixture import read

SCHEMA = Path(__file__).parents[2] / "csa_report" / "schemas" / "indicators.schema.json"


def test_report_json_matches_schema(rendered: RenderResult) -> None:
    doc = json.loads(read(rendered, "report.json"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert doc["report"]["provider"] == "Example Communications Ireland Ltd"
    assert doc["report"]["publication_date"] == "2026-01-20"


def test_report_csv_shape_and_policy_rows(rendered: RenderResult) -> None:
    text = read(rendered, "report.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_FIELDS
    keys = [
        (int(r["section"]), r["indicator"], r["category"], r["technology"], r["region"], r["service"]) for r in rows
    ]
    assert keys == sorted(keys)
    by = {(r["section"], r["indicator"], r["category"], r["service"]): r for r in rows}
    assert by[("2", "gdpr_article_6", "-", "ALL")]["value"] == "Art. 6(1)(d) GDPR, Art. 6(1)(f) GDPR"
    assert by[("2", "gdpr_article_6", "-", "ALL")]["unit"] == "text"
    basis_law = by[("2", "member_state_law", "-", "ALL")]
    assert basis_law["value"] == "" and basis_law["note"].startswith("neither Art. 6(1)(c)")
    vetting = by[("7", "independent_third_party_vetting", "new_csam", "ALL")]
    assert (vetting["value"], vetting["unit"]) == ("yes", "bool")
    na = by[("7", "training", "solicitation", "ALL")]
    assert na["value"] == "" and na["note"]
    assert by[("8", "retention_max_days_confirmed_content", "-", "ALL")]["value"] == "365"
    # The fixture's NCMEC entry states no purpose: the row says so rather than leaving it out.
    assert by[("3", "transfer_ground_ncmec", "-", "ALL")]["value"] == (
        "NCMEC: purpose: not stated by the provider; ground: Art. 46(2)(c) GDPR — SCC 2021/914 module 1, signed "
        "2022-11-15 (valid throughout the period)"
    )
    assert by[("9", "ncmec", "-", "Example Mail")]["value"] == "yes"
