"""Parquet exports read in place from S3-compatible storage (csa_report.lake, ``db parquet-views --folder s3://``),
against a real SeaweedFS: the hand-counted fixture gives the same indicators as on SQLite and a DuckDB file,
Hive-style partitions included; credentials in the URL, a missing table and an unreachable store are refused
with the documented exit codes."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from csa_report.cli import main
from csa_report.errors import ConfigError
from csa_report.extract import extract_indicators
from csa_report.lake import STORE_TABLE, StoreLocation, export_parquet, object_store_settings, parse_store_url
from csa_report.local.seaweed import BucketSpec, S3Endpoint, ensure_buckets
from csa_report.settings import load_settings
from tests.fixtures import handcount as fx
from tests.fixtures.handcount_expected import EXPECTED, EXPECTED_ROW_COUNT

BUCKET = "csa-lake"
AS_OF = fx.AS_OF.isoformat()


@pytest.fixture
def store(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Endpoint]:
    """The session's SeaweedFS as the settings name it (CSA_S3_*), with a bucket for the exports."""
    ensure_buckets(seaweed.client(), [BucketSpec(BUCKET)])
    for name, value in seaweed.settings_overrides().items():
        monkeypatch.setenv(f"CSA_{name.upper()}", value)
    monkeypatch.setenv("CSA_S3_MAX_ATTEMPTS", "2")
    yield seaweed


@pytest.fixture(scope="module")
def handcount_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-counted fixture in a DuckDB file and exported as one Parquet file per table, except detections:
    Hive-style partitions by region (``detections/user_region=eu/…``), so that column lives in the paths only."""
    root = tmp_path_factory.mktemp("handcount")
    source = root / "export.duckdb"
    fx.load(f"duckdb:///{source}")
    folder = root / "lake"
    export_parquet(f"duckdb:///{source}", folder)
    (folder / "detections.parquet").unlink()
    con = duckdb.connect(str(source), read_only=True)
    try:
        con.execute(f"COPY detections TO '{folder / 'detections'}' (FORMAT parquet, PARTITION_BY (user_region))")
    finally:
        con.close()
    return source, folder


def upload(store: S3Endpoint, folder: Path, prefix: str, skip: str | None = None) -> list[str]:
    client, keys = store.client(), []
    for path in sorted(p for p in folder.rglob("*.parquet")):
        rel = path.relative_to(folder).as_posix()
        if skip and rel.startswith(skip):
            continue
        client.upload_file(str(path), BUCKET, f"{prefix}/{rel}")
        keys.append(rel)
    return keys


def test_handcount_on_s3_gives_the_local_indicators(
    store: S3Endpoint,
    handcount_lake: tuple[Path, Path],
    tmp_path: Path,
    new_sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, folder = handcount_lake
    prefix = f"exports-{uuid.uuid4().hex[:8]}/csa"
    keys = upload(store, folder, prefix)
    assert sorted(k.split("/")[0] for k in keys if k.startswith("detections/")) == ["detections", "detections"]
    assert sorted(k.split("/")[1] for k in keys if k.startswith("detections/")) == [
        "user_region=eu",
        "user_region=non_eu",
    ]
    views = f"duckdb:///{tmp_path / 'views.duckdb'}"
    assert main(["db", "parquet-views", "--db", views, "--folder", f"s3://{BUCKET}/{prefix}"]) == 0
    assert f"8 views over s3://{BUCKET}/{prefix}" in capsys.readouterr().out

    # A library caller hands the S3 settings to the read, as the CLI and the flow do.
    with object_store_settings(load_settings().s3):
        on_s3 = extract_indicators(views, fx.PERIOD, fx.AS_OF)
    # Without them the read is refused (exit 2) naming the store: the library reads no settings of its own.
    with pytest.raises(ConfigError, match=rf"views over Parquet on s3://{BUCKET}/{prefix}, but no S3 settings"):
        extract_indicators(views, fx.PERIOD, fx.AS_OF)
    fx.load(new_sqlite_url)
    on_sqlite = extract_indicators(new_sqlite_url, fx.PERIOD, fx.AS_OF)
    in_duckdb = extract_indicators(f"duckdb:///{source}", fx.PERIOD, fx.AS_OF)
    assert on_s3.to_csv() == on_sqlite.to_csv() == in_duckdb.to_csv()
    assert on_s3.to_json() == on_sqlite.to_json()
    assert len(on_s3.rows) == EXPECTED_ROW_COUNT
    rows = {r.key: r for r in on_s3.rows}
    wrong = [key for key, (value, _unit) in EXPECTED.items() if str(rows[key].value) != str(value)]
    assert wrong == []

    # the views file holds the store's URL and endpoint, no key; detections read the partition folders
    con = duckdb.connect(str(tmp_path / "views.duckdb"), read_only=True)
    try:
        recorded = con.execute(f"SELECT endpoint, region, url FROM {STORE_TABLE}").fetchall()
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'detections'").fetchone()
    finally:
        con.close()
    assert recorded == [(store.url, "us-east-1", f"s3://{BUCKET}/{prefix}")]
    assert sql is not None and f"s3://{BUCKET}/{prefix}/detections/**/*.parquet" in sql[0]
    assert store.secret_key not in (tmp_path / "views.duckdb").read_bytes().decode("latin-1")


def test_a_missing_table_is_named_when_mapping_and_when_extracting(
    store: S3Endpoint, handcount_lake: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _source, folder = handcount_lake
    prefix = f"partial-{uuid.uuid4().hex[:8]}"
    upload(store, folder, prefix, skip="complaints")
    views = f"duckdb:///{tmp_path / 'views.duckdb'}"
    assert main(["db", "parquet-views", "--db", views, "--folder", f"s3://{BUCKET}/{prefix}"]) == 2
    err = capsys.readouterr().err
    assert f"Parquet folder s3://{BUCKET}/{prefix}: no complaints.parquet" in err and "Traceback" not in err

    # mapped while complete, then a table's export disappears: the extraction names it before reading anything
    store.client().upload_file(str(folder / "complaints.parquet"), BUCKET, f"{prefix}/complaints.parquet")
    assert main(["db", "parquet-views", "--db", views, "--folder", f"s3://{BUCKET}/{prefix}"]) == 0
    store.client().delete_object(Bucket=BUCKET, Key=f"{prefix}/complaints.parquet")
    capsys.readouterr()
    code = main(["extract", "--db", views, "--period", "2025", "--as-of", AS_OF, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "no complaints.parquet" in err and "Traceback" not in err


def test_an_unreachable_store_is_exit_3_after_the_retries(
    store: S3Endpoint,
    handcount_lake: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _source, folder = handcount_lake
    prefix = f"moved-{uuid.uuid4().hex[:8]}"
    upload(store, folder, prefix)
    views_path = tmp_path / "views.duckdb"
    views = f"duckdb:///{views_path}"
    assert main(["db", "parquet-views", "--db", views, "--folder", f"s3://{BUCKET}/{prefix}"]) == 0
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    con = duckdb.connect(str(views_path))
    try:
        con.execute(f"UPDATE {STORE_TABLE} SET endpoint = ?", [dead])
    finally:
        con.close()
    capsys.readouterr()
    code = main(["extract", "--db", views, "--period", "2025", "--as-of", AS_OF, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 3 and f"object store {dead}" in err and "after 2 attempts" in err and "Traceback" not in err

    # mapping against a store that does not answer is the same exit 3, and leaves no views file
    monkeypatch.setenv("CSA_S3_ENDPOINT", dead)
    v2 = tmp_path / "v2.duckdb"
    code = main(["db", "parquet-views", "--db", f"duckdb:///{v2}", "--folder", f"s3://{BUCKET}/{prefix}"])
    err = capsys.readouterr().err
    assert code == 3 and f"object store {dead} (s3://{BUCKET}/{prefix})" in err and "after 2 attempts" in err
    assert not v2.exists()


def test_credentials_in_the_url_are_refused(
    store: S3Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"s3://{store.access_key}:{store.secret_key}@{BUCKET}/exports"
    code = main(["db", "parquet-views", "--db", f"duckdb:///{tmp_path / 'v.duckdb'}", "--folder", url])
    err = capsys.readouterr().err
    assert code == 2 and "holds credentials" in err
    assert store.secret_key not in err
    assert not (tmp_path / "v.duckdb").exists()


def test_store_urls_taken_apart() -> None:
    assert parse_store_url("s3://exports/csa/2025/") == StoreLocation("exports", "csa/2025")
    assert parse_store_url("s3a://exports") == StoreLocation("exports", "")
    assert StoreLocation("exports", "").key("detections.parquet") == "detections.parquet"
    for bad, why in [
        ("s3://AKIA@exports/csa", "holds credentials"),
        ("s3://exports/csa?versionId=1", "no ?query"),
        ("s3:///csa", "names no bucket"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(why)):
            parse_store_url(bad)
