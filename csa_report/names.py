"""Names are identities: the one validation of every text that names something.

Services, recipients, technologies, the provider, the supervisory authority and people (approvers, preparer,
signers) are compared as exact strings: a rule keyed on provider.md's "Example Chat" finds the rows of the
database's "Example Chat" and nothing else. Two names that look the same must therefore be the same string, and a
name must be safe wherever it is printed (report, PDF layout, e-mail subject, storage key). A name is valid when

* it is in Unicode NFC (``"e\\u0301"`` must be written ``"é"``: the two look the same and compare different);
* it holds no control character (category Cc: NUL, TAB, CR, LF, DEL, C1 controls), no format character
  (category Cf: the bidi controls U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C, the zero-width and
  invisible U+200B-U+200D, U+2060-U+2064, U+FEFF, the soft hyphen U+00AD, tag characters), no variation
  selector (U+FE00-U+FE0F, U+E0100-U+E01EF: they change a glyph, never the name, so "❤" and "❤\\ufe0f" would be
  two names that look alike), no surrogate, private-use or unassigned code point (no glyph, no stable
  normalisation), and no line or paragraph separator (U+2028, U+2029);
* its only space is the plain space U+0020 (no no-break, thin, ideographic or other Unicode space), never at the
  start or the end and never two in a row;
* it is at most :data:`MAX_NAME_CHARS` characters and :data:`MAX_NAME_BYTES` bytes in UTF-8 (the provider's name
  becomes part of storage keys and file names; long names also make the PDF layout slow);
* where it is joined into a comma-separated list (services, recipients, technologies, people), it holds no
  ``", "`` (:data:`LIST_SEPARATOR`): since no listed name contains the separator and none starts with a space, a
  joined list splits back into its names in exactly one way.

Zero-width joiners are refused too, although some scripts use them: a name is an identifier, and the spelling
without them is the one to use. Homoglyphs (a Cyrillic "а" for a Latin "a") are not detected here; a source name
spelled that way is simply not a declared service, which the SERVICE-1 rule blocks.

Nothing is repaired: a name that is not valid is refused with the reason and the value shown escaped
(:func:`escaped`), never silently normalised, so the spelling in the file or the database is the one corrected.
Pure functions; the policy models use :data:`Name`/:data:`ListedName`, the source data
:func:`csa_report.source_names.check_source_names`.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator, StrictStr

#: Longest name in characters (code points): generous for any organisation or person, short enough for a table
#: cell, an e-mail subject and the PDF layout.
MAX_NAME_CHARS: Final = 120
#: Longest name in UTF-8 bytes: the provider's name becomes part of every S3 key (at most 1024 bytes with prefix,
#: period, report id and file name) and of file names (255 bytes), so it must leave room. The policy loader's
#: early length check uses the same limit.
MAX_NAME_BYTES: Final = 200
#: How names are joined into one line (report, findings, e-mails): refused inside a listed name.
LIST_SEPARATOR: Final = ", "

#: Unicode general categories refused anywhere in a name: control, format (bidi, zero-width, soft hyphen,
#: tags), surrogate, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _is_variation_selector(ch: str) -> bool:
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def escaped(value: str) -> str:
    """``value`` quoted with every character that is not plainly printable written as an escape (``\\u202e``,
    ``\\r``, ``\\u00a0``): safe to print in a terminal, a log line or a finding, and it shows what is really there.
    Printable non-ASCII letters (é, ß, 中) stay as they are; combining marks too, unless the value is not in NFC
    (then they are what differs, and are shown as escapes)."""
    shown = "LMNPS" if unicodedata.is_normalized("NFC", value) else "LNPS"
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        if ch == "'" or ch == "\\":
            out.append("\\" + ch)
        elif ch == " " or (cat[0] in shown and not _is_variation_selector(ch)):
            out.append(ch)
        elif ch in "\t\n\r":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch])
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "'" + "".join(out) + "'"


def _character_problem(ch: str) -> str | None:
    code = f"U+{ord(ch):04X}"
    cat = unicodedata.category(ch)
    if cat in _REFUSED_CATEGORIES:
        what = {
            "Cc": "a control character",
            "Cf": "an invisible formatting character (bidi control, zero-width or soft hyphen)",
            "Cs": "a surrogate code point",
            "Co": "a private-use character",
            "Cn": "an unassigned code point",
            "Zl": "a line separator",
            "Zp": "a paragraph separator",
        }[cat]
        return f"holds {what} ({code})"
    if _is_variation_selector(ch):
        return f"holds a variation selector ({code}), which changes only how a character is drawn"
    if cat == "Zs" and ch != " ":
        return f"holds a space other than the plain space ({code} {unicodedata.name(ch, 'SPACE')})"
    return None


def name_problem(value: str, *, listed: bool = False) -> str | None:
    """Why ``value`` is not a valid name (a phrase after the escaped value), or None when it is one.
    ``listed``: the name is joined into comma-separated lists, so ``", "`` is refused too."""
    if not value:
        return "is empty"
    if len(value) > MAX_NAME_CHARS:
        return f"is {len(value)} characters long; a name has at most {MAX_NAME_CHARS}"
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"is {size} bytes long in UTF-8; a name has at most {MAX_NAME_BYTES}"
    for ch in value:
        problem = _character_problem(ch)
        if problem is not None:
            return problem
    if not unicodedata.is_normalized("NFC", value):
        return f"is not in Unicode NFC form (write it as {escaped(unicodedata.normalize('NFC', value))})"
    if value != value.strip(" "):
        return "starts or ends with a space"
    if "  " in value:
        return "holds two spaces in a row"
    if listed and LIST_SEPARATOR in value:
        return f"holds {LIST_SEPARATOR!r}, which separates names where they are listed"
    return None


def _validator(listed: bool) -> AfterValidator:
    def check(value: str) -> str:
        problem = name_problem(value, listed=listed)
        if problem is not None:
            # pydantic reports a ValueError with the field's location; the loader adds file and line
            raise ValueError(f"{escaped(value)} {problem}")
        return value

    return AfterValidator(check)


#: A name in a policy document (the provider, the supervisory authority, a contact).
Name = Annotated[StrictStr, _validator(listed=False)]
#: A name that is also joined into comma-separated lists (services, recipients, technologies, people).
ListedName = Annotated[StrictStr, _validator(listed=True)]
