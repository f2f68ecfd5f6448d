"""Data into the tests' Spark: whatever a DuckDB database holds, exported to Parquet and registered as tables
(csa_report.lake.export_parquet, csa_report.spark.tables.create_parquet_tables), so Spark reads exactly the rows
the other backends hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from csa_report.lake import export_parquet
from csa_report.spark.tables import create_parquet_tables


def load_into_spark(spark_url: str, folder: Path, fill: Callable[[str], object]) -> str:
    """``fill`` a new DuckDB file in ``folder``, export it to Parquet there, register the tables in the Spark
    database of ``spark_url``; returns ``spark_url``."""
    folder.mkdir(parents=True, exist_ok=True)
    duck = f"duckdb:///{folder / 'spark-source.duckdb'}"
    fill(duck)
    export_parquet(duck, folder / "lake")
    create_parquet_tables(spark_url, folder / "lake")
    return spark_url
