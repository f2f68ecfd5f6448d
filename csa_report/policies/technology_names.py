"""The names a reader knows for detection technologies (measures.md ``technologies[].name``)."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator

from csa_report.policies.fields import Text

#: The longest display name of a technology (it heads a table and names a row).
DISPLAY_NAME_MAX: Final = 60
#: Characters a display name may not hold: it is printed as plain words, never as markup.
_MARKUP = frozenset("<>&`*[]")
#: The display name of a well-known technology id, used when measures.md gives no ``name``.
KNOWN_TECHNOLOGY_NAMES: Final[dict[str, str]] = {
    "photodna": "PhotoDNA",
    "csai_match": "CSAI Match",
    "new_csam_classifier": "classifier for new material",
    "grooming_classifier": "grooming classifier",
    "user_report": "user reports",
}


def _display_name(value: str) -> str:
    if len(value) > DISPLAY_NAME_MAX:
        raise ValueError(f"longer than {DISPLAY_NAME_MAX} characters ({len(value)})")
    bad = sorted(_MARKUP.intersection(value))
    if bad:
        raise ValueError(f"holds markup characters ({' '.join(bad)}): a display name is plain words")
    return " ".join(value.split())


DisplayName = Annotated[Text, AfterValidator(_display_name)]


def technology_display_name(tech_id: str, name: str | None = None) -> str:
    """What a reader sees for a technology: its ``name``, else the known name of its id, else the id in words."""
    if name:
        return name
    return KNOWN_TECHNOLOGY_NAMES.get(tech_id, tech_id.replace("_", " "))
