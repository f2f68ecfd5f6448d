"""Text that goes into a letter's headers and lines: refused up front when hostile, stripped when built.

A provider name, a service or a correction's reason ends up in a Subject line or a body an authority files. A
CR or LF would start a new header (header injection); bidi controls (U+202E …) can make a line read in another
order than it is stored; zero-width characters make two names look equal that are not. :func:`refuse_hostile`
names the field at the start of the run (exit 2, before anything is staged); :func:`clean_line` is what the
builder applies at send time, where raising would leave an archived report unsent.
"""

from __future__ import annotations

import unicodedata

from csa_report.errors import InputError


def _hostile(ch: str) -> str | None:
    """Why ``ch`` does not belong in a one-line value, or None."""
    if ch in "\r\n":
        return "a line break (CR or LF)"
    category = unicodedata.category(ch)
    if category == "Cc":
        return f"a control character (U+{ord(ch):04X})"
    if category == "Cf":
        # Format characters: the bidi embeddings, overrides and isolates, zero-width (non-)joiners and spaces,
        # the word joiner, the byte-order mark.
        return f"an invisible formatting character (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})"
    if category in ("Zl", "Zp"):
        return f"a line or paragraph separator (U+{ord(ch):04X})"
    return None


def refuse_hostile(value: str, field: str) -> str:
    """``value`` unchanged, or InputError naming ``field`` and the first character that cannot be in it."""
    for ch in value:
        why = _hostile(ch)
        if why is not None:
            raise InputError(f"{field}: {value!r} holds {why}, which cannot appear in an e-mail header or line")
    if not value.strip():
        raise InputError(f"{field}: must not be empty")
    return value


def clean_line(value: str) -> str:
    """``value`` as one safe line: format characters removed, controls and separators as spaces, spacing
    collapsed. A no-op on every value :func:`refuse_hostile` accepts (apart from surrounding spaces)."""
    kept = []
    for ch in value:
        why = _hostile(ch)
        if why is None:
            kept.append(ch)
        elif unicodedata.category(ch) != "Cf":
            kept.append(" ")
    return " ".join("".join(kept).split())


def as_sentence(value: str) -> str:
    """``value`` cleaned, ending with a full stop unless it ends with its own punctuation."""
    text = clean_line(value)
    return text if not text or text[-1] in ".!?" else text + "."
