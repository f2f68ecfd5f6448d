"""Golden files: the HTML, Markdown, JSON and CSV of the fixed dataset. Regenerate with CSA_UPDATE_GOLDEN=1
(then review the diff: it is the report a provider will publish)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csa_report.render import RenderResult

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CSA_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", ["report.html", "report.md", "report.json", "report.csv"])
def test_golden(rendered: RenderResult, name: str) -> None:
    actual = Path(rendered.paths[name]).read_bytes()
    golden = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(actual)
    assert golden.exists(), f"{golden} is missing: run with CSA_UPDATE_GOLDEN=1 to create it"
    assert actual == golden.read_bytes(), f"{name} differs from {golden} (CSA_UPDATE_GOLDEN=1 regenerates)"
