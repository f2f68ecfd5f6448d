"""Where ``make bench`` puts the seeded data: a fresh database per backend and scale, the Parquet export (local,
on a local SeaweedFS, or as tables of a local Spark Connect server), and the peak memory of a server process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

PG_ADMIN = os.environ.get("CSA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

#: Backends whose data is seeded into a DuckDB file first (measured on it, or exported from it): at one scale
#: they share one seed (the same rows, as the seed is deterministic), which saves minutes at 10 M detections.
DUCKDB_SEEDED = ("duckdb", "parquet", "parquet-s3", "spark")


def fresh_db(backend: str, scale: int, workdir: Path) -> str:
    if backend == "sqlite":
        path = workdir / f"bench_{scale}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if backend in DUCKDB_SEEDED:
        path = workdir / f"bench_{scale}.duckdb"
        path.unlink(missing_ok=True)
        return f"duckdb:///{path}"
    name = f"csa_bench_{scale}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_db(backend: str, url: str) -> None:
    if url.startswith("sc://"):
        return  # the local Spark's catalog is in memory: it goes with the server (stopped by the caller)
    if backend == "sqlite" or backend in DUCKDB_SEEDED:
        Path(url.split(":///", 1)[1]).unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _export(url: str, workdir: Path, scale: int) -> Path:
    from csa_report.lake import export_parquet

    folder = workdir / f"parquet_{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    export_parquet(url, folder)
    return folder


def to_parquet(url: str, workdir: Path, scale: int) -> tuple[str, float]:
    """Export a seeded DuckDB file to one Parquet file per table, then a new DuckDB file of views over them
    (what a provider with a data lake does, see docs/duckdb.md). Returns the views' URL and the seconds taken."""
    from csa_report.lake import create_parquet_views

    t = time.perf_counter()
    folder = _export(url, workdir, scale)
    views = workdir / f"views_{scale}.duckdb"
    views.unlink(missing_ok=True)
    views_url = f"duckdb:///{views}"
    create_parquet_views(views_url, folder)
    return views_url, time.perf_counter() - t


def to_parquet_s3(url: str, workdir: Path, scale: int) -> tuple[str, float, object]:
    """As ``to_parquet``, then the files uploaded to a local SeaweedFS and the views made over ``s3://`` by
    ``csa-report db parquet-views --folder s3://bench/csa``, as an operator makes them (the store's settings go to
    the environment, where that command and the measured workers read them). Returns the views' URL, the
    seconds of export, upload and views, and the server (stopped by the caller)."""
    from boto3.s3.transfer import TransferConfig

    from csa_report.local.seaweed import BucketSpec, SeaweedServer, ensure_buckets

    server = SeaweedServer(workdir / f"seaweed_{scale}")
    endpoint = server.start()
    for name, value in endpoint.settings_overrides().items():
        os.environ[f"CSA_{name.upper()}"] = value
    t = time.perf_counter()
    folder = _export(url, workdir, scale)
    client = endpoint.client()
    ensure_buckets(client, [BucketSpec("bench")])
    transfer = TransferConfig(multipart_threshold=64 * 2**20)
    for path in sorted(folder.glob("*.parquet")):
        client.upload_file(str(path), "bench", f"csa/{path.name}", Config=transfer)
    shutil.rmtree(folder)  # the measured views read the store only
    views = workdir / f"views_s3_{scale}.duckdb"
    views.unlink(missing_ok=True)
    views_url = f"duckdb:///{views}"
    exe = Path(sys.executable).with_name("csa-report")
    subprocess.run(
        [str(exe), "db", "parquet-views", "--db", views_url, "--folder", "s3://bench/csa"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return views_url, time.perf_counter() - t, server


def to_spark(url: str, workdir: Path, scale: int) -> tuple[str, float, float, object]:
    """As ``to_parquet``, then a local Spark Connect server (csa_report.local.spark, its default driver memory)
    with one table per reporting-schema table over the files. Returns the Spark URL, the seconds of export and
    tables, the seconds the server took to start, and the server (stopped by the caller)."""
    from csa_report.local.spark import LocalSparkServer
    from csa_report.spark.tables import create_parquet_tables

    server = LocalSparkServer(workdir / f"spark_{scale}")
    t = time.perf_counter()
    spark_url = f"{server.start()}/;database=bench_{scale}"
    started = time.perf_counter() - t
    t = time.perf_counter()
    folder = _export(url, workdir, scale)
    create_parquet_tables(spark_url, folder)
    return spark_url, time.perf_counter() - t, started, server


# -- a server's peak memory ---------------------------------------------------------------------------------


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its present resident size (Linux ``clear_refs`` 5, a process of our own),
    so the next reading is the peak of what runs in between; False where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def status_mb(pid: int, field: str) -> float | None:
    """A memory line of /proc/PID/status (``VmHWM``, ``VmRSS``) in MB, None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
