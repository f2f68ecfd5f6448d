"""report.pdf: text (every section heading, key figures), report.json attachment, PDF/A-3b and dates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdf

from csa_report.render import RenderResult
from csa_report.render.context import SECTION_TITLES


def _text(result: RenderResult) -> str:
    reader: Any = pypdf.PdfReader(result.paths["report.pdf"])
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_pdf_has_every_section_heading_and_key_figures(rendered: RenderResult) -> None:
    text = _text(rendered)
    for n, title in SECTION_TITLES.items():
        # headings may wrap; compare the first words
        head = " ".join(f"{n}) {title}".split()[:6])
        assert head in text, head
    assert "Annex: findings, waivers, definitions and provenance" in text
    for figure in (
        "7,500,000",  # metadata processed, EU users, all services
        "3,600,000",  # images processed, EU users, total
        "1,140",  # reports concerning known CSAM, total (380 + 760)
        "4,812",  # A1 total: 1604+802 (Chat) + 3208+1604 (Mail) ... see fixture
        "2.00 %",
    ):  # an error rate
        assert figure in text, figure
    assert "Example Communications Ireland Ltd" in text
    assert "2026-01-20" in text  # publication date
    assert "Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307" in text


def test_pdf_embeds_report_json_and_is_pdf_a_3b(rendered: RenderResult) -> None:
    reader: Any = pypdf.PdfReader(rendered.paths["report.pdf"])
    attachments = reader.attachments
    assert list(attachments) == ["report.json"]
    assert attachments["report.json"] == [Path(rendered.paths["report.json"]).read_bytes()]
    raw = Path(rendered.paths["report.pdf"]).read_bytes()
    assert raw.startswith(b"%PDF-1.7")
    xmp = reader.xmp_metadata
    assert xmp is not None
    xml = xmp.stream.get_data()
    assert b'pdfaid:part="3"' in xml and b'pdfaid:conformance="B"' in xml
    af = reader.trailer["/Root"]["/AF"]
    assert [spec.get_object()["/AFRelationship"] for spec in af] == ["/Data"]
    meta = reader.metadata
    assert meta is not None
    assert meta["/CreationDate"] == "D:20260108000000Z" == meta["/ModDate"]  # the as-of instant, not the clock
    assert reader.trailer["/ID"][0]  # a stable identifier derived from the content hash
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"  # tagged PDF, language set


def test_pdf_fonts_are_dejavu_only(rendered: RenderResult) -> None:
    reader: Any = pypdf.PdfReader(rendered.paths["report.pdf"])
    names: set[str] = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            names.add(str(ref.get_object()["/BaseFont"]).split("+")[-1])
    assert names and all(n.startswith("DejaVu-Sans") for n in names), names
