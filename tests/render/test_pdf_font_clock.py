"""report.pdf without HarfBuzz's subset library: WeasyPrint subsets the fonts with fontTools, which stamps the
wall clock into each font (head.modified). The clock is pinned to the as-of instant for the layout, without
writing the environment, so equal inputs still give equal bytes; and the library's clock is restored after."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from fontTools.ttLib.tables import _h_e_a_d

import csa_report.render.pdf as pdf

HTML = "<html><body><h1>Report</h1><p>Figures: 1,204 reports.</p></body></html>"
ARGS = {"attachment": b"{}", "attachment_name": "report.json", "as_of": datetime(2026, 1, 15, 9, 30)}


def test_the_fonttools_fallback_gives_the_same_bytes_a_second_later(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf.harfbuzz_subsets.cache_clear()
    monkeypatch.setattr(pdf, "harfbuzz_subsets", lambda: False)
    monkeypatch.setattr("weasyprint.pdf.fonts.harfbuzz_subset", None)  # WeasyPrint's own test of the library
    clock = _h_e_a_d.timestampNow
    env = dict(os.environ)
    first = pdf.render_pdf(HTML, **ARGS)  # type: ignore[arg-type]
    time.sleep(1.1)  # fontTools' clock has a one-second resolution
    second = pdf.render_pdf(HTML, **ARGS)  # type: ignore[arg-type]
    assert first == second
    assert _h_e_a_d.timestampNow is clock
    assert dict(os.environ) == env
    # fontTools made these fonts, not HarfBuzz: the fallback was exercised, so the bytes differ from its PDF.
    monkeypatch.undo()
    assert pdf.render_pdf(HTML, **ARGS) != first  # type: ignore[arg-type]
