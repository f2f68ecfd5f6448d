"""The extraction against an independent hand count (tests/fixtures/handcount*.py), on SQLite, PostgreSQL,
DuckDB (a file, and views over Parquet files) and Spark (tables over the same Parquet files, through Spark Connect).

The expected values were counted by hand from the fixture rows and the data contract (§3), without reading the
extraction. Readings of ambiguous spots are at the top of tests/fixtures/handcount_expected.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import insert, text

from csa_report.db import make_engine
from csa_report.errors import DataError
from csa_report.extract import extract_indicators
from csa_report.indicators import IndicatorRow, Indicators
from csa_report.lake import create_parquet_views, export_parquet
from csa_report.migrate import upgrade
from csa_report.source_schema import ENUMERATIONS, Detection
from tests.conftest import service_missing
from tests.fixtures import handcount as fx
from tests.fixtures.handcount_expected import (
    ALL,
    EXPECTED,
    EXPECTED_KEYS,
    EXPECTED_ROW_COUNT,
    EXPECTED_SERVICES,
    EXPECTED_TECHNOLOGIES,
)
from tests.support.spark import load_into_spark

PERIOD_TEXT = "2025-01-01/2025-12-31"
HEADER = "service,period,section,indicator,category,technology,region,value,unit,note"

# Disagreements between the extraction and the hand count that were re-checked against the contract and are
# believed to be the extraction's: key -> why. They keep asserting the hand-counted value (see the report).
KNOWN_DISAGREEMENTS: dict[tuple[str, int, str, str, str, str], str] = {}

_cache: dict[str, Indicators] = {}


def _backend(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]  # sqlite, postgresql or duckdb


def _extract(url: str) -> Indicators:
    """Load the fixture into the new database and extract; once per backend per test session."""
    backend = _backend(url)
    if backend not in _cache:
        fx.load(url)
        _cache[backend] = extract_indicators(url, fx.PERIOD, fx.AS_OF)
    return _cache[backend]


def _extract_parquet(tmp_path: Path) -> Indicators:
    """The fixture in a DuckDB file, exported to one Parquet file per table, read through views over them."""
    if "parquet" not in _cache:
        source = f"duckdb:///{tmp_path / 'export.duckdb'}"
        fx.load(source)
        export_parquet(source, tmp_path / "lake")
        views = f"duckdb:///{tmp_path / 'views.duckdb'}"
        create_parquet_views(views, tmp_path / "lake")
        _cache["parquet"] = extract_indicators(views, fx.PERIOD, fx.AS_OF)
    return _cache["parquet"]


def _extract_spark(spark_url: str, tmp_path: Path) -> Indicators:
    """The fixture in Spark: tables over its Parquet export in the session's local Spark Connect server."""
    if "spark" not in _cache:
        load_into_spark(spark_url, tmp_path, fx.load)
        _cache["spark"] = extract_indicators(spark_url, fx.PERIOD, fx.AS_OF)
    return _cache["spark"]


SPARK = pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])


@pytest.fixture(params=["sqlite", "postgresql", "duckdb", "parquet", SPARK])
def result(request: pytest.FixtureRequest) -> Indicators:
    """The fixture's indicators on each backend: SQLite, PostgreSQL, a DuckDB file, DuckDB views over Parquet,
    Spark."""
    if request.param == "spark":
        if "spark" in _cache:
            return _cache["spark"]
        return _extract_spark(request.getfixturevalue("new_spark_url"), request.getfixturevalue("tmp_path"))
    if request.param == "parquet":
        request.getfixturevalue("new_duckdb_url")  # skips (fails in CI) without DuckDB
        return _extract_parquet(request.getfixturevalue("tmp_path"))
    fixture = {"sqlite": "new_sqlite_url", "postgresql": "new_pg_url", "duckdb": "new_duckdb_url"}[request.param]
    return _extract(str(request.getfixturevalue(fixture)))


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each backend in turn, DuckDB included."""
    fixture = {"sqlite": "new_sqlite_url", "postgresql": "new_pg_url", "duckdb": "new_duckdb_url"}[request.param]
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def new_pg_icu_url(pg_admin_dsn: str) -> Iterator[str]:
    """A new PostgreSQL database whose default collation is ICU en-US (not C), dropped afterwards."""
    name = f"csa_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        try:
            conn.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            )
        except psycopg.Error as exc:  # no ICU in this server build
            service_missing(f"PostgreSQL with ICU collations (CREATE DATABASE … LOCALE_PROVIDER icu: {exc})")
    base = pg_admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- the expectations themselves


def _rule_keys() -> set[tuple[str, int, str, str, str, str]]:
    """The row keys the contract's rules give, built independently of the literal table (a check of it)."""
    K, N, S = "known_csam", "new_csam", "solicitation"
    keys: set[tuple[str, int, str, str, str, str]] = set()
    for svc in (*EXPECTED_SERVICES, ALL):

        def add(
            section: int,
            indicator: str,
            cats: tuple[str, ...],
            regions: tuple[str, ...],
            tech: str = "-",
            svc: str = svc,
        ) -> None:
            for c in cats:
                for r in regions:
                    keys.add((svc, section, indicator, c, tech, r))

        for ind in (
            "images_processed",
            "videos_processed",
            "other_files_processed",
            "text_bytes_processed",
            "metadata_processed",
        ):
            add(1, ind, ("-",), ("eu", "non_eu"))
        add(1, "other_file_types", ("-",), ("all",))
        add(4, "reports", (K, N, S), ("eu", "all"))
        for ind in ("images_reported", "videos_reported", "other_files_reported"):
            add(4, ind, (K, N), ("eu", "all"))
        add(4, "other_file_types_reported", (K, N), ("eu",))
        for ind in ("accounts_sending", "accounts_receiving"):
            add(4, ind, (K, N), ("eu",))
        for ind in ("accounts_soliciting", "accounts_solicited"):
            add(4, ind, (S,), ("eu",))
        add(5, "content_removed", (K, N), ("eu", "all"))
        add(5, "accounts_suspended", (K, N, S), ("eu", "all"))
        add(5, "accounts_restricted", (K, N, S), ("eu", "all"))
        for subject, cats in (("content", (K, N)), ("account", (K, N, S))):
            for ind in (
                f"{subject}_complaints_internal",
                f"{subject}_complaints_judicial",
                f"{subject}_restored_internal",
                f"{subject}_restored_judicial",
                f"{subject}_decision_days_internal",
                f"{subject}_compliance_days_judicial",
            ):
                add(5, ind, cats, ("eu", "all"))
        for cat in (K, N, S):
            region = ("eu",) if cat == S else ("all",)
            for tech in ("-", *EXPECTED_TECHNOLOGIES[(svc, cat)]):
                for ind in ("flagged", "not_abuse", "error_rate", "human_reviewed"):
                    add(6, ind, (cat,), region, tech)
        add(9, "organisations", ("-",), ("all",))
    return keys


def test_expected_table_is_consistent_with_the_contract_rules() -> None:
    assert _rule_keys() == set(EXPECTED_KEYS)
    assert len(EXPECTED_KEYS) == EXPECTED_ROW_COUNT == 426


# ---------------------------------------------------------------- values


def _problem(row: IndicatorRow, value: Any, unit: str) -> str | None:
    got = row.value
    if row.unit != unit:
        return f"unit {row.unit!r} != {unit!r}"
    if value is None:
        if got is not None:
            return f"value {got!r} != None"
        if not row.note.strip():
            return "empty value without a note"
        return None
    if isinstance(value, Decimal):
        if not isinstance(got, Decimal) or got != value or str(got) != str(value):
            return f"value {got!r} != {value!r}"
        return None
    if isinstance(value, int):
        if type(got) is not int or got != value:
            return f"value {got!r} ({type(got).__name__}) != {value!r}"
        return None
    if type(got) is not type(value) or got != value:
        return f"value {got!r} != {value!r}"
    return None


def test_every_expected_value(result: Indicators) -> None:
    rows = {r.key: r for r in result.rows}
    problems = []
    for key, (value, unit) in sorted(EXPECTED.items(), key=lambda kv: (kv[0][1:], kv[0][0])):
        row = rows.get(key)
        if row is None:
            problems.append(f"{key}: missing (expected {value!r} {unit})")
            continue
        p = _problem(row, value, unit)
        if p:
            why = KNOWN_DISAGREEMENTS.get(key)
            problems.append(f"{key}: {p}" + (f"  [known disagreement: {why}]" if why else ""))
    assert not problems, f"{len(problems)} indicator(s) differ from the hand count:\n" + "\n".join(problems)


def test_no_unexpected_rows(result: Indicators) -> None:
    keys = [r.key for r in result.rows]
    assert len(keys) == len(set(keys)), "duplicate row keys"
    unexpected = sorted(set(keys) - EXPECTED_KEYS, key=lambda k: (k[1:], k[0]))
    missing = sorted(EXPECTED_KEYS - set(keys), key=lambda k: (k[1:], k[0]))
    assert not unexpected, f"unexpected rows: {unexpected}"
    assert not missing, f"missing rows: {missing}"
    assert len(result.rows) == EXPECTED_ROW_COUNT


def test_services_period_as_of(result: Indicators) -> None:
    assert result.services == EXPECTED_SERVICES
    assert str(result.period) == PERIOD_TEXT
    assert result.as_of == fx.AS_OF
    assert list(result.rows) == sorted(result.rows, key=lambda r: r.sort_key)


# ---------------------------------------------------------------- CSV


def test_csv_header_order_and_lines(result: Indicators) -> None:
    out = result.to_csv()
    assert "\r" not in out and out.endswith("\n")
    lines = out.split("\n")[:-1]
    assert lines[0] == HEADER
    assert len(lines) == 1 + EXPECTED_ROW_COUNT
    parsed = list(csv.reader(io.StringIO(out)))[1:]
    assert all(len(f) == 10 for f in parsed)
    assert {f[1] for f in parsed} == {PERIOD_TEXT}
    order = [(int(f[2]), f[3], f[4], f[5], f[6], f[0]) for f in parsed]
    assert order == sorted(order) and len(set(order)) == len(order)

    # first data lines: section 1, images_processed, eu then non_eu; ALL < "Alpha Chat" < "Beta Mail"
    p = PERIOD_TEXT
    assert [ln.rsplit(",", 1)[0] + "," for ln in lines[1:7]] == [
        f"ALL,{p},1,images_processed,-,-,eu,1700,count,",
        f"Alpha Chat,{p},1,images_processed,-,-,eu,1500,count,",
        f"Beta Mail,{p},1,images_processed,-,-,eu,200,count,",
        f"ALL,{p},1,images_processed,-,-,non_eu,400,count,",
        f"Alpha Chat,{p},1,images_processed,-,-,non_eu,300,count,",
        f"Beta Mail,{p},1,images_processed,-,-,non_eu,100,count,",
    ]
    assert lines[-1].startswith(f'Beta Mail,{p},9,organisations,-,-,all,"An Garda Síochána, NCMEC",text,')
    # exact lines up to and including the unit (the note of a filled value is not fixed by the contract)
    for prefix in (
        f'ALL,{p},1,other_file_types,-,-,all,"GIF, docx, gif, pdf",text,',
        f"Beta Mail,{p},1,text_bytes_processed,-,-,eu,450000,bytes,",
        f"ALL,{p},4,accounts_sending,known_csam,-,eu,3,count,",
        f"Alpha Chat,{p},5,content_decision_days_internal,known_csam,-,all,1.3,days,",
        f"ALL,{p},5,content_compliance_days_judicial,known_csam,-,all,1.6,days,",
        f"Alpha Chat,{p},6,error_rate,known_csam,photodna,all,33.33,percent,",
        f"ALL,{p},6,error_rate,new_csam,-,all,66.67,percent,",
        f"ALL,{p},6,not_abuse,solicitation,-,eu,1,count,",
        f'ALL,{p},9,organisations,-,-,all,"An Garda Síochána, Internet Watch Foundation, NCMEC",text,',
        f"Beta Mail,{p},5,content_decision_days_internal,new_csam,-,all,1.2,days,",
        f"ALL,{p},6,error_rate,known_csam,photodna,all,28.57,percent,",
    ):
        assert sum(ln.startswith(prefix) for ln in lines) == 1, prefix
    # an empty value: nothing in the value column, a note that says why
    empty = [f for f in parsed if f[0] == "Beta Mail" and f[3] == "error_rate" and f[4] == "new_csam"]
    assert len(empty) == 1 and empty[0][7] == "" and empty[0][8] == "percent" and empty[0][9].strip()


# ---------------------------------------------------------------- JSON


def _assert_sorted_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [k for k, _ in pairs]
    assert names == sorted(names), names
    return dict(pairs)


def test_json_document(result: Indicators) -> None:
    out = result.to_json()
    doc = json.loads(out, object_pairs_hook=_assert_sorted_keys)
    assert set(doc) == {"schema", "period", "as_of", "services", "rows"}
    assert doc["schema"] == "csa-report/indicators/2"
    assert doc["period"] == PERIOD_TEXT
    assert doc["as_of"] == "2026-01-15T00:00:00Z"
    assert doc["services"] == list(EXPECTED_SERVICES)
    assert len(doc["rows"]) == EXPECTED_ROW_COUNT
    fields = set(HEADER.split(","))
    assert all(set(r) == fields for r in doc["rows"])
    # same order as the CSV
    csv_rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert [
        (r["service"], str(r["section"]), r["indicator"], r["category"], r["technology"], r["region"])
        for r in doc["rows"]
    ] == [(r["service"], r["section"], r["indicator"], r["category"], r["technology"], r["region"]) for r in csv_rows]
    by_key = {
        (r["service"], r["section"], r["indicator"], r["category"], r["technology"], r["region"]): r
        for r in doc["rows"]
    }
    assert by_key[("Alpha Chat", 6, "error_rate", "known_csam", "photodna", "all")]["value"] == 33.33
    assert by_key[("ALL", 1, "text_bytes_processed", "-", "-", "eu")]["value"] == 3_450_000
    none_row = by_key[("ALL", 6, "error_rate", "solicitation", "keyword_model", "eu")]
    assert none_row["value"] is None and none_row["note"].strip()
    assert out == result.to_json()  # stable


def test_no_account_ref_in_any_output(result: Indicators) -> None:
    outputs = result.to_csv() + result.to_json() + repr(result)
    refs = fx.account_refs()
    assert len(refs) > 20
    leaked = sorted(r for r in refs if r in outputs)
    assert not leaked, f"account_ref values in the output: {leaked}"
    assert "acct-" not in outputs


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("table", ["report_accounts", "complaints"])
def test_missing_table_is_a_data_error(any_db_url: str, table: str) -> None:
    new_db_url = any_db_url
    fx.load(new_db_url)
    engine = make_engine(new_db_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}"))
    engine.dispose()
    with pytest.raises(DataError) as info:
        extract_indicators(new_db_url, fx.PERIOD, fx.AS_OF)
    assert table in str(info.value)


# Every enumerated (table, column) of data-contract §1, with a bad value put on some rows. Most are rows in the
# period; the last case puts it only on rows outside the period (reading: the whole table must follow §1).
_BAD_CASES: list[tuple[str, str, str, str, int]] = [
    # table, column, bad value, SQL condition on the table (no user input), rows it hits
    ("detections", "category", "known", "id IN (1, 2, 3)", 3),
    *[
        (
            t,
            c,
            f"bogus_{c}",
            "report_id = 2" if t == "report_accounts" else "id IN (1, 2)",
            3 if t == "report_accounts" else 2,
        )
        for (t, c) in ENUMERATIONS
        if (t, c) != ("detections", "category")
    ],
    ("detections", "verdict", "false_positive", "id IN (7, 13)", 2),  # d7, d13: flagged 2026-01-01 (out)
]


@pytest.mark.parametrize(
    ("table", "column", "bad", "where", "count"), _BAD_CASES, ids=[f"{t}.{c}={b}" for t, c, b, _, _ in _BAD_CASES]
)
def test_bad_enum_value_is_a_data_error(
    any_db_url: str, table: str, column: str, bad: str, where: str, count: int
) -> None:
    new_db_url = any_db_url
    fx.load(new_db_url)
    engine = make_engine(new_db_url)
    with engine.begin() as conn:
        changed = conn.execute(text(f"UPDATE {table} SET {column} = :bad WHERE {where}"), {"bad": bad}).rowcount
    engine.dispose()
    assert changed == count
    with pytest.raises(DataError) as info:
        extract_indicators(new_db_url, fx.PERIOD, fx.AS_OF)
    msg = str(info.value)
    assert re.search(rf"\b{table}\b", msg), msg
    assert re.search(rf"\b{column}\b", msg), msg
    assert re.search(rf"\b{bad}\b", msg), msg  # 'known', not only 'known_csam'
    assert re.search(rf"(?<![\d.§]){count}(?![\d.])", msg), msg  # the row count
    for ref in fx.account_refs():
        assert ref not in msg


# ---------------------------------------------------------------- determinism beyond the fixture


def test_text_lists_do_not_follow_the_database_collation(new_pg_icu_url: str, new_sqlite_url: str) -> None:
    """Reading R11: text lists sorted by code point whatever the database collation; both backends agree."""
    fx.load(new_pg_icu_url)
    icu = extract_indicators(new_pg_icu_url, fx.PERIOD, fx.AS_OF)
    assert icu.value("other_file_types", region="all") == "GIF, docx, gif, pdf"  # en-US would give docx, gif, GIF
    assert icu.value("other_file_types", service="Beta Mail", region="all") == "GIF, docx, pdf"
    assert icu.to_csv() == _extract(new_sqlite_url).to_csv()


def test_rate_ties_round_half_away_from_zero(any_db_url: str) -> None:
    new_db_url = any_db_url
    """1/32 = 3.125 % -> 3.13 and 5/32 = 15.625 % -> 15.63 (half-even or binary floats give 3.12 and 15.62)."""
    upgrade(new_db_url, "source")
    svc = "Gamma Chat"
    base = {"service": svc, "file_type": None, "automated": True, "erased_at": None, "hold_ref": None}
    rows = []
    for i in range(32):  # known_csam: 32 items, 1 not_abuse
        rows.append(
            {
                **base,
                "id": 1 + i,
                "technology": "photodna",
                "category": "known_csam",
                "data_type": "image",
                "user_region": "eu",
                "account_ref": f"acct-k{i}",
                "flagged_at": datetime(2025, 6, 1),
                "reviewed_at": datetime(2025, 6, 2),
                "verdict": "not_abuse" if i == 0 else "confirmed",
            }
        )
    for i in range(32):  # solicitation: 32 EU accounts, 5 with only not_abuse
        rows.append(
            {
                **base,
                "id": 101 + i,
                "technology": "grooming_classifier",
                "category": "solicitation",
                "data_type": "text",
                "user_region": "eu",
                "account_ref": f"acct-q{i}",
                "flagged_at": datetime(2025, 6, 1),
                "reviewed_at": datetime(2025, 6, 2),
                "verdict": "not_abuse" if i < 5 else "confirmed",
            }
        )
    engine = make_engine(new_db_url)
    with engine.begin() as conn:
        conn.execute(insert(Detection), rows)
    engine.dispose()
    res = extract_indicators(new_db_url, fx.PERIOD, fx.AS_OF)
    assert res.services == (svc,)
    for service in (svc, ALL):
        for tech in ("-", "photodna"):
            r = res.get("error_rate", service=service, category="known_csam", technology=tech, region="all")
            assert (str(r.value), r.unit) == ("3.13", "percent"), (service, tech, r)
        for tech in ("-", "grooming_classifier"):
            r = res.get("error_rate", service=service, category="solicitation", technology=tech, region="eu")
            assert (str(r.value), r.unit) == ("15.63", "percent"), (service, tech, r)
        assert res.value("flagged", service=service, category="solicitation", region="eu") == 32
        assert res.value("not_abuse", service=service, category="solicitation", region="eu") == 5
