"""``make bench``: extraction vs its fair floor (and the naive row-count floor) on PostgreSQL, SQLite, DuckDB,
DuckDB over Parquet (local or on S3) and Spark.

For each backend and scale it seeds a fresh database (bench/stores.py), then alternates the measurements round
by round (fair floor, extraction, on PostgreSQL the ``csa-report extract`` CLI, naive floor), each in a child
process (peak memory its own VmHWM; on Spark plus the Spark server's over the same measurement), and reports
the median of the rounds; every round is listed too, because the machine is noisy. The headline ratio is
extraction ÷ fair floor (bench/worker.py ``FAIR_FLOOR``). On PostgreSQL it adds the key lines of ``EXPLAIN
(ANALYZE, BUFFERS)`` of the heaviest extraction statement. DuckDB is measured on a database file, on views over
Parquet files in a local folder or on a local SeaweedFS, and Spark on tables over those files in a local Spark
Connect server, with the time to load (export) shown apart from the extraction. Writes Markdown.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (``python bench/bench_extract.py``): bench.stores importable

from bench.stores import (  # noqa: E402
    DUCKDB_SEEDED,
    PG_ADMIN,
    drop_db,
    fresh_db,
    reset_peak,
    status_mb,
    to_parquet,
    to_parquet_s3,
    to_spark,
)


@dataclass
class Measure:
    seconds: float
    #: The worker's (or the CLI's) peak plus, on Spark, the server's peak over the same measurement.
    rss_mb: float
    data: dict[str, Any]
    client_mb: float = 0.0
    server_mb: float | None = None


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

    def memory(self) -> str:
        """Peak memory as the table shows it: on Spark, the sum and its two parts (of the same round)."""
        top = max(self.runs, key=lambda m: m.rss_mb)
        if top.server_mb is None:
            return f"{top.rss_mb:.0f} MB"
        return f"{top.rss_mb:.0f} MB ({top.client_mb:.0f} client + {top.server_mb:.0f} Spark driver)"


def run(kind: str, url: str, scale: int, server_pid: int | None = None) -> Measure:
    """One measurement in a worker process. With ``server_pid`` (the local Spark server's JVM, driver and
    executors in one process), that process's VmHWM is reset before and read after, and added to the worker's:
    both run at once, so the sum bounds their joint peak from above."""
    reset = reset_peak(server_pid) if server_pid is not None else False
    if server_pid is not None and not reset:
        print(f"    (could not reset the peak of process {server_pid}: its lifetime peak is shown)", flush=True)
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
    client = float(data.get("peak_rss_mb") or usage.ru_maxrss / 1024)
    server = status_mb(server_pid, "VmHWM") if server_pid is not None else None
    return Measure(float(data["seconds"]), client + (server or 0.0), data, client, server)


def alternate(kinds: list[str], url: str, scale: int, rounds: int, server_pid: int | None = None) -> dict[str, Rounds]:
    """``rounds`` rounds of every kind in turn (a, b, c, a, b, c, …), so slow phases of a noisy machine hit all."""
    result = {k: Rounds() for k in kinds}
    for i in range(rounds):
        for k in kinds:
            m = run(k, url, scale, server_pid)
            result[k].runs.append(m)
            part = f" ({m.client_mb:.0f} client + {m.server_mb:.0f} Spark driver)" if m.server_mb is not None else ""
            print(
                f"    round {i + 1} {k}: {m.seconds:.2f} s, {m.rss_mb:.0f} MB{part}, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return result


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
    try:
        import pyspark

        spark = f"Spark {pyspark.__version__} (local[2] Spark Connect, 768 MB driver heap)"
    except ImportError:
        spark = "Spark not installed"
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} × {cpu}, {mem_gb:.0f} GiB RAM, {platform.platform()}; Python "
        f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, PostgreSQL {pg}, "
        f"SQLite {sqlite3.sqlite_version}, DuckDB {duck}, psycopg {psycopg.__version__}, pandas {pd}, {spark}; "
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
        "same files on a local SeaweedFS, read through s3fs), spark (tables over the same files in a local Spark "
        "Connect server; not in the default: it needs Java and the extra spark)",
    )
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement (median shown)")
    ap.add_argument(
        "--cli-backends",
        default="postgresql",
        help="backends on which `csa-report extract` (a new process, start-up included) is measured too",
    )
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
    cli_backends = set(filter(None, args.cli_backends.split(",")))
    per_backend = {
        b: [int(x) for x in v.split(",")]
        for b, v in (item.split("=", 1) for item in args.scales_for.split(";") if item)
    }
    plan = [(b, s) for b in backends for s in per_backend.get(b, scales)]
    measured: dict[tuple[str, int], dict[str, Rounds]] = {}
    duck_seeds: dict[int, tuple[str, Measure]] = {}
    for done, (backend, scale) in enumerate(plan, 1):
        shared = backend in DUCKDB_SEEDED and scale in duck_seeds
        if shared:
            url, seeded = duck_seeds[scale]
            print(f"[{backend} {scale:,}] the DuckDB seed of this scale is reused", flush=True)
        else:
            url = fresh_db(backend, scale, args.workdir)
            print(f"[{backend} {scale:,}] seeding …", flush=True)
            seeded = run("seed", url, scale)
            if backend in DUCKDB_SEEDED:
                duck_seeds[scale] = (url, seeded)
        rows = seeded.data.get("rows") or scale
        load_note = f"{seeded.seconds:.0f} s ({rows / seeded.seconds:,.0f} rows/s)" + (
            " (the same DuckDB seed as above)" if shared else ""
        )
        print(f"[{backend} {scale:,}] seeded {rows:,} rows in {seeded.seconds:.0f} s", flush=True)
        if backend == "postgresql":
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        measured_url, store, server_pid = url, None, None
        if backend == "parquet":
            measured_url, export_s = to_parquet(url, args.workdir, scale)
            load_note += f" + Parquet export and views {export_s:.1f} s"
        if backend == "parquet-s3":
            measured_url, export_s, store = to_parquet_s3(url, args.workdir, scale)
            load_note += f" + Parquet export, upload to SeaweedFS and views {export_s:.1f} s"
        if backend == "spark":
            measured_url, export_s, start_s, store = to_spark(url, args.workdir, scale)
            server_pid = store.pgid  # type: ignore[attr-defined]  # the JVM is its process group's only process
            load_note += f" + Parquet export and Spark tables {export_s:.1f} s (server start {start_s:.0f} s)"
            idle = status_mb(server_pid, "VmRSS")
            details.append(f"- Spark server after start and table creation: {idle or 0:.0f} MB resident")
        kinds = ["fair", "extract", *(["cli"] if backend in cli_backends else []), "floor"]
        r = alternate(kinds, measured_url, scale, args.rounds, server_pid)
        fair, ext, naive, cli = r["fair"], r["extract"], r["floor"], r.get("cli")
        # The analyst's pandas reads rows through SQLAlchemy, which the Spark source does not offer.
        pandas = run("pandas", measured_url, scale) if scale == args.pandas_scale and backend != "spark" else None
        ratio = ext.seconds / fair.seconds
        print(
            f"[{backend} {scale:,}] fair floor {fair.seconds:.2f} s, extract {ext.seconds:.2f} s "
            f"(ratio {ratio:.2f}), naive floor {naive.seconds:.2f} s, extract RSS {ext.memory()}"
            + (f", CLI {cli.seconds:.2f} s ({cli.seconds / fair.seconds:.2f})" if cli else ""),
            flush=True,
        )
        measured[(backend, scale)] = r
        table.append(
            f"| {backend} | {scale:,} | {rows:,} | {load_note} | {seeded.rss_mb:.0f} MB "
            f"| {fair.seconds:.2f} s | {ext.seconds:.2f} s | **{ratio:.2f}** | {naive.seconds:.2f} s "
            f"| {ext.seconds / naive.seconds:.1f} | {ext.memory()} | "
            + (
                f"{cli.seconds:.2f} s (**{cli.seconds / fair.seconds:.2f}** × fair floor), {cli.memory()}"
                if cli
                else "–"
            )
            + " | "
            + (
                f"{pandas.seconds:.2f} s ({pandas.seconds / ext.seconds:.1f}× extraction), {pandas.rss_mb:.0f} MB"
                if pandas
                else "–"
            )
            + " |"
        )
        details.append(
            f"- **{backend}, {scale:,} detections** — fair floor: {fair.all()} s; extraction: "
            f"{ext.all()} s; " + (f"CLI extraction: {cli.all()} s; " if cli else "") + f"naive floor: {naive.all()} s"
        )
        details.append(
            "  - peak memory by round (MB): "
            + "; ".join(f"{k} " + ", ".join(f"{m.rss_mb:.0f}" for m in v.runs) for k, v in r.items())
            + (" (client + Spark driver)" if server_pid is not None else "")
        )
        per_table = fair.runs[0].data.get("per_table", {})
        if per_table:
            details.append(
                "  - fair floor by statement (round 1): " + ", ".join(f"{k} {v:.2f} s" for k, v in per_table.items())
            )
        if backend == "postgresql":
            plan_data = run("explain", measured_url, scale).data
            details.append(
                f"  - heaviest extraction statement: `{plan_data['statement']}` "
                f"({plan_data['seconds']:.2f} s under EXPLAIN ANALYZE); all: "
                + ", ".join(f"{k} {v:.2f} s" for k, v in plan_data["timings"].items())
            )
            details += ["", "    ```", *[f"    {ln}" for ln in plan_data["lines"]], "    ```", ""]
        if store is not None:
            store.stop()  # type: ignore[attr-defined]
        if measured_url != url:
            drop_db(backend, measured_url)
        if not any(b in DUCKDB_SEEDED and s == scale for b, s in plan[done:]) or backend not in DUCKDB_SEEDED:
            drop_db(backend, url)
        if done < len(plan):
            # Hours of measuring must not be lost to an interrupted run: the table so far is written now.
            progress = f"{done} of {len(plan)} measurements so far"
            write_measured(args.out, report(args, header_machine, scales, table, details, progress, measured))
    shutil.rmtree(args.workdir, ignore_errors=True)
    write_measured(args.out, report(args, header_machine, scales, table, details, None, measured))
    print(f"wrote {args.out}")


def targets(measured: dict[tuple[str, int], dict[str, Rounds]]) -> list[str]:
    """The issue's targets, read off the measurements: extraction ÷ fair floor on PostgreSQL (≤ 1.25 at 10 M, in
    process and through the CLI), DuckDB on Parquet against PostgreSQL (≥ 3 × faster), and peak memory of the
    extraction (< 300 MB on every backend, Spark's driver included)."""
    out = []
    for (backend, scale), r in sorted(measured.items(), key=lambda m: (m[0][0] != "postgresql", m[0])):
        fair, ext = r["fair"].seconds, r["extract"].seconds
        if backend == "postgresql":
            at = scale >= 10_000_000
            for label, seconds in (("extraction", ext), ("CLI extraction", r["cli"].seconds if "cli" in r else None)):
                if seconds is None:
                    continue
                verdict = ("met" if seconds / fair <= 1.25 else "not met") if at else "the target is at 10 M"
                out.append(
                    f"- PostgreSQL, {scale:,} detections: {label} ÷ fair floor **{seconds / fair:.2f}** "
                    f"(target ≤ 1.25 at 10 M: {verdict})"
                )
        if backend == "parquet" and ("postgresql", scale) in measured:
            pg = measured[("postgresql", scale)]["extract"].seconds
            met = "met" if pg / ext >= 3 else "not met"
            out.append(
                f"- DuckDB on Parquet, {scale:,} detections: extraction {ext:.2f} s against PostgreSQL's "
                f"{pg:.2f} s, **{pg / ext:.1f} ×** faster (target ≥ 3 ×: {met})"
            )
    for backend in dict.fromkeys(b for b, _s in measured):
        rss = max(r["extract"].rss_mb for (b, _s), r in measured.items() if b == backend)
        what = "client and Spark driver together" if backend == "spark" else "the extracting process"
        out.append(
            f"- Peak memory of the extraction on {backend} ({what}): **{rss:.0f} MB** at most "
            f"(target < 300 MB: {'met' if rss < 300 else 'not met'})"
        )
    return out


def report(
    args: argparse.Namespace,
    header_machine: str,
    scales: list[int],
    table: list[str],
    details: list[str],
    partial: str | None,
    measured: dict[tuple[str, int], dict[str, Rounds]],
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
        "| extraction ÷ fair floor | naive floor | extraction ÷ naive | extraction RSS | CLI extraction "
        "| pandas (subset: see above) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
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
