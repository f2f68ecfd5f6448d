"""Session fixtures of the Spark tests: one seeded load shared by test_spark_seeded.py and test_spark_render.py.

Every Spark statement costs about a second of planning on the local server whatever the size of the data, so
loading the seed into Spark once (17 statements) and extracting its indicators once (10 statements), rather than
once per test, saves a good part of the Spark tests' time. The tests only read these databases (extraction,
checks and render open their source read-only), so sharing them makes no test depend on another.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from csa_report.extract import extract_indicators
from csa_report.indicators import Indicators
from tests.support.services import pg_database, spark_database_url
from tests.support.spark import SEEDED_AS_OF, SEEDED_PERIOD, SeededPair, fill_seeded, load_into_spark


@pytest.fixture(scope="session")
def seeded_pair(pg_admin_dsn: str, spark_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededPair]:
    """The shared seed in PostgreSQL and, through a DuckDB file exported to Parquet, in the session's Spark;
    both dropped at the end of the session."""
    from csa_report.spark.tables import drop_database

    spark_url = spark_database_url(spark_server)
    with pg_database(pg_admin_dsn) as pg_url:
        fill_seeded(pg_url)
        try:
            load_into_spark(spark_url, tmp_path_factory.mktemp("spark-seeded"), fill_seeded)
            yield SeededPair(pg_url, spark_url)
        finally:
            drop_database(spark_url)


@pytest.fixture(scope="session")
def seeded_indicators(seeded_pair: SeededPair) -> tuple[Indicators, Indicators]:
    """(PostgreSQL's, Spark's) indicators of the shared seed, extracted once (Indicators is frozen)."""
    pg = extract_indicators(seeded_pair.pg_url, SEEDED_PERIOD, SEEDED_AS_OF)
    spark = extract_indicators(seeded_pair.spark_url, SEEDED_PERIOD, SEEDED_AS_OF)
    return pg, spark
