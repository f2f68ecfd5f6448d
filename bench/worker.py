"""One benchmark measurement in its own process, so the parent can read its peak RSS with ``wait4``.

``python -m bench.worker {seed,extract,floor,pandas} URL SCALE`` prints one JSON line with the seconds measured.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import Any

from sqlalchemy import text

from csa_report.db import make_engine
from csa_report.period import Period

PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 15)

# The floor: one aggregate query per source table that reads the period's rows once, written as a DBA
# would (plain comparisons on the raw columns). Tables without a timestamp are read whole.
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


def _params(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"d0": "2025-01-01", "d1": "2025-12-31", "t0": "2025-01-01 00:00:00", "t1": "2026-01-01 00:00:00",
                "asof": "2026-01-15 00:00:00"}
    return {"d0": PERIOD.start, "d1": PERIOD.end, "t0": PERIOD.start_at, "t1": PERIOD.end_before, "asof": AS_OF}


def seed(url: str, scale: int) -> dict[str, Any]:
    from csa_report.seed import seed as run_seed

    t = time.perf_counter()
    summary = run_seed(url, PERIOD, scale=scale, seed=1)
    seconds = time.perf_counter() - t
    rows = sum(summary.rows.values()) if hasattr(summary, "rows") else None
    return {"seconds": seconds, "rows": rows}


def extract(url: str, _scale: int) -> dict[str, Any]:
    from tasks.extract import extract_indicators

    t = time.perf_counter()
    ind = extract_indicators(url, PERIOD, AS_OF)
    return {"seconds": time.perf_counter() - t, "rows": len(ind.rows)}


def floor(url: str, _scale: int) -> dict[str, Any]:
    engine = make_engine(url, read_only=True)
    params = _params(url)
    per_table: dict[str, float] = {}
    with engine.connect() as conn:
        for table, sql in FLOOR.items():
            t = time.perf_counter()
            conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).all()
            per_table[table] = time.perf_counter() - t
    return {"seconds": sum(per_table.values()), "per_table": per_table}


def pandas_groupby(url: str, _scale: int) -> dict[str, Any]:
    """What a data analyst would write: pull the period's detections into a DataFrame, then group."""
    import pandas as pd

    engine = make_engine(url, read_only=True)
    params = _params(url)
    t = time.perf_counter()
    with engine.connect() as conn:
        df = pd.read_sql(
            text("SELECT service, category, technology, automated, verdict, reviewed_at, account_ref, user_region "
                 "FROM detections WHERE flagged_at >= :t0 AND flagged_at < :t1"),
            conn, params={"t0": params["t0"], "t1": params["t1"]},
        )
    auto = df[df["automated"].astype(bool)]
    reviewed = auto["reviewed_at"].notna()
    auto = auto.assign(reviewed=reviewed, not_abuse=reviewed & (auto["verdict"] == "not_abuse"))
    auto.groupby(["service", "category", "technology"])[["reviewed", "not_abuse"]].agg(["sum", "count"])
    sol = auto[(auto["category"] == "solicitation") & (auto["user_region"] == "eu")]
    sol.groupby("service")["account_ref"].nunique()
    return {"seconds": time.perf_counter() - t, "rows": len(df)}


def main() -> None:
    kind, url, scale = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = {"seed": seed, "extract": extract, "floor": floor, "pandas": pandas_groupby}[kind](url, scale)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
