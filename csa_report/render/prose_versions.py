"""The prose of a policy document with several versions in the period, printed once (docs/definitions.md 34).

Versions usually differ in a sentence or two (retention.md 2026.2 changes one limit); printing each version's
whole text repeats everything else. The bodies are compared paragraph by paragraph, and a plain paragraph
(not a list, heading, quote, table or code) sentence by sentence: what every version says is printed once,
and only what differs is printed per version, each led by its version and days. Where the versions do not
line up (a paragraph or sentence added or removed), the differing paragraph is given per version whole, and
where the paragraph counts differ, ``None`` tells the caller to print each version's text apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n")
#: A paragraph that is more than running text: sentence-level comparison could break its Markdown structure.
_STRUCTURED: Final = re.compile(
    r"^(?: {4}|\t| {0,3}(?:[#>|]|[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|```|~~~|=+\s*$|-+\s*$))", re.MULTILINE
)
#: A sentence ends with . ! or ? (optionally closed by a bracket or quote) before the next one's first letter.
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)[)\"”’]?\s+(?=[A-Z(\"“*_\[])")


def merge_versions(labels: Sequence[str], bodies: Sequence[str]) -> str | None:
    """One Markdown body for all versions (``labels`` name each, e.g. "Version 2025.1 (2026-01-01 to
    2026-07-30)"), or None when their paragraphs do not line up."""
    split = [[p.strip() for p in _PARAGRAPH_BREAK.split(b.strip()) if p.strip()] for b in bodies]
    if len({len(s) for s in split}) != 1:
        return None
    out: list[str] = []
    for paragraphs in zip(*split, strict=True):
        if len(set(paragraphs)) == 1:
            out.append(paragraphs[0])
        elif any(_STRUCTURED.search(p) or p.endswith("\\") or "  \n" in p for p in paragraphs):
            out.extend(f"*{label}:*\n\n{p}" for label, p in _groups(labels, paragraphs))
        else:
            out.append(_merge_sentences(labels, paragraphs))
    return "\n\n".join(out) + "\n"


def _merge_sentences(labels: Sequence[str], paragraphs: Sequence[str]) -> str:
    sentences = [_sentences(p) for p in paragraphs]
    if len({len(s) for s in sentences}) != 1:
        return " ".join(f"*{label}:* {p}" for label, p in _groups(labels, [" ".join(s) for s in sentences]))
    parts: list[str] = []
    for same_place in zip(*sentences, strict=True):
        if len(set(same_place)) == 1:
            parts.append(same_place[0])
        else:
            parts.extend(f"*{label}:* {s}" for label, s in _groups(labels, same_place))
    return " ".join(parts)


def _sentences(paragraph: str) -> list[str]:
    text = " ".join(paragraph.split())
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[start : m.start() + len(m.group(0).rstrip())])
        start = m.end()
    out.append(text[start:])
    return out


def _groups(labels: Sequence[str], texts: Sequence[str]) -> list[tuple[str, str]]:
    """Each distinct text once, with the labels of the versions that say it ("A and B"), in version order."""
    grouped: dict[str, list[str]] = {}
    for label, text in zip(labels, texts, strict=True):
        grouped.setdefault(text, []).append(label)
    return [(" and ".join(names), text) for text, names in grouped.items()]
