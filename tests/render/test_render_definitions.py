"""The definitions printed in the annex are the ones in docs/definitions.md, word for word."""

from __future__ import annotations

import re
from pathlib import Path

from csa_report.render import RenderResult
from csa_report.render.definitions import DEFINITIONS
from tests.render.render_fixture import read

DOC = Path(__file__).parents[2] / "docs" / "definitions.md"


def test_docs_carry_the_same_definitions() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for term, text in DEFINITIONS:
        assert f"## {term}\n\n{text}\n" in doc, term


def test_report_prints_the_definitions(rendered: RenderResult) -> None:
    md = re.sub(r"\s+", " ", read(rendered, "report.md").replace("\\", ""))
    html = read(rendered, "report.html")
    for term, text in DEFINITIONS:
        assert text in md, term
        assert term in html
    for term in ("Processed", "EU user", "Known CSAM", "Error rate"):
        assert term in dict(DEFINITIONS)
