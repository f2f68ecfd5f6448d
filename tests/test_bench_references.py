"""The benchmark's references compute the standard form's numbers: the fair floor's statements and the pandas
version, run on the hand-counted fixture, give the hand-counted values for all services (so the ratios in
docs/benchmarks.md compare like with like)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import text

from bench import worker
from csa_report.cli import main
from csa_report.lake import export_parquet
from csa_report.local.seaweed import BucketSpec, S3Endpoint, ensure_buckets
from tests.fixtures import handcount as fx
from tests.fixtures.handcount_expected import ALL, EXPECTED, EXPECTED_TECHNOLOGIES
from tests.support.spark import load_into_spark

K, N, S = "known_csam", "new_csam", "solicitation"
REPORTED = {"image": "images_reported", "video": "videos_reported", "other_file": "other_files_reported"}
ROLES = {
    "sender": "accounts_sending",
    "receiver": "accounts_receiving",
    "soliciting": "accounts_soliciting",
    "solicited": "accounts_solicited",
}


def expected(section: int, indicator: str, category: str, technology: str = "-", region: str = "all") -> Any:
    return EXPECTED[(ALL, section, indicator, category, technology, region)][0]


def _pairs() -> list[tuple[str, Any]]:
    """(pandas figure key, hand-counted value) for every figure the references compute."""
    pairs: list[tuple[str, Any]] = []
    for c in (K, N, S):
        pairs.append((f"reports|{c}", expected(4, "reports", c)))
        pairs.append((f"reports|{c}|eu", expected(4, "reports", c, region="eu")))
    for c in (K, N):
        for dt, ind in REPORTED.items():
            pairs.append((f"reported_items|{c}|{dt}", expected(4, ind, c)))
            pairs.append((f"reported_items|{c}|{dt}|eu", expected(4, ind, c, region="eu")))
        for role in ("sender", "receiver"):
            pairs.append((f"accounts|{c}|{role}", expected(4, ROLES[role], c, region="eu")))
        pairs.append((f"content_removed|{c}", expected(5, "content_removed", c)))
        pairs.append((f"content_removed|{c}|eu", expected(5, "content_removed", c, region="eu")))
        for tech in EXPECTED_TECHNOLOGIES[(ALL, c)]:
            for ind in ("flagged", "human_reviewed", "not_abuse"):
                pairs.append((f"{ind}|{c}|{tech}", expected(6, ind, c, tech)))
        for channel in ("internal", "judicial"):
            pairs.append((f"content_complaints|{channel}|{c}", expected(5, f"content_complaints_{channel}", c)))
            pairs.append(
                (f"content_complaints|{channel}|{c}|eu", expected(5, f"content_complaints_{channel}", c, region="eu"))
            )
    for role in ("soliciting", "solicited"):
        pairs.append((f"accounts|{S}|{role}", expected(4, ROLES[role], S, region="eu")))
    for ind in ("flagged", "human_reviewed", "not_abuse"):
        pairs.append((f"{ind}|{S}|-", expected(6, ind, S, region="eu")))
    for c in (K, N, S):
        for channel in ("internal", "judicial"):
            pairs.append((f"account_complaints|{channel}|{c}", expected(5, f"account_complaints_{channel}", c)))
            pairs.append(
                (f"account_complaints|{channel}|{c}|eu", expected(5, f"account_complaints_{channel}", c, region="eu"))
            )
        pairs.append((f"accounts_suspended|{c}|eu", expected(5, "accounts_suspended", c, region="eu")))
    pairs.append(("volume_items|image|eu", expected(1, "images_processed", "-", region="eu")))
    pairs.append(("volume_bytes|text|eu", expected(1, "text_bytes_processed", "-", region="eu")))
    return pairs


@pytest.fixture(params=["sqlite", "duckdb"])
def loaded_url(request: pytest.FixtureRequest) -> str:
    url = str(request.getfixturevalue(f"new_{request.param}_url"))
    fx.load(url)
    return url


SPARK = pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])


@pytest.fixture(params=["sqlite", "duckdb", "pg", "parquet-s3", SPARK])
def floor_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The floors run on every backend the benchmark measures, as it runs them: each is checked. Parquet on S3
    is DuckDB views over the fixture's export on the session's SeaweedFS (``db parquet-views``); Spark is tables
    over that export in the session's local Spark Connect server."""
    if request.param == "spark":
        return load_into_spark(str(request.getfixturevalue("new_spark_url")), tmp_path, fx.load)
    if request.param == "parquet-s3":
        return _s3_views(request, tmp_path)
    url = str(request.getfixturevalue(f"new_{request.param}_url"))
    fx.load(url)
    return url


def _s3_views(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    store: S3Endpoint = request.getfixturevalue("seaweed")
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    for name, value in store.settings_overrides().items():
        monkeypatch.setenv(f"CSA_{name.upper()}", value)
    ensure_buckets(store.client(), [BucketSpec("csa-bench")])
    source = f"duckdb:///{tmp_path / 'export.duckdb'}"
    fx.load(source)
    export_parquet(source, tmp_path / "lake")
    prefix = f"floors-{uuid.uuid4().hex[:8]}"
    for path in sorted((tmp_path / "lake").glob("*.parquet")):
        store.client().upload_file(str(path), "csa-bench", f"{prefix}/{path.name}")
    views = f"duckdb:///{tmp_path / 'views.duckdb'}"
    assert main(["db", "parquet-views", "--db", views, "--folder", f"s3://csa-bench/{prefix}"]) == 0
    return views


def floor_rows(url: str, queries: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every statement's rows, on the connection the benchmark's worker opens (on Spark, its Spark SQL text
    through the extraction's Spark Connect session)."""
    params = worker._params(url)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with worker.source(url) as conn:
        for name, sql in queries.items():
            bound = {k: v for k, v in params.items() if f":{k}" in sql}
            if worker.is_spark(url):
                rows[name] = [tuple(r) for r in cast(Any, conn).source.run_sql(sql, bound)]
            else:
                rows[name] = [tuple(r) for r in conn.execute(text(sql), bound)]
    return rows


def fair_floor_of(url: str) -> dict[str, str]:
    return worker.FAIR_FLOOR_SPARK if worker.is_spark(url) else worker.FAIR_FLOOR


def test_pandas_version_gives_the_hand_counted_values(loaded_url: str) -> None:
    figures = worker.pandas_indicators(loaded_url, 0)["figures"]
    pairs = _pairs()
    got = {key: figures.get(key, 0) for key, _ in pairs}
    assert got == dict(pairs)
    assert len(pairs) == 65  # every figure the pandas version computes that the fixture has a hand count for


def test_fair_floor_gives_the_hand_counted_values(floor_url: str) -> None:
    rows = floor_rows(floor_url, fair_floor_of(floor_url))
    # (kind, category, data type or role, region) -> count; the region is only a key of the reported items.
    ria = {(kind, cat, key, region): n for kind, cat, key, region, n in rows["reports_items_accounts"]}
    for c in (K, N, S):
        assert ria[("rep", c, None, None)] == expected(4, "reports", c)
        assert ria.get(("rep_eu", c, None, None), 0) == expected(4, "reports", c, region="eu"), c
    for c in (K, N):
        for dt, ind in REPORTED.items():
            by_region = {r: ria.get(("items", c, dt, r), 0) for r in ("eu", "non_eu")}
            assert sum(by_region.values()) == expected(4, ind, c), (c, dt)
            assert by_region["eu"] == expected(4, ind, c, region="eu"), (c, dt)
    for (c, role), ind in {
        (K, "sender"): ROLES["sender"],
        (N, "receiver"): ROLES["receiver"],
        (S, "soliciting"): ROLES["soliciting"],
        (S, "solicited"): ROLES["solicited"],
    }.items():
        assert ria[("accts", c, role, None)] == expected(4, ind, c, region="eu")
    # (category, region) -> removals
    removed = {(c, r): n for c, r, n in rows["content_actions"]}
    for c in (K, N):
        assert removed.get((c, "eu"), 0) + removed.get((c, "non_eu"), 0) == expected(5, "content_removed", c)
        assert removed.get((c, "eu"), 0) == expected(5, "content_removed", c, region="eu")
    # (subject, channel, category, region) -> complaints
    complaints = {(sub, ch, c, r): n for sub, ch, c, r, n, _decided in rows["complaints"]}
    for subject, categories in (("content", (K, N)), ("account", (K, N, S))):
        for c in categories:
            for channel in ("internal", "judicial"):
                ind = f"{subject}_complaints_{channel}"
                eu = complaints.get((subject, channel, c, "eu"), 0)
                assert eu + complaints.get((subject, channel, c, "non_eu"), 0) == expected(5, ind, c), ind
                assert eu == expected(5, ind, c, region="eu"), (ind, c)
    # (category, technology) -> (distinct EU solicitation accounts, automated flags, reviewed by as-of)
    det = {(c, t): (accounts, n, r) for c, t, accounts, n, r in rows["detections"]}
    for c in (K, N):
        for tech in EXPECTED_TECHNOLOGIES[(ALL, c)]:
            assert det[(c, tech)][1:] == (expected(6, "flagged", c, tech), expected(6, "human_reviewed", c, tech))
    for tech in EXPECTED_TECHNOLOGIES[(ALL, S)]:
        assert det.get((S, tech), (0,))[0] == expected(6, "flagged", S, tech, "eu"), tech


def test_measured_tables_replace_only_the_marked_part(tmp_path) -> None:
    from bench.bench_extract import END, START, write_measured

    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Method\n\nhand-written\n\n{START}\nold table\n{END}\n\n## History\n\nkept\n", encoding="utf-8")
    write_measured(doc, "| new | table |")
    assert doc.read_text(encoding="utf-8") == (
        f"# Method\n\nhand-written\n\n{START}\n| new | table |\n{END}\n\n## History\n\nkept\n"
    )
    fresh = tmp_path / "fresh.md"
    write_measured(fresh, "| t |")
    assert fresh.read_text(encoding="utf-8") == "# Benchmarks (measured)\n\n| t |\n"


def test_naive_floor_counts_the_periods_rows(floor_url: str) -> None:
    rows = floor_rows(floor_url, worker.FLOOR_SPARK if worker.is_spark(floor_url) else worker.FLOOR)
    assert rows["reports"] == [(sum(expected(4, "reports", c) for c in (K, N, S)),)]
    assert rows["content_actions"] == [(sum(expected(5, "content_removed", c) for c in (K, N)),)]


def test_targets_count_the_spark_driver_and_show_the_cli_ratio() -> None:
    from bench.bench_extract import Measure, Rounds, targets

    def rounds(seconds: float, client: float, server: float | None = None) -> Rounds:
        return Rounds([Measure(seconds, client + (server or 0.0), {}, client, server)])

    measured = {
        ("postgresql", 10_000_000): {
            "fair": rounds(100, 70),
            "extract": rounds(120, 70),
            "cli": rounds(130, 90),
            "floor": rounds(5, 60),
        },
        ("spark", 1_000_000): {"fair": rounds(50, 170, 1200), "extract": rounds(60, 170, 1300), "floor": rounds(5, 1)},
    }
    assert measured[("spark", 1_000_000)]["extract"].memory() == "1470 MB (170 client + 1300 Spark driver)"
    assert targets(measured) == [
        "- PostgreSQL, 10,000,000 detections: extraction ÷ fair floor **1.20** (target ≤ 1.25 at 10 M: met)",
        "- PostgreSQL, 10,000,000 detections: CLI extraction ÷ fair floor **1.30** (target ≤ 1.25 at 10 M: not met)",
        "- Peak memory of the extraction on postgresql (the extracting process): **70 MB** at most "
        "(target < 300 MB: met)",
        "- Peak memory of the extraction on spark (client and Spark driver together): **1470 MB** at most "
        "(target < 300 MB: not met)",
    ]


def test_a_servers_peak_is_reset_before_a_measurement() -> None:
    """The Spark server's figure is the peak between reset and reading, not its lifetime's: a process that
    once held 200 MB and gave it back reads far less after the reset."""
    import subprocess
    import sys

    from bench.stores import reset_peak, status_mb

    child = subprocess.Popen(
        [sys.executable, "-c", "b = bytearray(200 * 2**20); del b; print('ok', flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ok\n"
        before = status_mb(child.pid, "VmHWM")
        assert before is not None and before >= 200
        assert reset_peak(child.pid) is True
        after = status_mb(child.pid, "VmHWM")
        assert after is not None and after < 100
    finally:
        child.kill()
        child.wait()
    assert status_mb(child.pid, "VmHWM") is None  # gone
