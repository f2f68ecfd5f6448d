"""The `extract` command end to end: files, schema, determinism and the documented exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest

import csa_report.db
from csa_report.cli import main
from csa_report.seed import seed

SCHEMA = json.loads((Path(__file__).parents[2] / "csa_report/schemas/indicators.schema.json").read_text())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    from csa_report.period import Period

    path = tmp_path_factory.mktemp("src") / "source.db"
    url = f"sqlite:///{path}"
    seed(url, Period.parse("2025"), scale=400, seed=7)
    return url


def test_extract_writes_valid_deterministic_files(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    args = ["extract", "--db", seeded, "--period", "2025", "--as-of", "2026-01-15T00:00:00Z"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("indicators.csv", "indicators.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    doc = json.loads((tmp_path / "a" / "indicators.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["period"] == "2025-01-01/2025-12-31"
    assert doc["as_of"] == "2026-01-15T00:00:00Z"
    assert doc["services"] == ["Example Chat", "Example Mail"]
    csv_lines = (tmp_path / "a" / "indicators.csv").read_text().split("\n")
    assert csv_lines[0] == "service,period,section,indicator,category,technology,region,value,unit,note"
    assert len(csv_lines) - 2 == len(doc["rows"])  # header and final newline
    out = capsys.readouterr().out
    assert "indicators.csv" in out.replace("\n", "")  # the console wraps long paths at any character
    # No pseudonymous account identifier may leave the database.
    refs = [
        r[0]
        for r in sqlite3.connect(seeded.removeprefix("sqlite:///")).execute(
            "SELECT DISTINCT account_ref FROM detections WHERE account_ref IS NOT NULL"
        )
    ]
    text = (tmp_path / "a" / "indicators.csv").read_text() + (tmp_path / "a" / "indicators.json").read_text()
    assert refs and not any(ref in text for ref in refs)


@pytest.mark.parametrize(
    ("period", "as_of", "message"),
    [
        ("2025-13", "2026-01-15", "period '2025-13' does not parse"),
        ("2025", "2024-06-01", "is before the period 2025-01-01/2025-12-31 starts"),
        ("2025", "yesterday", "as-of 'yesterday' does not parse"),
    ],
)
def test_bad_period_or_as_of_exit_2(seeded, tmp_path, capsys, period, as_of, message):
    code = main(["extract", "--db", seeded, "--period", period, "--as-of", as_of, "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_table_exit_2(tmp_path, capsys):
    from csa_report.migrate import upgrade

    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("DROP TABLE complaints")
    assert main(["extract", "--db", url, "--period", "2025", "--out", str(tmp_path / "o")]) == 2
    assert "table 'complaints' is missing" in capsys.readouterr().err


def test_missing_column_exit_2(tmp_path, capsys):
    from csa_report.migrate import upgrade

    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("ALTER TABLE detections DROP COLUMN hold_ref")
    assert main(["extract", "--db", url, "--period", "2025", "--out", str(tmp_path / "o")]) == 2
    assert "table 'detections' has no column 'hold_ref'" in capsys.readouterr().err


def test_value_outside_enumeration_names_table_column_value_and_rows(seeded, tmp_path, capsys):
    import shutil

    copy = tmp_path / "bad.db"
    shutil.copy(seeded.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE detections SET data_type = 'photo' WHERE id IN (SELECT id FROM detections LIMIT 3)")
    code = main(
        [
            "extract",
            "--db",
            f"sqlite:///{copy}",
            "--period",
            "2025",
            "--as-of",
            "2026-01-15",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "detections.data_type has value 'photo' in 3 rows" in err


def test_unreachable_database_exit_3_after_retries(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(csa_report.db, "CONNECT_BACKOFF_S", 0.01)
    code = main(["extract", "--db", "postgresql://nobody@127.0.0.1:1/none", "--period", "2025", "--out", str(tmp_path)])
    assert code == 3
    err = capsys.readouterr().err
    assert "stayed unreachable after 4 attempts" in err
    assert "Traceback" not in err
