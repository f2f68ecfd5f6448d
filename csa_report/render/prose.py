"""Policy prose is data: Markdown written by legal and privacy teams, shown in the report, never a template.

``to_html`` converts it with markdown-it-py with raw HTML disabled, so ``<script>`` and any other tag arrive as
escaped text; images are disabled (the report is self-contained and must not fetch anything); headings are
demoted below the report's own h1–h3 so prose cannot break the document outline. ``to_markdown`` prepares the
same prose for ``report.md``: headings demoted, anything that would form an HTML tag backslash-escaped, links
other than http, https and mailto turned into text, and image syntax (``![alt](url)``, ``![alt][ref]``) broken
into a literal ``!`` and a link, so no viewer fetches anything. Both drop invisible format characters (bidi
overrides, zero-width characters; csa_report.invisible), so prose cannot reorder or hide text.
The result of ``to_html`` is marked safe for Jinja (it is already escaped) and is *output* by templates, never
compiled: ``{{ 7*7 }}`` in a policy stays ``{{ 7*7 }}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from csa_report.invisible import visible, visible_markdown

#: The report uses h1 (title), h2 (sections) and h3 (sub-sections); prose headings start at h4.
HEADING_SHIFT: Final = 3
_ALLOWED_LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")

    def heading_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        level = min(int(tokens[idx].tag[1]) + HEADING_SHIFT, 6)
        return f"<h{level}>"

    def heading_close(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        level = min(int(tokens[idx].tag[1]) + HEADING_SHIFT, 6)
        return f"</h{level}>\n"

    def validate_link(url: str) -> bool:
        return bool(_ALLOWED_LINK.match(url.strip()))

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.validateLink = validate_link  # type: ignore[method-assign]
    return md


_PARSER: Final = _make_parser()


def to_html(text: str) -> str:
    """Markdown prose → escaped, safe HTML (raw HTML shown as text, no images, demoted headings)."""
    return visible(str(_PARSER.render(visible(text))))


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(?=\s|$)", re.MULTILINE)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
#: report.md keeps links only with these schemes; any other destination (javascript:, data:, file:, relative)
#: is broken into plain text, so a Markdown viewer never makes it clickable.
_MD_LINK_OK = re.compile(r"^<?\s*(https?://|mailto:)", re.IGNORECASE)
_INLINE_LINK = re.compile(r"(\\*)\]\((?=([^\n]*))")
_REF_DEFINITION = re.compile(r"^(\s{0,3})\[([^\]\n]+)\]:\s*(\S*)")
#: ``![`` opens an image (inline, reference or shortcut) unless an odd run of backslashes escapes the ``!``.
_IMAGE = re.compile(r"(\\*)!\[")


def _no_images(line: str) -> str:
    """``![alt](url)`` and ``![alt][ref]`` become ``\\![alt](url)``: a literal "!" and a link to click (or
    not), never an image a viewer loads by itself."""

    def escape(m: re.Match[str]) -> str:
        return m.group(0) if len(m.group(1)) % 2 == 1 else m.group(1) + "\\!["

    return _IMAGE.sub(escape, line)


def _neutralise_links(line: str) -> str:
    """``[text](dest)`` and ``[label]: dest`` keep working only for http(s) and mailto destinations; otherwise
    the bracket is escaped, which CommonMark renders as the literal text."""

    def inline(m: re.Match[str]) -> str:
        escaped = len(m.group(1)) % 2 == 1  # an odd run of backslashes already makes the bracket literal
        if escaped or _MD_LINK_OK.match(m.group(2).lstrip()):
            return m.group(0)
        return m.group(1) + "\\]("

    line = _INLINE_LINK.sub(inline, line)
    ref = _REF_DEFINITION.match(line)
    if ref and not _MD_LINK_OK.match(ref.group(3)):
        line = f"{ref.group(1)}\\{line[len(ref.group(1)) :]}"
    return line


def to_markdown(text: str) -> str:
    """Markdown prose for report.md: headings demoted, would-be HTML tags escaped (outside code fences)."""
    out: list[str] = []
    in_fence = False
    for line in visible_markdown(text).strip("\n").split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            continue
        if not in_fence:
            line = _HEADING.sub(lambda m: m.group(1) + "#" * min(len(m.group(2)) + HEADING_SHIFT, 6), line)
            line = _TAG_START.sub(r"\\<", line)
            line = _neutralise_links(_no_images(line))
        out.append(line.rstrip())
    if in_fence:  # an unterminated fence would swallow the rest of the report
        out.append("```")
    return "\n".join(out)


def inline_markdown(value: Any) -> str:
    """A short text value (a name, an instrument) for report.md: one line, no tags, no emphasis tricks."""
    text = " ".join(visible_markdown(str(value)).split())
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return _TAG_START.sub(r"\\<", text)
