"""Safe Markdown and no invisible text (issue 24, item 9): no image syntax survives from policy prose (inline,
reference-style, raw <img>) in report.md or report.html, and no bidi override or zero-width character reaches
any artefact (HTML, PDF, Markdown, JSON, CSV, manifest) or an e-mail header. Checked with an independent
CommonMark parser with images *enabled*: what a viewer would do with report.md."""

from __future__ import annotations

import io
import json
import shutil
import unicodedata
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
from markdown_it import MarkdownIt

from csa_report.cli import main
from csa_report.filing.mail.message import build_message
from csa_report.invisible import visible, visible_markdown
from csa_report.render.prose import inline_markdown, to_html, to_markdown

REPO = Path(__file__).parents[2]
RLO, ZWSP, ZWJ, LRI, PDI, BOM = "\u202e", "\u200b", "\u200d", "\u2066", "\u2069", "\ufeff"
HOSTILE = f"""Our legal basis{ZWSP} is Article 6(1)(c) GDPR. {RLO}desrever si siht{PDI}

![tracker](http://evil.example/pixel.png) and ![ref image][r] and ![r] and \\\\![even](http://evil.example/e.png)

[r]: http://evil.example/ref.png

<img src="http://evil.example/raw.png"> and <IMG SRC=http://evil.example/raw2.png>

Entities: &#x202E;a&#8238;b&rlm;c&zwj;d {LRI}isolated{PDI} {BOM}bom.

[a real link](https://example.org/policy) stays a link.
"""


def images_in(markdown: str) -> list[str]:
    """Every image a CommonMark viewer would load from ``markdown`` (images enabled, raw HTML enabled)."""
    found: list[str] = []
    for token in MarkdownIt("commonmark", {"html": True}).parse(markdown):
        for child in token.children or []:
            if child.type == "image":
                found.append(str(child.attrs.get("src")))
            if child.type == "html_inline" and "<img" in child.content.lower():
                found.append(child.content)
        if token.type == "html_block" and "<img" in token.content.lower():
            found.append(token.content)
    return found


def invisible_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cf"})


def test_the_hostile_prose_has_what_it_claims() -> None:
    """The fixture itself: a viewer would load four images from it as written."""
    assert len(images_in(HOSTILE)) >= 5 and invisible_in(HOSTILE)


def test_report_md_prose_keeps_no_image_and_no_invisible_character() -> None:
    md = to_markdown(HOSTILE)
    assert images_in(md) == []
    assert invisible_in(md) == []
    assert invisible_in(MarkdownIt("commonmark").render(md)) == []  # entities decoded by a viewer: none left
    assert "evil.example/pixel.png" in md  # shown as a link text, not dropped silently
    assert "[a real link](https://example.org/policy)" in md
    assert images_in(inline_markdown("![x](http://evil.example/a.png)")) == []


def test_report_html_prose_keeps_no_image_and_no_invisible_character() -> None:
    html = to_html(HOSTILE)
    assert "<img" not in html.lower() and invisible_in(html) == []
    assert '<a href="https://example.org/policy">a real link</a>' in html


def test_visible_removes_format_characters_only() -> None:
    assert visible(f"Exa{ZWSP}mple {RLO}Chat{PDI}") == "Example Chat"
    assert visible("Ærø — “quoted” €5 日本") == "Ærø — “quoted” €5 日本"
    assert visible_markdown("a&#x202E;b&amp;c&rlm;d") == "ab&amp;cd"


def test_an_email_subject_carries_no_invisible_character() -> None:
    msg = build_message(
        report_id="r1",
        sender="csa@example.org",
        recipient="authority@example.org",
        subject=f"Transparency report Example{ZWSP} {RLO}Comms{PDI} 2025",
        body="body",
        attachments=[],
        date=datetime(2026, 1, 15),
    )
    assert str(msg["Subject"]) == "Transparency report Example Comms 2025"


@pytest.mark.slow
def test_no_artefact_carries_an_image_or_an_invisible_character(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "example", policies)
    legal = policies / "legal-basis.md"
    legal.write_text(legal.read_text("utf-8") + "\n" + HOSTILE, "utf-8")
    db = f"sqlite:///{tmp_path / 'source.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["seed", "--db", db, "--period", "2025", "--scale", "100"]) == 0
    out = tmp_path / "out"
    args = ["render", "--db", db, "--period", "2025", "--policies", str(policies), "--as-of", "2026-01-08"]
    assert main([*args, "--out", str(out)]) in (0, 1)
    md = (out / "report.md").read_text("utf-8")
    assert "evil.example/pixel.png" in md  # the hostile prose is in the report
    assert images_in(md) == []
    assert "<img" not in (out / "report.html").read_text("utf-8").lower()
    for name in ("report.html", "report.md", "report.json", "report.csv", "manifest.json"):
        assert invisible_in((out / name).read_text("utf-8")) == [], name
    json.loads((out / "report.json").read_text("utf-8"))
    pdf_text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO((out / "report.pdf").read_bytes())).pages
    )
    assert "desrever si siht" in pdf_text and invisible_in(pdf_text) == []
