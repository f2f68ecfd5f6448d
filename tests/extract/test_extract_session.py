"""The read-only extraction transaction: session options, concurrent statements on one exported snapshot, and
the settings that choose them (tasks.extract_session), on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from csa_report.db import make_engine
from csa_report.errors import ConfigError
from csa_report.extract import extract_indicators
from csa_report.extract.session import Tuning, apply_session, run_statements
from csa_report.settings import load_settings
from tests.fixtures import handcount as fx


def test_session_options_are_local_to_the_read_only_transaction(new_pg_url: str) -> None:
    engine = make_engine(new_pg_url, read_only=True)
    try:
        with engine.connect() as conn:
            with conn.begin():
                apply_session(conn, Tuning(jit=False, parallel_workers=3))
                shown = {
                    name: conn.exec_driver_sql(f"SHOW {name}").scalar_one()
                    for name in (
                        "jit",
                        "max_parallel_workers_per_gather",
                        "work_mem",
                        "enable_sort",
                        "transaction_read_only",
                    )
                }
            assert shown == {
                "jit": "off",
                "max_parallel_workers_per_gather": "3",
                "work_mem": "256MB",
                "enable_sort": "off",
                "transaction_read_only": "on",
            }
            with conn.begin():
                apply_session(conn, Tuning(jit=True, parallel_workers=0))
                assert conn.exec_driver_sql("SHOW jit").scalar_one() == "on"
                assert conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar_one() == "0"
            with conn.begin():  # LOCAL: the server defaults are back in the next transaction
                assert conn.exec_driver_sql("SHOW work_mem").scalar_one() == "4MB"
                assert conn.exec_driver_sql("SHOW enable_sort").scalar_one() == "on"
    finally:
        engine.dispose()


def test_concurrent_statements_read_the_snapshot_of_the_main_transaction(new_pg_url: str) -> None:
    writer = make_engine(new_pg_url)
    with writer.begin() as w:
        w.execute(text("CREATE TABLE t (n int)"))
        w.execute(text("INSERT INTO t SELECT generate_series(1, 5)"))
    reader = make_engine(new_pg_url, read_only=True)
    try:
        with reader.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 5  # snapshot taken here
                with writer.begin() as w:  # committed after the snapshot: invisible to every statement below
                    w.execute(text("INSERT INTO t SELECT generate_series(6, 12)"))
                statements = {
                    f"s{i}": text(f"SELECT count(*) AS n, sum(n) AS total, {i} AS i FROM t") for i in range(5)
                }
                got = run_statements(conn, statements, Tuning(connections=3))
        assert list(got) == ["s0", "s1", "s2", "s3", "s4"]
        assert got == {f"s{i}": [{"n": 5, "total": 15, "i": i}] for i in range(5)}
        with reader.connect() as conn:  # a new transaction sees the later rows (the snapshot was the cause)
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 12
    finally:
        reader.dispose()
        writer.dispose()


def test_concurrent_extraction_equals_the_sequential_one(new_pg_url: str) -> None:
    fx.load(new_pg_url)
    one = extract_indicators(new_pg_url, fx.PERIOD, fx.AS_OF, Tuning(connections=1))
    three = extract_indicators(new_pg_url, fx.PERIOD, fx.AS_OF, Tuning(connections=3, parallel_workers=2, jit=True))
    assert three.to_csv() == one.to_csv()
    assert one.value("accounts_sending", category="known_csam", region="eu") == 3  # the hand count


def test_sqlite_ignores_connections_and_gives_the_same_numbers(new_sqlite_url: str) -> None:
    fx.load(new_sqlite_url)
    one = extract_indicators(new_sqlite_url, fx.PERIOD, fx.AS_OF, Tuning(connections=1))
    four = extract_indicators(new_sqlite_url, fx.PERIOD, fx.AS_OF, Tuning(connections=4))
    assert four.to_csv() == one.to_csv()


def test_tuning_of_the_loaded_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CSA_EXTRACT_JIT", "CSA_EXTRACT_PARALLEL_WORKERS", "CSA_EXTRACT_CONNECTIONS", "CSA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert Tuning.of(load_settings().source) == Tuning(jit=False, parallel_workers=0, connections=1)
    monkeypatch.setenv("CSA_EXTRACT_JIT", "true")
    monkeypatch.setenv("CSA_EXTRACT_PARALLEL_WORKERS", "2")
    monkeypatch.setenv("CSA_EXTRACT_CONNECTIONS", "3")
    assert Tuning.of(load_settings().source) == Tuning(jit=True, parallel_workers=2, connections=3)
    monkeypatch.setenv("CSA_EXTRACT_CONNECTIONS", "0")
    with pytest.raises(ConfigError, match="CSA_EXTRACT_CONNECTIONS"):
        Tuning.of(load_settings().source)


def test_tuning_of_the_run_s_source_settings() -> None:
    """A command or a flow run hands its own settings down: the environment is not read again."""
    from csa_report.settings import Settings

    settings = Settings(extract_jit=True, extract_parallel_workers=3, extract_connections=2)
    assert Tuning.of(settings.source) == Tuning(jit=True, parallel_workers=3, connections=2)
