"""The plain-words overview of the technologies (measures.md ``technologies``) opens section 6 in every format;
a technology in the data that measures.md does not describe shows as N/A pointing to the findings. Technologies
are named as a reader knows them (measures.md ``name``, else a known name), never by their id."""

from __future__ import annotations

import json
from pathlib import Path

from csa_report.render import RenderResult

PHOTODNA = "Compares a fingerprint of each image with fingerprints of images already confirmed as abuse."


def _text(rendered: RenderResult, name: str) -> str:
    return Path(rendered.paths[name]).read_text(encoding="utf-8")


def test_overview_in_markdown_before_the_error_rates(rendered: RenderResult) -> None:
    md = _text(rendered, "report.md")
    overview = md.index("### 6 The technologies used, in plain words")
    assert overview < md.index("### 6 Known CSAM — all technologies")
    assert f"| PhotoDNA (Known CSAM) | {PHOTODNA} |" in md
    assert (
        "| grooming classifier (Solicitation of children) | N/A — not described by the provider (see the findings "
        "in the annex) |"
    ) in md


def test_overview_in_html_and_json(rendered: RenderResult) -> None:
    html = _text(rendered, "report.html")
    assert f'<th scope="row">PhotoDNA (Known CSAM)</th><td class="text">{PHOTODNA}</td>' in html
    rows = [r for r in json.loads(_text(rendered, "report.json"))["rows"] if r["indicator"] == "technology_description"]
    assert [(r["technology"], r["category"], r["value"]) for r in rows] == [
        (
            "csai_match",
            "known_csam",
            "Compares fingerprints of video segments with those of videos already confirmed as abuse.",
        ),
        ("photodna", "known_csam", PHOTODNA),
        (
            "new_csam_classifier",
            "new_csam",
            "Scores images for possible new abuse material; a person reviews every flag before any report.",
        ),
        ("grooming_classifier", "solicitation", None),
    ]
