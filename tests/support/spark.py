"""Data into the tests' Spark: whatever a DuckDB database holds, exported to Parquet and registered as tables
(csa_report.lake.export_parquet, csa_report.spark.tables.create_parquet_tables), so Spark reads exactly the rows
the other backends hold. The seed of the session's shared seeded load (``seeded_pair``, tests/extract/conftest.py)
is defined here, so the modules that use it share one definition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from csa_report.lake import export_parquet
from csa_report.period import Period
from csa_report.seed import seed
from csa_report.spark.tables import create_parquet_tables

SEEDED_PERIOD = Period.parse("2025")
SEEDED_AS_OF = datetime(2026, 1, 15)
#: Scale 300, seed 3: every kind of row, both services. A smaller scale would not make Spark faster (planning,
#: not data, dominates its time: about a second a statement) and PostgreSQL seeds it in half a second.
SEEDED_SCALE, SEEDED_SEED = 300, 3


@dataclass(frozen=True)
class SeededPair:
    """A PostgreSQL database and a Spark database holding the rows of the same seed."""

    pg_url: str
    spark_url: str


def fill_seeded(url: str) -> None:
    """The shared seed into the database at ``url``."""
    seed(url, SEEDED_PERIOD, scale=SEEDED_SCALE, seed=SEEDED_SEED)


def load_into_spark(spark_url: str, folder: Path, fill: Callable[[str], object]) -> str:
    """``fill`` a new DuckDB file in ``folder``, export it to Parquet there, register the tables in the Spark
    database of ``spark_url``; returns ``spark_url``."""
    folder.mkdir(parents=True, exist_ok=True)
    duck = f"duckdb:///{folder / 'spark-source.duckdb'}"
    fill(duck)
    export_parquet(duck, folder / "lake")
    create_parquet_tables(spark_url, folder / "lake")
    return spark_url
