"""``csa-report render``: extract + check + render on a seeded SQLite source, equal runs equal bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csa_report.cli import main

REPO = Path(__file__).parents[2]


@pytest.mark.slow
def test_render_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'source.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["seed", "--db", db, "--period", "2025", "--scale", "300"]) == 0
    args = [
        "render",
        "--db",
        db,
        "--period",
        "2025",
        "--policies",
        str(REPO / "policies" / "example"),
        "--as-of",
        "2026-01-08",
        "--publication-date",
        "2026-01-20",
    ]
    first = main([*args, "--out", str(tmp_path / "a")])
    second = main([*args, "--out", str(tmp_path / "b")])
    assert first == second and first in (0, 1)  # 1: rendered as a draft because blocking findings remain
    for name in ("report.html", "report.pdf", "report.md", "report.json", "report.csv", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["publication_date"] == "2026-01-20"
    assert "account_ref" not in (tmp_path / "a" / "report.csv").read_text(encoding="utf-8")


def test_render_command_bad_publication_date(tmp_path: Path) -> None:
    code = main(
        [
            "render",
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "--period",
            "2025",
            "--policies",
            str(REPO / "policies" / "example"),
            "--out",
            str(tmp_path / "o"),
            "--publication-date",
            "soon",
        ]
    )
    assert code == 2
