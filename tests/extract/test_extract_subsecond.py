"""The as-of instant is compared exactly to the millisecond on every backend: a verdict given 0.3 s after the
as-of instant is not yet given (PostgreSQL and DuckDB compare exactly; SQLite, whose date functions keep
milliseconds, must not round the verdict down to the whole second and count it).

Metamorphic, on the hand-counted fixture: moving detection 2's review (exactly at the as-of instant: counts)
to 0.3 s after it must give the figures of moving it a whole second after it, which the hand count already
pins down for detection 3; an as-of instant 0.5 s later must count it again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import update

from csa_report.db import make_engine
from csa_report.extract import extract_indicators
from csa_report.source_schema import Detection
from tests.fixtures import handcount as fx


def _figures(url: str, reviewed_at: datetime | None, as_of: datetime) -> dict[tuple[str, ...], object]:
    fx.load(url)
    if reviewed_at is not None:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(Detection.__table__).where(Detection.__table__.c.id == 2).values(reviewed_at=reviewed_at)
                )
        finally:
            engine.dispose()
    return {r.key: r.value for r in extract_indicators(url, fx.PERIOD, as_of).rows}


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """Three new, empty databases of one backend."""
    if request.param == "postgresql":
        admin = str(request.getfixturevalue("pg_admin_dsn"))
        names = [f"csa_t_{uuid.uuid4().hex[:12]}" for _ in range(3)]
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield [f"{admin.rsplit('/', 1)[0]}/{name}" for name in names]
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if request.param == "duckdb":
        request.getfixturevalue("new_duckdb_url")  # fails in CI without DuckDB
    yield [f"{request.param}:///{tmp_path / f'source{i}.db'}" for i in range(3)]


def test_a_review_a_fraction_of_a_second_after_as_of_is_not_yet_given(urls: list[str]) -> None:
    assert fx.AS_OF == datetime(2026, 1, 15)  # detection 2 was reviewed exactly then (a not_abuse verdict)
    original = _figures(urls[0], None, fx.AS_OF)
    later_fraction = _figures(urls[1], fx.AS_OF + timedelta(milliseconds=300), fx.AS_OF)
    later_second = _figures(urls[2], fx.AS_OF + timedelta(seconds=1), fx.AS_OF)
    assert later_fraction == later_second
    assert later_fraction != original  # the verdict of detection 2 is what moved


def test_an_as_of_with_a_fraction_counts_a_review_before_it(urls: list[str]) -> None:
    original = _figures(urls[0], None, fx.AS_OF)
    moved = _figures(urls[1], fx.AS_OF + timedelta(milliseconds=300), fx.AS_OF + timedelta(milliseconds=500))
    assert moved == original
    # ... and 0.2 s too early it does not.
    early = _figures(urls[2], fx.AS_OF + timedelta(milliseconds=300), fx.AS_OF + timedelta(milliseconds=100))
    assert early != original
