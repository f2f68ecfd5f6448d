"""``csa-report render`` with a Spark Connect source: exit 0, and the same report.json as from PostgreSQL holding
the same seeded rows (the fields that describe the source aside). The seeded databases are the session's
``seeded_pair`` (tests/extract/conftest.py), shared with test_spark_seeded.py: render only reads its source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csa_report.cli import main
from tests.checks.check_helpers import EXAMPLE
from tests.support.spark import SeededPair

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _render(db: str, out: Path) -> tuple[int, dict[str, Any]]:
    args = ["render", "--db", db, "--period", "2025", "--policies", str(EXAMPLE), "--as-of", "2026-01-15"]
    code = main([*args, "--out", str(out)])
    return code, json.loads((out / "report.json").read_text("utf-8"))


def test_render_from_spark_equals_render_from_postgresql(seeded_pair: SeededPair, tmp_path: Path) -> None:
    pg_code, pg = _render(seeded_pair.pg_url, tmp_path / "pg-out")
    spark_code, spark = _render(seeded_pair.spark_url, tmp_path / "spark-out")
    assert (spark_code, pg_code) == (0, 0)
    assert spark == pg
    text = json.dumps(pg, ensure_ascii=False)
    assert "Example Chat" in text and "Example Mail" in text  # the seed's two services
    assert (tmp_path / "spark-out" / "report.csv").read_bytes() == (tmp_path / "pg-out" / "report.csv").read_bytes()
