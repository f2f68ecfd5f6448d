"""DuckDB as a source backend: schema, seed, extraction, read-only access, and views over a folder of Parquet
exports (csa_report.lake, ``csa-report db parquet-views``). The exact values are checked by the hand count
(tests/extract/test_extract_handcount.py); here a seeded DuckDB file must give byte-for-byte the indicators SQLite gives
for the same seed."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from csa_report.cli import main
from csa_report.db import make_engine
from csa_report.errors import ConfigError, DataError
from csa_report.extract import extract_indicators
from csa_report.lake import create_parquet_views, export_parquet, view_statements
from csa_report.period import Period
from csa_report.seed import seed
from csa_report.source_schema import TABLE_ORDER

PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 15)


@pytest.fixture
def seeded_duckdb(new_duckdb_url: str) -> str:
    seed(new_duckdb_url, PERIOD, scale=300, seed=5)
    return new_duckdb_url


def test_seeded_duckdb_gives_what_sqlite_gives(seeded_duckdb: str, new_sqlite_url: str) -> None:
    seed(new_sqlite_url, PERIOD, scale=300, seed=5)
    duck = extract_indicators(seeded_duckdb, PERIOD, AS_OF)
    lite = extract_indicators(new_sqlite_url, PERIOD, AS_OF)
    assert duck.services == lite.services == ("Example Chat", "Example Mail")
    assert duck.to_csv() == lite.to_csv()
    assert int(duck.value("flagged", category="known_csam")) > 0  # type: ignore[arg-type]


def test_extraction_opens_duckdb_read_only(seeded_duckdb: str) -> None:
    engine = make_engine(seeded_duckdb, read_only=True)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="read-only"):
            conn.execute(text("DELETE FROM detections"))
    finally:
        engine.dispose()


def test_missing_duckdb_file_is_a_data_error(tmp_path: Path, new_duckdb_url: str) -> None:
    with pytest.raises(DataError, match="does not exist"):
        extract_indicators(f"duckdb:///{tmp_path / 'nope.duckdb'}", PERIOD, AS_OF)


def test_parquet_views_with_files_and_part_folders(
    seeded_duckdb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    export_parquet(seeded_duckdb, lake)
    assert sorted(p.name for p in lake.iterdir()) == sorted(f"{t}.parquet" for t in TABLE_ORDER)
    # a provider's Spark export: detections as a folder of part files in partitions
    parts = lake / "detections" / "year=2025"
    parts.mkdir(parents=True)
    shutil.move(lake / "detections.parquet", parts / "part-00000.parquet")
    views = f"duckdb:///{tmp_path / 'views.duckdb'}"
    assert main(["db", "parquet-views", "--db", views, "--folder", str(lake)]) == 0
    out = capsys.readouterr().out
    assert "8 views over" in out and "detections" in out
    assert (
        extract_indicators(views, PERIOD, AS_OF).to_csv() == extract_indicators(seeded_duckdb, PERIOD, AS_OF).to_csv()
    )
    sql = view_statements(lake)
    assert sql[1] == (
        "CREATE OR REPLACE VIEW detections AS SELECT * FROM "
        f"read_parquet('{(lake / 'detections').resolve()}/**/*.parquet')"
    )


def test_parquet_folder_missing_a_table_names_it(
    tmp_path: Path, new_duckdb_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "detections.parquet").write_bytes(b"")
    code = main(["db", "parquet-views", "--db", new_duckdb_url, "--folder", str(lake)])
    err = capsys.readouterr().err
    assert code == 2
    assert "processing_volumes.parquet" in err and str(lake) in err
    assert "Traceback" not in err


def test_parquet_views_need_a_duckdb_url(tmp_path: Path, new_sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="DuckDB database URL"):
        create_parquet_views(new_sqlite_url, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        create_parquet_views(f"duckdb:///{tmp_path / 'v.duckdb'}", tmp_path / "absent")


def test_cli_upgrade_seed_extract_check_as_on_sqlite(
    tmp_path: Path, new_duckdb_url: str, new_sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands a provider runs, on DuckDB and on SQLite with the same seed: same files, same exit code."""
    policies = Path(__file__).parents[2] / "policies" / "example"
    codes = {}
    for name, url in (("duckdb", new_duckdb_url), ("sqlite", new_sqlite_url)):
        assert main(["db", "upgrade", "--db", url]) == 0
        assert (
            main(
                [
                    "seed",
                    "--db",
                    url,
                    "--period",
                    "2025",
                    "--scale",
                    "250",
                    "--seed",
                    "4",
                    "--no-progress",
                    "--violations",
                    "retention",
                ]
            )
            == 0
        )
        out = tmp_path / name
        codes[name] = main(
            [
                "check",
                "--db",
                url,
                "--period",
                "2025",
                "--as-of",
                "2026-01-15T00:00:00Z",
                "--policies",
                str(policies),
                "--out",
                str(out),
            ]
        )
    capsys.readouterr()
    assert codes["duckdb"] == codes["sqlite"] == 1  # the injected breach is a blocking finding on both
    for file in ("findings.json", "indicators.csv", "indicators.json"):
        assert (tmp_path / "duckdb" / file).read_bytes() == (tmp_path / "sqlite" / file).read_bytes(), file


def test_a_petabyte_count_in_one_row_is_summed_exactly(new_duckdb_url: str) -> None:
    """DuckDB's NUMERIC is DECIMAL(18,3); the type check must not cast a count of 1.4 × 10^15 bytes into it (the
    10 M-detection benchmark seeded such a row and the extraction failed). pv11: 3,000,000 text bytes, Alpha Chat,
    EU, hand-counted; made 1,416,421,429,700,903 it gives exactly that, and ALL adds Beta Mail's 450,000."""
    from sqlalchemy import update

    from csa_report.source_schema import ProcessingVolume
    from tests.fixtures import handcount as fx

    fx.load(new_duckdb_url)
    engine = make_engine(new_duckdb_url)
    with engine.begin() as conn:
        t = ProcessingVolume.__table__
        conn.execute(update(t).where(t.c.id == 11).values(bytes=1_416_421_429_700_903))
    engine.dispose()
    got = {
        (r.service, r.region): r.value
        for r in extract_indicators(new_duckdb_url, fx.PERIOD, fx.AS_OF).rows
        if r.indicator == "text_bytes_processed"
    }
    assert got[("Alpha Chat", "eu")] == 1_416_421_429_700_903
    assert got[("ALL", "eu")] == 1_416_421_429_700_903 + 450_000


def test_a_memory_limit_is_set_in_the_extraction_and_gives_the_same_figures(
    seeded_duckdb: str, new_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csa_report.extract.session import Tuning
    from csa_report.sources.duckdb import DuckdbBackend

    seen: list[str] = []
    original = DuckdbBackend.apply_session

    def spy(self: DuckdbBackend, conn: object, tuning: Tuning) -> None:
        original(self, conn, tuning)  # type: ignore[arg-type]
        seen.append(str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()))  # type: ignore[attr-defined]

    monkeypatch.setattr(DuckdbBackend, "apply_session", spy)
    seed(new_sqlite_url, PERIOD, scale=300, seed=5)
    limited = extract_indicators(seeded_duckdb, PERIOD, AS_OF, Tuning(duckdb_memory_mb=128))
    assert seen == ["128.0 MiB"]  # DuckDB reports the limit it took
    assert limited.to_csv() == extract_indicators(new_sqlite_url, PERIOD, AS_OF).to_csv()


def test_running_out_of_memory_names_the_setting_not_an_outage() -> None:
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import OperationalError

    from csa_report.extract.session import Tuning
    from csa_report.extract.source import _raise_if_out_of_memory

    oom = OperationalError("SELECT …", {}, Exception("Out of Memory Error: failed to pin block of size 256.0 KiB"))
    with pytest.raises(ConfigError) as err:
        _raise_if_out_of_memory(oom, make_url("duckdb:////srv/lake/views.duckdb"), Tuning(duckdb_memory_mb=64))
    assert err.value.exit_code == 2
    assert "ran out of memory during the extraction (Out of Memory Error: failed to pin block" in str(err.value)
    assert "the memory limit is 64 MiB: raise CSA_EXTRACT_DUCKDB_MEMORY_MB, or unset it" in str(err.value)
    other = OperationalError("SELECT …", {}, Exception("IO Error: could not read file"))
    _raise_if_out_of_memory(other, make_url("duckdb:////srv/lake/views.duckdb"), Tuning())  # not ours: no raise
