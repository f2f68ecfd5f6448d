"""Invisible format characters never reach an artefact or an e-mail header.

Unicode's format characters (general category Cf) draw nothing but change how the text around them is shown:
the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) reverse or reorder a paragraph (an RLO
made a PDF paragraph read backwards), the zero-width characters (U+200B–U+200D, U+2060, U+FEFF) make two
different names look the same, the tag characters hide text entirely. csa-report's artefacts (HTML, PDF,
Markdown, JSON, CSV) and e-mail headers carry none of them: :func:`visible` removes them all. Names are refused
at load when they carry them (they are identities); this is the last guard for everything else, prose included.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

#: A character reference in Markdown (``&#x202E;``, ``&#8238;``, ``&rlm;``): a viewer decodes it.
_ENTITY: Final = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});")


def is_invisible(char: str) -> bool:
    """A format character (Cf): bidi controls, zero-width characters, tags, soft hyphen."""
    return unicodedata.category(char) == "Cf"


def visible(text: str) -> str:
    """``text`` without its format characters (ASCII text is returned as it is)."""
    if text.isascii():
        return text
    return "".join(c for c in text if not is_invisible(c))


def visible_markdown(text: str) -> str:
    """:func:`visible`, and character references that a Markdown viewer would decode into one removed too."""

    def drop(m: re.Match[str]) -> str:
        decoded = html.unescape(m.group(0))
        return "" if decoded != m.group(0) and all(is_invisible(c) for c in decoded) else m.group(0)

    return _ENTITY.sub(drop, visible(text))
