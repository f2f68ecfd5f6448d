"""Session-wide test harness: real PostgreSQL and SQLite databases.

With ``CI=true`` a missing service fails the run instead of skipping (nothing may be skipped silently in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_ADMIN_DSN = os.environ.get("CSA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(what: str) -> None:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{what} is not available and CI=true: a missing service fails the run", pytrace=False)
    pytest.skip(f"{what} is not available")


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    if not _pg_available():
        service_missing(f"PostgreSQL at {PG_ADMIN_DSN}")
    return PG_ADMIN_DSN


@pytest.fixture
def new_pg_url(pg_admin_dsn: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"csa_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'source.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each backend in turn."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("new_sqlite_url"))
    return str(request.getfixturevalue("new_pg_url"))


@pytest.fixture
def new_duckdb_url(tmp_path: Path) -> str:
    """A new, empty DuckDB file (the optional extra ``duckdb``, part of ``dev``)."""
    try:
        import duckdb_engine  # noqa: F401
    except ImportError:
        service_missing("DuckDB (pip install -e '.[dev]')")
    return f"duckdb:///{tmp_path / 'source.duckdb'}"


#: Tests that drive a browser against a real Prefect server (marker ``ui``) or that take minutes of real services,
#: processes or fuzzing (marker ``slow``). `make test-fast` leaves both out; `make test` and CI run everything.
UI_PATHS = ("tests/ui/",)
SLOW_PATHS = (
    "tests/flows/", "tests/storage/test_kill9.py", "tests/storage/test_s3_submission_faults.py",
    "tests/reliability/test_fuzz.py", "tests/reliability/test_prefect_lifecycle.py",
    "tests/docs/test_operators_doc.py::test_the_walkthrough_runs_as_written", "tests/integrity/test_api_auth.py",
    "tests/checks/test_check_seed_end_to_end.py", "tests/seed/test_seed_database.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        node = item.nodeid
        if node.startswith(UI_PATHS):
            item.add_marker(pytest.mark.ui)
        if node.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
