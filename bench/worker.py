"""One benchmark measurement in its own process, so the parent can read its peak RSS with ``wait4``.

``python -m bench.worker {seed,extract,floor,fair,explain,pandas,cli} URL SCALE`` prints one JSON line with the
seconds measured.
"""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csa_report.db import make_engine, normalise_url, read_only_source
from csa_report.period import Period

PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 15)

# The naive floor (second reference): one aggregate query per source table that reads the period's rows once,
# written as a DBA would (plain comparisons on the raw columns). Tables without a timestamp are read whole. It
# counts rows, so it skips the work that exact distinct counts need.
FLOOR = {
    "processing_volumes": "SELECT count(*), sum(items), sum(bytes) FROM processing_volumes "
    "WHERE day >= :d0 AND day <= :d1",
    "detections": "SELECT count(*), sum(CASE WHEN reviewed_at <= :asof THEN 1 ELSE 0 END) FROM detections "
    "WHERE flagged_at >= :t0 AND flagged_at < :t1",
    "reports": "SELECT count(*) FROM reports WHERE sent_at >= :t0 AND sent_at < :t1",
    "report_items": "SELECT count(*), sum(detection_id) FROM report_items",
    "report_accounts": "SELECT count(*), max(account_ref) FROM report_accounts",
    "content_actions": "SELECT count(*) FROM content_actions WHERE removed_at >= :t0 AND removed_at < :t1",
    "account_actions": "SELECT count(*) FROM account_actions WHERE taken_at >= :t0 AND taken_at < :t1",
    "complaints": "SELECT count(*), sum(CASE WHEN decided_at <= :asof THEN 1 ELSE 0 END) FROM complaints "
    "WHERE lodged_at >= :t0 AND lodged_at < :t1",
}

# The fair floor (the headline reference): the least work that gives the standard form's exact numbers for all
# services together (no per-service breakdown). Each source table is read once for the period (reports once,
# shared by the item and account groupings through a CTE), joined only where an indicator needs a column of
# another table (the category of a reported item, removal or contested action; the data type and region of a
# reported item; the region of a removed item or contested action), and each distinct count is one hash grouping
# on its key (reported item, EU account per role, report concerning an EU user, solicitation account, account
# suspended or restricted). The region is one more group key where the form splits by EU. A report concerns an EU
# user when one of its items' detections or named accounts is an EU user's: two IN tests on the period's
# reports, each one hashed set of report ids (one grouping per report id fed by the item and account joins
# through GROUPING SETS took 8.5 s against 6.4 s on PostgreSQL at 1 M detections: not the least work). Plain
# comparisons on the raw timestamp columns, bound parameters.
_REPORTS_OF_PERIOD = "(SELECT id, category FROM reports WHERE sent_at >= :t0 AND sent_at < :t1) "
_REPORTS_ITEMS_ACCOUNTS = (
    "SELECT 'rep', category, NULL, NULL, count(*) FROM rp GROUP BY category "
    "UNION ALL SELECT 'items', category, data_type, user_region, count(*) FROM ("
    " SELECT rp.category, d.data_type, d.user_region, ri.detection_id FROM report_items ri"
    " JOIN rp ON rp.id = ri.report_id JOIN detections d ON d.id = ri.detection_id"
    " GROUP BY rp.category, d.data_type, d.user_region, ri.detection_id) i"
    " GROUP BY category, data_type, user_region "
    "UNION ALL SELECT 'accts', category, role, NULL, count(*) FROM ("
    " SELECT rp.category, ra.role, ra.account_ref FROM report_accounts ra JOIN rp ON rp.id = ra.report_id"
    " WHERE ra.user_region = 'eu' GROUP BY rp.category, ra.role, ra.account_ref) a GROUP BY category, role "
    "UNION ALL SELECT 'rep_eu', category, NULL, NULL, count(*) FROM rp"
    " WHERE id IN (SELECT report_id FROM report_accounts WHERE user_region = 'eu')"
    " OR id IN (SELECT ri.report_id FROM report_items ri JOIN detections d ON d.id = ri.detection_id"
    " WHERE d.user_region = 'eu') GROUP BY category"
)
FAIR_FLOOR = {
    "processing_volumes": (
        "SELECT data_type, user_region, count(*), sum(items), sum(bytes) FROM processing_volumes "
        "WHERE day >= :d0 AND day <= :d1 GROUP BY data_type, user_region"
    ),
    "detections": (
        "SELECT category, technology, count(acct), sum(n), sum(r) FROM ("
        " SELECT category, technology, acct, count(*) AS n,"
        "  sum(CASE WHEN reviewed_at <= :asof THEN 1 ELSE 0 END) AS r FROM ("
        "  SELECT category, technology, reviewed_at, CASE WHEN category = 'solicitation' AND user_region = 'eu'"
        "   THEN account_ref END AS acct FROM detections"
        "   WHERE flagged_at >= :t0 AND flagged_at < :t1 AND automated) d0"
        " GROUP BY category, technology, acct) g GROUP BY category, technology"
    ),
    "reports_items_accounts": "WITH rp AS MATERIALIZED " + _REPORTS_OF_PERIOD + _REPORTS_ITEMS_ACCOUNTS,
    "content_actions": (
        "SELECT d.category, d.user_region, count(*) FROM content_actions ca JOIN detections d"
        " ON d.id = ca.detection_id "
        "WHERE ca.removed_at >= :t0 AND ca.removed_at < :t1 GROUP BY d.category, d.user_region"
    ),
    "account_actions": (
        "SELECT 'actions', category, user_region, action, count(*), NULL FROM account_actions "
        "WHERE taken_at >= :t0 AND taken_at < :t1 GROUP BY category, user_region, action "
        "UNION ALL SELECT 'accounts', category, NULL, kind, count(*), sum(eu) FROM ("
        " SELECT category, CASE WHEN action = 'restrict' THEN 'restricted' ELSE 'suspended' END AS kind,"
        "  max(CASE WHEN user_region = 'eu' THEN 1 ELSE 0 END) AS eu FROM account_actions"
        "  WHERE taken_at >= :t0 AND taken_at < :t1 AND account_ref IS NOT NULL"
        "  AND action IN ('suspend', 'terminate', 'restrict')"
        " GROUP BY category, CASE WHEN action = 'restrict' THEN 'restricted' ELSE 'suspended' END, account_ref) a"
        " GROUP BY category, kind"
    ),
    "complaints": (
        "SELECT c.subject, c.channel, coalesce(d.category, aa.category), coalesce(d.user_region, aa.user_region),"
        " count(*), sum(CASE WHEN c.decided_at <= :asof THEN 1 ELSE 0 END) FROM complaints c"
        " LEFT JOIN content_actions ca ON c.subject = 'content' AND ca.id = c.content_action_id"
        " LEFT JOIN detections d ON d.id = ca.detection_id"
        " LEFT JOIN account_actions aa ON c.subject = 'account' AND aa.id = c.account_action_id"
        " WHERE c.lodged_at >= :t0 AND c.lodged_at < :t1"
        " AND (c.subject = 'content' OR aa.action IN ('suspend', 'terminate'))"
        " GROUP BY c.subject, c.channel, coalesce(d.category, aa.category), coalesce(d.user_region, aa.user_region)"
    ),
}


# The floors in Spark SQL. Spark has no ``MATERIALIZED`` hint: the period's reports are a plain CTE, which Spark
# inlines into each of its four uses; its identical scans and shuffles of them are planned once and reused
# (ReuseExchange), which is what the hint asks of PostgreSQL. The rest is the same text (Spark's grammar takes
# it, named parameters included), so the floors ask Spark for the same work as the other backends.
FAIR_FLOOR_SPARK = {
    **FAIR_FLOOR,
    "reports_items_accounts": "WITH rp AS " + _REPORTS_OF_PERIOD + _REPORTS_ITEMS_ACCOUNTS,
}
FLOOR_SPARK = dict(FLOOR)


def is_spark(url: str) -> bool:
    return url.startswith("sc://")


def _params(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # SQLite keeps instants as text; the seed and SQLAlchemy write 'YYYY-MM-DD HH:MM:SS.ffffff', so bounds in
        # that form compare exactly on the raw column (the floors assume that one form; the extraction does not).
        return {
            "d0": "2025-01-01",
            "d1": "2025-12-31",
            "t0": "2025-01-01 00:00:00.000000",
            "t1": "2026-01-01 00:00:00.000000",
            "asof": "2026-01-15 00:00:00.000000",
        }
    return {"d0": PERIOD.start, "d1": PERIOD.end, "t0": PERIOD.start_at, "t1": PERIOD.end_before, "asof": AS_OF}


@contextmanager
def store_bound() -> Iterator[None]:
    """The object store's settings bound for DuckDB views over Parquet on S3, as csa-report's entry points bind
    them (the benchmark's worker is one: it reads the settings, ``CSA_S3_*``)."""
    from csa_report.lake import object_store_settings
    from csa_report.settings import load_settings

    with object_store_settings(load_settings().s3):
        yield


@contextmanager
def source(url: str) -> Iterator[Connection]:
    """The read-only source connection the extraction opens, with the object store bound."""
    with store_bound(), read_only_source(url) as conn:
        yield conn


def seed(url: str, scale: int) -> dict[str, Any]:
    from csa_report.seed import seed as run_seed

    t = time.perf_counter()
    summary = run_seed(url, PERIOD, scale=scale, seed=1)
    seconds = time.perf_counter() - t
    rows = sum(summary.rows.values()) if hasattr(summary, "rows") else None
    return {"seconds": seconds, "rows": rows}


def _warm_up(url: str) -> None:
    """Import the dialect and driver (SQLAlchemy does it on the first engine) before anything is timed: a
    one-off cost of the process, not of reading the data. Spark has no engine: its client is imported."""
    if is_spark(url):
        import pyspark.sql.connect.session  # noqa: F401

        return
    make_engine(url, read_only=True).dispose()


def extract(url: str, _scale: int) -> dict[str, Any]:
    from csa_report.extract import extract_indicators

    tuning = _tuning()  # read outside the timing, as a running flow has its settings already
    _warm_up(url)
    with store_bound():
        t = time.perf_counter()
        ind = extract_indicators(url, PERIOD, AS_OF, tuning)
    return {"seconds": time.perf_counter() - t, "rows": len(ind.rows)}


def _tuning() -> Any:
    """The extraction options of the ``CSA_EXTRACT_*`` settings: the benchmark is an entry point."""
    from csa_report.extract.session import Tuning
    from csa_report.settings import load_settings

    return Tuning.of(load_settings().source)


def _floor(url: str, queries: dict[str, str]) -> dict[str, Any]:
    """Run each floor statement in one read-only transaction tuned like the extraction's (same settings)."""
    from csa_report.extract.session import apply_session, isolation_level

    tuning = _tuning()
    _warm_up(url)
    # Timed from opening the connection, as the extraction is (connecting costs DuckDB about a second).
    start = time.perf_counter()
    params = _params(url)
    per_table: dict[str, float] = {}
    with source(url) as conn:
        if is_spark(url):
            # The extraction's own Spark session (csa_report.sources.spark: UTC, ANSI mode); the Connection-shaped
            # glue takes only SQLAlchemy statements, so the floor's text goes to the session's statement runner.
            spark = cast(Any, conn).source
            for table, sql in queries.items():
                t = time.perf_counter()
                spark.run_sql(sql, {k: v for k, v in params.items() if f":{k}" in sql})
                per_table[table] = time.perf_counter() - t
            return {"seconds": time.perf_counter() - start, "per_table": per_table}
        isolation = isolation_level(conn)
        if isolation:
            conn.execution_options(isolation_level=isolation)
        with conn.begin():
            apply_session(conn, tuning)
            for table, sql in queries.items():
                t = time.perf_counter()
                conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).all()
                per_table[table] = time.perf_counter() - t
    return {"seconds": time.perf_counter() - start, "per_table": per_table}


def floor(url: str, _scale: int) -> dict[str, Any]:
    return _floor(url, FLOOR_SPARK if is_spark(url) else FLOOR)


def fair_floor(url: str, _scale: int) -> dict[str, Any]:
    return _floor(url, FAIR_FLOOR_SPARK if is_spark(url) else FAIR_FLOOR)


def cli(url: str, _scale: int) -> dict[str, Any]:
    """``csa-report extract`` as an operator runs it: a new process, its start-up and imports included, timed
    from spawn to exit. Its peak memory is its rusage ``ru_maxrss`` (the process is gone before its VmHWM could
    be read), which cannot be below this worker's resident size at the spawn (reported as ``spawned_by_mb``)."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    exe = Path(sys.executable).with_name("csa-report")
    with tempfile.TemporaryDirectory(prefix="csa-bench-cli-") as out:
        argv = [str(exe), "extract", "--db", url, "--period", "2025", "--as-of", AS_OF.isoformat(), "--out", out]
        spawned_by = peak_rss_mb()
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"csa-report extract failed with exit code {os.waitstatus_to_exitcode(status)}")
        rows = sum(1 for _ in open(Path(out) / "indicators.csv", encoding="utf-8")) - 1
    return {"seconds": seconds, "rows": rows, "cli_rss_mb": usage.ru_maxrss / 1024, "spawned_by_mb": spawned_by}


#: Plan nodes worth showing from EXPLAIN ANALYZE: what is scanned, joined, grouped, and where time goes.
_KEY_PLAN = re.compile(
    r"(Scan|Join|Nested Loop|Aggregate|Sort|Materialize|CTE|Gather|Planning Time|"
    r"Execution Time|JIT|Timing|Functions|Workers)"
)


def explain(url: str, _scale: int) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of every extraction statement (PostgreSQL); key lines of the heaviest."""
    from csa_report.extract.distinct import account_holders, reported
    from csa_report.extract.queries import ALL_QUERIES
    from csa_report.extract.session import apply_session
    from csa_report.sources import sql_of
    from csa_report.sql_dialect import PeriodParams

    if normalise_url(url).get_backend_name() != "postgresql":
        return {"seconds": 0.0, "statement": None, "lines": []}
    timings: dict[str, float] = {}
    plans: dict[str, list[str]] = {}
    period = {"t0": PERIOD.start_at, "t1": PERIOD.end_before}
    with source(url) as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            apply_session(conn, _tuning())
            q = PeriodParams.bind(sql_of(conn), PERIOD, AS_OF)
            reporting = [
                r[0]
                for r in conn.execute(
                    text("SELECT DISTINCT service FROM reports WHERE sent_at >= :t0 AND sent_at < :t1 ORDER BY 1"),
                    period,
                )
            ]
            acting = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT DISTINCT service FROM account_actions WHERE taken_at >= :t0 AND taken_at < :t1 "
                        "ORDER BY 1"
                    ),
                    period,
                )
            ]
            statements = {b.__name__: b(q) for b in ALL_QUERIES}
            if reporting:
                statements["reported"] = reported(q, reporting)
            if acting:
                statements["account_holders"] = account_holders(q, acting)
            for name, stmt in statements.items():
                compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
                t = time.perf_counter()
                lines = [
                    r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params)
                ]
                timings[name] = time.perf_counter() - t
                plans[name] = lines
    heaviest = max(timings, key=lambda n: timings[n])
    plan = plans[heaviest]
    key = [ln.rstrip() for ln in plan if _KEY_PLAN.search(ln)]
    # The buffers of the whole statement (the top node's), the one BUFFERS line worth keeping.
    buffers = next((ln.strip() for ln in plan if ln.strip().startswith("Buffers:")), None)
    if buffers:
        key.insert(1, f"  (whole statement) {buffers}")
    return {"seconds": timings[heaviest], "statement": heaviest, "timings": timings, "lines": key[:60]}


def pandas_indicators(url: str, _scale: int) -> dict[str, Any]:
    """What a data analyst would write: pull each table's period rows (plain filtered SELECTs, no joins or
    grouping in SQL) into DataFrames, then merge and group in pandas.

    It computes, for all services together (the fair floor's subset of the standard form): section 1 volumes per
    data type and region; section 4 reports per category, all and concerning EU users, distinct reported items
    per category and data type, all and EU, distinct EU accounts per category and role; section 5 removals per
    category, all and EU, account actions per category, region and action, distinct accounts suspended or
    terminated, complaints per subject, channel and category, all and EU (account complaints against suspensions
    and terminations only) with the number decided by the as-of instant; section 6 flagged items, human-reviewed
    and not_abuse per category and technology, and for EU solicitation the distinct accounts flagged, reviewed
    and with only not_abuse verdicts. Not computed: the per-service breakdown, file-type and recipient lists,
    restorations and mean durations of section 5.
    """
    import pandas as pd

    p = _params(url)
    t0, t1, asof = p["t0"], p["t1"], pd.Timestamp(p["asof"])
    out: dict[tuple[str, ...], int] = {}
    t = time.perf_counter()
    with source(url) as conn:

        def read(sql: str, **params: Any) -> Any:
            return pd.read_sql(text(sql), conn, params=params)

        pv = read(
            "SELECT data_type, user_region, items, bytes FROM processing_volumes WHERE day >= :d0 AND day <= :d1",
            d0=p["d0"],
            d1=p["d1"],
        )
        det = read(
            "SELECT category, technology, user_region, account_ref, reviewed_at, verdict FROM detections "
            "WHERE flagged_at >= :t0 AND flagged_at < :t1 AND automated",
            t0=t0,
            t1=t1,
        )
        rep = read("SELECT id, category FROM reports WHERE sent_at >= :t0 AND sent_at < :t1", t0=t0, t1=t1)
        ri = read("SELECT report_id, detection_id FROM report_items")
        ra = read("SELECT report_id, account_ref, role FROM report_accounts WHERE user_region = 'eu'")
        dtypes = read("SELECT id, category, data_type, user_region FROM detections")
        ca = read(
            "SELECT id, detection_id FROM content_actions WHERE removed_at >= :t0 AND removed_at < :t1", t0=t0, t1=t1
        )
        aa = read(
            "SELECT category, user_region, action, account_ref FROM account_actions WHERE taken_at >= :t0 "
            "AND taken_at < :t1",
            t0=t0,
            t1=t1,
        )
        cmp = read(
            "SELECT subject, channel, content_action_id, account_action_id, decided_at FROM complaints "
            "WHERE lodged_at >= :t0 AND lodged_at < :t1",
            t0=t0,
            t1=t1,
        )
        all_ca = read("SELECT id, detection_id FROM content_actions")
        all_aa = read("SELECT id, category, user_region, action FROM account_actions")
    for (dt, region), g in pv.groupby(["data_type", "user_region"]):
        out[("volume_items", dt, region)] = int(g["items"].sum())
        out[("volume_bytes", dt, region)] = int(g["bytes"].sum())
    # section 6
    det["reviewed"] = pd.to_datetime(det["reviewed_at"]).le(asof)
    det["not_abuse"] = det["reviewed"] & det["verdict"].eq("not_abuse")
    det["confirmed"] = det["reviewed"] & det["verdict"].eq("confirmed")
    items = det[det["category"] != "solicitation"]
    for (cat, tech), g in items.groupby(["category", "technology"]):
        out[("flagged", cat, tech)] = len(g)
        out[("human_reviewed", cat, tech)] = int(g["reviewed"].sum())
        out[("not_abuse", cat, tech)] = int(g["not_abuse"].sum())
    sol = det[(det["category"] == "solicitation") & det["user_region"].eq("eu") & det["account_ref"].notna()]
    acc = sol.groupby("account_ref")[["reviewed", "not_abuse", "confirmed"]].any()
    out[("flagged", "solicitation", "-")] = len(acc)
    out[("human_reviewed", "solicitation", "-")] = int(acc["reviewed"].sum())
    out[("not_abuse", "solicitation", "-")] = int((acc["not_abuse"] & ~acc["confirmed"]).sum())
    # section 4
    for cat, g in rep.groupby("category"):
        out[("reports", cat)] = len(g)
    rep_items = ri.merge(rep, left_on="report_id", right_on="id").merge(
        dtypes[["id", "data_type", "user_region"]], left_on="detection_id", right_on="id", suffixes=("", "_d")
    )
    distinct_items = rep_items.drop_duplicates(["category", "data_type", "detection_id"])
    for (cat, dt), n in distinct_items.groupby(["category", "data_type"]).size().items():
        out[("reported_items", cat, dt)] = int(n)
    for (cat, dt), n in (
        distinct_items[distinct_items["user_region"] == "eu"].groupby(["category", "data_type"]).size().items()
    ):
        out[("reported_items", cat, dt, "eu")] = int(n)
    # Reports concerning an EU user: one of its items' detections or named accounts is an EU user's.
    eu_ids = set(rep_items.loc[rep_items["user_region"] == "eu", "report_id"]) | set(ra["report_id"])
    for cat, n in rep[rep["id"].isin(eu_ids)].groupby("category").size().items():
        out[("reports", cat, "eu")] = int(n)
    rep_accts = ra.merge(rep, left_on="report_id", right_on="id")
    for (cat, role), n in (
        rep_accts.drop_duplicates(["category", "role", "account_ref"]).groupby(["category", "role"]).size().items()
    ):
        out[("accounts", cat, role)] = int(n)
    # section 5
    removed = ca.merge(
        dtypes[["id", "category", "user_region"]], left_on="detection_id", right_on="id", suffixes=("", "_d")
    )
    for cat, n in removed.groupby("category").size().items():
        out[("content_removed", cat)] = int(n)
    for cat, n in removed[removed["user_region"] == "eu"].groupby("category").size().items():
        out[("content_removed", cat, "eu")] = int(n)
    for (cat, region, action), n in aa.groupby(["category", "user_region", "action"]).size().items():
        out[("account_actions", cat, region, action)] = int(n)
    # Indicators v2: distinct accounts suspended or terminated (a permanent suspension), per category and region.
    susp = aa[aa["action"].isin(["suspend", "terminate"])]
    for (cat, region), g in susp.groupby(["category", "user_region"]):
        out[("accounts_suspended", cat, region)] = int(g["account_ref"].nunique())
    content_cat = all_ca.merge(
        dtypes[["id", "category", "user_region"]], left_on="detection_id", right_on="id", suffixes=("", "_d")
    )[["id", "category", "user_region"]]
    cmp = cmp.merge(
        content_cat.rename(columns={"id": "content_action_id", "category": "c_cat", "user_region": "c_region"}),
        on="content_action_id",
        how="left",
    )
    cmp = cmp.merge(
        all_aa.rename(columns={"id": "account_action_id", "category": "a_cat", "user_region": "a_region"}),
        on="account_action_id",
        how="left",
    )
    # v2: complaints about accounts count only against suspensions and terminations.
    cmp = cmp[(cmp["subject"] == "content") | cmp["action"].isin(["suspend", "terminate"])]
    cmp["category"] = cmp["c_cat"].where(cmp["subject"] == "content", cmp["a_cat"])
    cmp["region"] = cmp["c_region"].where(cmp["subject"] == "content", cmp["a_region"])
    cmp["decided"] = pd.to_datetime(cmp["decided_at"]).le(asof)
    for (subject, channel, cat), g in cmp.groupby(["subject", "channel", "category"]):
        out[(f"{subject}_complaints", channel, cat)] = len(g)
        out[(f"{subject}_decided", channel, cat)] = int(g["decided"].sum())
    for (subject, channel, cat), g in cmp[cmp["region"] == "eu"].groupby(["subject", "channel", "category"]):
        out[(f"{subject}_complaints", channel, cat, "eu")] = len(g)
        out[(f"{subject}_decided", channel, cat, "eu")] = int(g["decided"].sum())
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "figures": {"|".join(k): v for k, v in sorted(out.items())}}


def main() -> None:
    # pyspark warns about the pandas version at import and on every session; it is handed no pandas frame.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    kind, url, scale = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = {
        "seed": seed,
        "extract": extract,
        "floor": floor,
        "fair": fair_floor,
        "explain": explain,
        "pandas": pandas_indicators,
        "cli": cli,
    }[kind](url, scale)
    # The CLI's process is the one measured there, not this worker that waited for it.
    result["peak_rss_mb"] = result.pop("cli_rss_mb", None) or peak_rss_mb()
    print(json.dumps(result))


def peak_rss_mb() -> float | None:
    """This process's own peak resident memory (VmHWM, Linux). Not the rusage of the child as its parent sees
    it: Linux carries the parent's high-water mark over fork and exec into the child's ru_maxrss, so a parent
    that once held a DuckDB export would make every later child look as large."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


if __name__ == "__main__":
    main()
