"""A seeded database gives the same indicators and the same check findings on Spark as on PostgreSQL.

The same seed (scale 300, seed 3: every kind of row) is loaded into PostgreSQL and, through a DuckDB file
exported to Parquet, into the session's Spark Connect server (``seeded_pair`` of tests/extract/conftest.py: one load
for this module and test_spark_render.py). One spot value is counted independently with a plain SQL COUNT on the
PostgreSQL side.
"""

from __future__ import annotations

import psycopg
import pytest

from csa_report.checks import evaluate
from csa_report.indicators import Indicators
from csa_report.policies import load_policies
from tests.checks.check_helpers import EXAMPLE
from tests.support.spark import SEEDED_AS_OF as AS_OF
from tests.support.spark import SEEDED_PERIOD as PERIOD
from tests.support.spark import SeededPair

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _pg_count(pg_url: str, sql: str) -> int:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_seeded_indicators_identical_on_postgresql_and_spark(
    seeded_pair: SeededPair, seeded_indicators: tuple[Indicators, Indicators]
) -> None:
    pg, spark = seeded_indicators
    assert spark.services == pg.services == ("Example Chat", "Example Mail")
    assert spark.to_csv() == pg.to_csv()
    assert spark.to_json() == pg.to_json()
    # data-contract §2, section 6 flagged (known_csam): automated detections flagged in the period
    flagged = _pg_count(
        seeded_pair.pg_url,
        "SELECT COUNT(*) FROM detections WHERE category = 'known_csam' AND automated "
        "AND flagged_at >= '2025-01-01' AND flagged_at < '2026-01-01'",
    )
    assert flagged > 0
    assert spark.value("flagged", category="known_csam", region="all") == flagged


def test_checks_give_the_same_findings_on_postgresql_and_spark(
    seeded_pair: SeededPair, seeded_indicators: tuple[Indicators, Indicators]
) -> None:
    policies = load_policies(EXAMPLE, PERIOD)
    pg_ind, spark_ind = seeded_indicators
    pg = evaluate(seeded_pair.pg_url, PERIOD, AS_OF, policies, indicators=pg_ind)
    spark = evaluate(seeded_pair.spark_url, PERIOD, AS_OF, policies, indicators=spark_ind)
    assert not pg.errors, pg.errors
    assert not spark.errors, spark.errors
    pg_findings = [(f.rule, f.severity, f.count, f.message) for f in pg.findings]
    spark_findings = [(f.rule, f.severity, f.count, f.message) for f in spark.findings]
    assert spark_findings == pg_findings
    assert spark.to_json() == pg.to_json()
