"""`csa-report status` and `csa-report evidence` only read (issue 25 item 7): run where no audit database is,
they fail with exit 2 naming the database and the setting, and leave the folder as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from csa_report.cli import main


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder of the operator's, no CSA_AUDIT_DB: the default, a relative csa-audit.db, names nothing."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CSA_AUDIT_DB", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return folder


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--json"],
        ["status", "--period", "2025"],
        ["evidence", "--period", "2025", "--out", "pack"],
    ],
    ids=["status", "status-json", "status-period", "evidence"],
)
def test_without_an_audit_db_exit_2_and_nothing_is_created(
    elsewhere: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert " ".join(captured.err.split()) == (
        "error: no audit database at csa-audit.db: give the one the runs wrote with --audit-db URL or "
        "CSA_AUDIT_DB (nothing was created)"
    )
    assert captured.out == ""  # not "no runs recorded"
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # no database, no pack folder


def test_a_named_audit_db_that_does_not_exist_is_named(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = elsewhere / "ops" / "audit.db"
    assert main(["status", "--json", "--audit-db", f"sqlite:///{missing}"]) == 2
    assert f"no audit database at {missing}:" in " ".join(capsys.readouterr().err.split())
    assert not (elsewhere / "ops").exists()


def test_a_database_without_the_audit_tables_is_refused_and_left_alone(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = elsewhere / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    before = other.read_bytes()
    assert main(["status", "--audit-db", f"sqlite:///{other}"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "holds no csa-report audit tables: give the database the runs wrote with --audit-db URL or CSA_AUDIT_DB" in err
    )
    assert other.read_bytes() == before  # no table added
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master ORDER BY name")] == ["t"]
