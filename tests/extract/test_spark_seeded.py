"""A seeded database gives the same indicators and the same check findings on Spark as on PostgreSQL.

The same seed (scale 300, seed 3: every kind of row) is loaded into PostgreSQL and, through a DuckDB file
exported to Parquet, into the session's Spark Connect server (tests/support/spark.py). One spot value is counted
independently with a plain SQL COUNT on the PostgreSQL side.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from csa_report.checks import evaluate
from csa_report.extract import extract_indicators
from csa_report.period import Period
from csa_report.policies import load_policies
from csa_report.seed import seed
from tests.checks.check_helpers import EXAMPLE
from tests.support.spark import load_into_spark

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 15)
SCALE, SEED = 300, 3


def _fill(url: str) -> None:
    seed(url, PERIOD, scale=SCALE, seed=SEED)


@pytest.fixture
def seeded_pair(new_pg_url: str, new_spark_url: str, tmp_path: Path) -> tuple[str, str]:
    """(PostgreSQL URL, Spark URL), both holding the rows of the same seed."""
    _fill(new_pg_url)
    load_into_spark(new_spark_url, tmp_path, _fill)
    return new_pg_url, new_spark_url


def _pg_count(pg_url: str, sql: str) -> int:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_seeded_indicators_identical_on_postgresql_and_spark(seeded_pair: tuple[str, str]) -> None:
    pg_url, spark_url = seeded_pair
    pg = extract_indicators(pg_url, PERIOD, AS_OF)
    spark = extract_indicators(spark_url, PERIOD, AS_OF)
    assert spark.services == pg.services == ("Example Chat", "Example Mail")
    assert spark.to_csv() == pg.to_csv()
    assert spark.to_json() == pg.to_json()
    # data-contract §2, section 6 flagged (known_csam): automated detections flagged in the period
    flagged = _pg_count(
        pg_url,
        "SELECT COUNT(*) FROM detections WHERE category = 'known_csam' AND automated "
        "AND flagged_at >= '2025-01-01' AND flagged_at < '2026-01-01'",
    )
    assert flagged > 0
    assert spark.value("flagged", category="known_csam", region="all") == flagged


def test_checks_give_the_same_findings_on_postgresql_and_spark(seeded_pair: tuple[str, str]) -> None:
    pg_url, spark_url = seeded_pair
    policies = load_policies(EXAMPLE, PERIOD)
    pg_ind = extract_indicators(pg_url, PERIOD, AS_OF)
    spark_ind = extract_indicators(spark_url, PERIOD, AS_OF)
    pg = evaluate(pg_url, PERIOD, AS_OF, policies, indicators=pg_ind)
    spark = evaluate(spark_url, PERIOD, AS_OF, policies, indicators=spark_ind)
    assert not pg.errors, pg.errors
    assert not spark.errors, spark.errors
    pg_findings = [(f.rule, f.severity, f.count, f.message) for f in pg.findings]
    spark_findings = [(f.rule, f.severity, f.count, f.message) for f in spark.findings]
    assert spark_findings == pg_findings
    assert spark.to_json() == pg.to_json()
