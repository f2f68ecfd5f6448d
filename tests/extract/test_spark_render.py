"""``csa-report render`` with a Spark Connect source: exit 0, and the same report.json as from PostgreSQL holding
the same seeded rows (the fields that describe the source aside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csa_report.cli import main
from csa_report.period import Period
from csa_report.seed import seed
from tests.checks.check_helpers import EXAMPLE
from tests.support.spark import load_into_spark

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _fill(url: str) -> None:
    seed(url, Period.parse("2025"), scale=300, seed=3)


def _render(db: str, out: Path) -> tuple[int, dict[str, Any]]:
    args = ["render", "--db", db, "--period", "2025", "--policies", str(EXAMPLE), "--as-of", "2026-01-15"]
    code = main([*args, "--out", str(out)])
    return code, json.loads((out / "report.json").read_text("utf-8"))


def test_render_from_spark_equals_render_from_postgresql(new_pg_url: str, new_spark_url: str, tmp_path: Path) -> None:
    _fill(new_pg_url)
    load_into_spark(new_spark_url, tmp_path / "spark", _fill)
    pg_code, pg = _render(new_pg_url, tmp_path / "pg-out")
    spark_code, spark = _render(new_spark_url, tmp_path / "spark-out")
    assert (spark_code, pg_code) == (0, 0)
    assert spark == pg
    text = json.dumps(pg, ensure_ascii=False)
    assert "Example Chat" in text and "Example Mail" in text  # the seed's two services
    assert (tmp_path / "spark-out" / "report.csv").read_bytes() == (tmp_path / "pg-out" / "report.csv").read_bytes()
