"""The reporting schema as Spark tables over a folder of Parquet exports (the shape csa_report.lake writes:
``<table>.parquet`` or a folder ``<table>/`` of part files), in a database of the Spark catalog.

For the tests, the benchmark and a first try on a local Spark; on a provider's cluster the tables usually exist
already and views map them (docs/spark.md). This is the one place csa-report writes to Spark: the extraction,
the checks and the series only read.
"""

from __future__ import annotations

import logging
from pathlib import Path

from csa_report.errors import ConfigError
from csa_report.lake import parquet_source
from csa_report.source_schema import TABLE_ORDER
from csa_report.spark.source import spark_source
from csa_report.spark.url import SparkUrl

log = logging.getLogger(__name__)


def create_parquet_tables(raw_url: str, folder: Path) -> list[str]:
    """Create the database named by the URL's ``database=`` and in it one table per reporting-schema table,
    reading ``folder``'s Parquet files (replacing tables of those names); returns the tables made."""
    url = SparkUrl.parse(raw_url)
    if not url.database:
        raise ConfigError(f"Spark Connect URL {url.describe()}: name the database to create (;database=NAME)")
    if not folder.is_dir():
        raise ConfigError(f"Parquet folder {folder} does not exist or is not a folder")
    # The folder is read by the Spark server, so its path must be one the server sees (the same machine here).
    locations = {t: parquet_source(folder, t).removesuffix("/**/*.parquet") for t in TABLE_ORDER}
    server = SparkUrl(url.host, url.port, url.params, None)
    with spark_source(server.client_url(), "Spark") as spark:
        spark.run_sql("CREATE DATABASE IF NOT EXISTS IDENTIFIER(:db)", {"db": url.database})
        for table, location in locations.items():
            name = f"{url.database}.{table}"
            spark.run_sql("DROP TABLE IF EXISTS IDENTIFIER(:t)", {"t": name})
            spark.run_sql("CREATE TABLE IDENTIFIER(:t) USING parquet LOCATION :path", {"t": name, "path": location})
    log.info("Spark database %s: %d tables over the Parquet files in %s", url.database, len(locations), folder)
    return list(TABLE_ORDER)


def drop_database(raw_url: str) -> None:
    """Drop the URL's database and its tables (the files they read stay): for the tests' clean-up."""
    url = SparkUrl.parse(raw_url)
    if not url.database:
        raise ConfigError(f"Spark Connect URL {url.describe()}: no database to drop")
    server = SparkUrl(url.host, url.port, url.params, None)
    with spark_source(server.client_url(), "Spark") as spark:
        spark.run_sql("DROP DATABASE IF EXISTS IDENTIFIER(:db) CASCADE", {"db": url.database})
