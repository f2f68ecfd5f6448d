"""``make bench``: extraction vs its fair floor (and the naive row-count floor) on PostgreSQL, SQLite and DuckDB.

For each backend and scale it seeds a fresh database, then alternates the measurements round by round (fair
floor, extraction, naive floor), each in a child process (peak RSS from ``wait4``), and reports the median of
the rounds; every round is listed too, because the machine is noisy. The headline ratio is extraction ÷ fair
floor (bench/worker.py ``FAIR_FLOOR``). On PostgreSQL it adds the key lines of ``EXPLAIN (ANALYZE, BUFFERS)``
of the heaviest extraction statement. DuckDB is measured on a database file and on views over Parquet files,
with the time to load (export) shown apart from the extraction. Writes Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("CSA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Measure:
    seconds: float
    rss_mb: float
    data: dict[str, Any]


@dataclass
class Rounds:
    """The rounds of one measurement kind: median seconds, all seconds, max RSS."""

    runs: list[Measure] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(m.rss_mb for m in self.runs)

    def all(self) -> str:
        return ", ".join(f"{m.seconds:.2f}" for m in self.runs)


def run(kind: str, url: str, scale: int) -> Measure:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.worker", kind, url, str(scale)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench worker {kind} on {url} failed with exit code {proc.returncode}")
    data = json.loads(out.strip().splitlines()[-1])
    # The child's own high-water mark (bench/worker.py peak_rss_mb); rusage only where /proc is missing.
    return Measure(float(data["seconds"]), float(data.get("peak_rss_mb") or usage.ru_maxrss / 1024), data)


def alternate(kinds: list[str], url: str, scale: int, rounds: int) -> dict[str, Rounds]:
    """``rounds`` rounds of every kind in turn (a, b, c, a, b, c, …), so slow phases of a noisy machine hit all."""
    result = {k: Rounds() for k in kinds}
    for i in range(rounds):
        for k in kinds:
            m = run(k, url, scale)
            result[k].runs.append(m)
            print(f"    round {i + 1} {k}: {m.seconds:.2f} s, {m.rss_mb:.0f} MB", flush=True)
    return result


def fresh_db(backend: str, scale: int, workdir: Path) -> str:
    if backend == "sqlite":
        path = workdir / f"bench_{scale}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if backend in ("duckdb", "parquet", "parquet-s3"):
        path = workdir / f"bench_{scale}.duckdb"
        path.unlink(missing_ok=True)
        return f"duckdb:///{path}"
    name = f"csa_bench_{scale}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_db(backend: str, url: str) -> None:
    if backend in ("sqlite", "duckdb", "parquet", "parquet-s3"):
        Path(url.split(":///", 1)[1]).unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def to_parquet(url: str, workdir: Path, scale: int) -> tuple[str, float]:
    """Export a seeded DuckDB file to one Parquet file per table, then a new DuckDB file of views over them
    (what a provider with a data lake does, see docs/duckdb.md). Returns the views' URL and the seconds taken."""
    from csa_report.lake import create_parquet_views, export_parquet

    folder = workdir / f"parquet_{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    export_parquet(url, folder)
    views = workdir / f"views_{scale}.duckdb"
    views.unlink(missing_ok=True)
    views_url = f"duckdb:///{views}"
    create_parquet_views(views_url, folder)
    return views_url, time.perf_counter() - t


def to_parquet_s3(url: str, workdir: Path, scale: int) -> tuple[str, float, object]:
    """As ``to_parquet``, then the files uploaded to a local SeaweedFS and the views made over ``s3://`` (the
    store's settings go to the environment, where the extraction's connections read them). Returns the views'
    URL, the seconds of export, upload and views, and the server (stopped by the caller)."""
    from boto3.s3.transfer import TransferConfig

    from csa_report.lake import create_parquet_views, export_parquet
    from csa_report.local.seaweed import BucketSpec, SeaweedServer, ensure_buckets
    from csa_report.settings import load_settings

    folder = workdir / f"parquet_{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    server = SeaweedServer(workdir / f"seaweed_{scale}")
    endpoint = server.start()
    for name, value in endpoint.settings_overrides().items():
        os.environ[f"CSA_{name.upper()}"] = value
    t = time.perf_counter()
    export_parquet(url, folder)
    client = endpoint.client()
    ensure_buckets(client, [BucketSpec("bench")])
    transfer = TransferConfig(multipart_threshold=64 * 2**20)
    for path in sorted(folder.glob("*.parquet")):
        client.upload_file(str(path), "bench", f"csa/{path.name}", Config=transfer)
    views = workdir / f"views_s3_{scale}.duckdb"
    views.unlink(missing_ok=True)
    views_url = f"duckdb:///{views}"
    create_parquet_views(views_url, "s3://bench/csa", load_settings().s3)
    return views_url, time.perf_counter() - t, server


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg = row[0] if row else "?"
    import sqlite3

    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:
        duck = "not installed"
    try:
        import pandas

        pd = pandas.__version__
    except ImportError:
        pd = "not installed"
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} × {cpu}, {mem_gb:.0f} GiB RAM, {platform.platform()}; Python "
        f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, PostgreSQL {pg}, "
        f"SQLite {sqlite3.sqlite_version}, DuckDB {duck}, psycopg {psycopg.__version__}, pandas {pd}; "
        f"load average at the start {load[0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scales", default="1000000,10000000")
    ap.add_argument(
        "--scales-for",
        default="",
        help="per-backend scales overriding --scales, e.g. "
        "'sqlite=1000000;duckdb=1000000' (the 10 M targets concern PostgreSQL and Parquet)",
    )
    ap.add_argument(
        "--backends",
        default="postgresql,sqlite,duckdb,parquet",
        help="any of postgresql, sqlite, duckdb, parquet (views over a local folder), parquet-s3 (views over the "
        "same files on a local SeaweedFS, read through s3fs)",
    )
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement (median shown)")
    ap.add_argument("--pandas-scale", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench-output")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in args.scales.split(",")]
    table: list[str] = []
    details: list[str] = []
    header_machine = machine()
    backends = args.backends.split(",")
    per_backend = {
        b: [int(x) for x in v.split(",")]
        for b, v in (item.split("=", 1) for item in args.scales_for.split(";") if item)
    }
    done, total = 0, sum(len(per_backend.get(b, scales)) for b in backends)
    measured: dict[tuple[str, int], tuple[float, float, float]] = {}
    for backend in backends:
        for scale in per_backend.get(backend, scales):
            url = fresh_db(backend, scale, args.workdir)
            print(f"[{backend} {scale:,}] seeding …", flush=True)
            seeded = run("seed", url, scale)
            rows = seeded.data.get("rows") or scale
            load_note = f"{seeded.seconds:.0f} s ({rows / seeded.seconds:,.0f} rows/s)"
            print(f"[{backend} {scale:,}] seeded {rows:,} rows in {seeded.seconds:.0f} s", flush=True)
            if backend == "postgresql":
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE")
            measured_url, store = url, None
            if backend == "parquet":
                measured_url, export_s = to_parquet(url, args.workdir, scale)
                load_note += f" + Parquet export and views {export_s:.1f} s"
            if backend == "parquet-s3":
                measured_url, export_s, store = to_parquet_s3(url, args.workdir, scale)
                load_note += f" + Parquet export, upload to SeaweedFS and views {export_s:.1f} s"
            r = alternate(["fair", "extract", "floor"], measured_url, scale, args.rounds)
            fair, ext, naive = r["fair"], r["extract"], r["floor"]
            pandas = run("pandas", measured_url, scale) if scale == args.pandas_scale else None
            ratio = ext.seconds / fair.seconds
            print(
                f"[{backend} {scale:,}] fair floor {fair.seconds:.2f} s, extract {ext.seconds:.2f} s "
                f"(ratio {ratio:.2f}), naive floor {naive.seconds:.2f} s, extract RSS {ext.rss_mb:.0f} MB",
                flush=True,
            )
            measured[(backend, scale)] = (fair.seconds, ext.seconds, ext.rss_mb)
            table.append(
                f"| {backend} | {scale:,} | {rows:,} | {load_note} | {seeded.rss_mb:.0f} MB "
                f"| {fair.seconds:.2f} s | {ext.seconds:.2f} s | **{ratio:.2f}** | {naive.seconds:.2f} s "
                f"| {ext.seconds / naive.seconds:.1f} | {ext.rss_mb:.0f} MB | "
                + (
                    f"{pandas.seconds:.2f} s ({pandas.seconds / ext.seconds:.1f}× extraction), {pandas.rss_mb:.0f} MB"
                    if pandas
                    else "–"
                )
                + " |"
            )
            details.append(
                f"- **{backend}, {scale:,} detections** — fair floor: {fair.all()} s; extraction: "
                f"{ext.all()} s; naive floor: {naive.all()} s"
            )
            per_table = fair.runs[0].data.get("per_table", {})
            if per_table:
                details.append(
                    "  - fair floor by statement (round 1): "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in per_table.items())
                )
            if backend == "postgresql":
                plan = run("explain", measured_url, scale).data
                details.append(
                    f"  - heaviest extraction statement: `{plan['statement']}` "
                    f"({plan['seconds']:.2f} s under EXPLAIN ANALYZE); all: "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in plan["timings"].items())
                )
                details += ["", "    ```", *[f"    {ln}" for ln in plan["lines"]], "    ```", ""]
            drop_db(backend, url)
            if measured_url != url:
                drop_db(backend, measured_url)
            if store is not None:
                store.stop()  # type: ignore[attr-defined]
            done += 1
            if done < total:
                # Hours of measuring must not be lost to an interrupted run: the table so far is written now.
                write_measured(
                    args.out,
                    report(
                        args, header_machine, scales, table, details, f"{done} of {total} measurements so far", measured
                    ),
                )
    shutil.rmtree(args.workdir, ignore_errors=True)
    write_measured(args.out, report(args, header_machine, scales, table, details, None, measured))
    print(f"wrote {args.out}")


def targets(measured: dict[tuple[str, int], tuple[float, float, float]]) -> list[str]:
    """The issue's targets, read off the measurements: extraction ÷ fair floor on PostgreSQL (≤ 1.25 at 10 M),
    DuckDB on Parquet against PostgreSQL (≥ 3 × faster), and peak memory of the extraction (< 300 MB)."""
    out = []
    for (backend, scale), (fair, ext, _rss) in sorted(measured.items(), key=lambda m: (m[0][0] != "postgresql", m[0])):
        if backend == "postgresql":
            verdict = ("met" if ext / fair <= 1.25 else "not met") if scale >= 10_000_000 else "the target is at 10 M"
            out.append(
                f"- PostgreSQL, {scale:,} detections: extraction ÷ fair floor **{ext / fair:.2f}** "
                f"(target ≤ 1.25 at 10 M: {verdict})"
            )
        if backend == "parquet" and ("postgresql", scale) in measured:
            pg = measured[("postgresql", scale)][1]
            met = "met" if pg / ext >= 3 else "not met"
            out.append(
                f"- DuckDB on Parquet, {scale:,} detections: extraction {ext:.2f} s against PostgreSQL's "
                f"{pg:.2f} s, **{pg / ext:.1f} ×** faster (target ≥ 3 ×: {met})"
            )
    for backend in ("postgresql", "sqlite"):
        rss = [m[2] for (b, _s), m in measured.items() if b == backend]
        if rss:
            out.append(
                f"- Peak memory of the extraction on {backend}: **{max(rss):.0f} MB** at most "
                f"(target < 300 MB: {'met' if max(rss) < 300 else 'not met'})"
            )
    return out


def report(
    args: argparse.Namespace,
    header_machine: str,
    scales: list[int],
    table: list[str],
    details: list[str],
    partial: str | None,
    measured: dict[tuple[str, int], tuple[float, float, float]],
) -> str:
    lines = [
        f"Generated by `python bench/bench_extract.py` ({args.rounds} alternating rounds, medians shown; every",
        "round listed below the table). Definitions of the floors and the method: docs/benchmarks.md.",
        "",
        f"Machine: {header_machine}.",
        "",
        *(
            [
                "_A validation run at small scale: fixed costs (connecting, reading the catalog) weigh as much as the "
                "work, so these ratios say nothing about the targets at 10 M detections._",
                "",
            ]
            if max(scales) < 1_000_000
            else []
        ),
        "| backend | detections | rows seeded (all tables) | load | load RSS | fair floor | extraction "
        "| extraction ÷ fair floor | naive floor | extraction ÷ naive | extraction RSS | pandas (subset: see above) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *table,
        "",
        "## Targets",
        "",
        *targets(measured),
        "",
        "## Every round",
        "",
        *details,
    ]
    if partial:
        lines[3:3] = [f"_Run in progress or interrupted: {partial}._", ""]
    return "\n".join(lines)


START, END = "<!-- measured:start -->", "<!-- measured:end -->"


def write_measured(out: Path, body: str) -> None:
    """Replace the part between the markers of ``out`` (the hand-written method and analysis stay); a file
    without them gets the measured part alone."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + START + "\n" + body + "\n" + END + rest.split(END, 1)[1]
    else:
        text = "# Benchmarks (measured)\n\n" + body + "\n"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
