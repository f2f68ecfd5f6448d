"""The definitions the report applies, printed in its annex and in docs/definitions.md.

This module is the one source of the wording; tests check that docs/definitions.md carries the same text.
"""

from __future__ import annotations

from typing import Final

DEFINITIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "Processed",
        "An item is processed when a detection technology inspected it during the period: every image, video "
        "or other file scanned, every byte of text scanned for solicitation, and every metadata record read "
        "for detection, as the provider counts them in its daily processing volumes. It is not the number "
        "of items detected (section 4) or flagged (section 6).",
    ),
    (
        "EU user",
        "A user whose account the provider's records attribute to a Member State of the European Union. "
        "Users in Iceland, Liechtenstein, Norway, Switzerland and every other country count as non-EU users, "
        "even where the provider's EU establishment serves them. The form asks sections 4 and 5 about EU users: "
        "their fields carry EU figures, with the figure for all regions beside them. Account counts in "
        "sections 4, 5 and 6 are distinct accounts.",
    ),
    (
        "Known CSAM",
        "Material that a detection technology matched to material already confirmed as child sexual abuse "
        'material (for example a hash of a previously confirmed item). "Possible new CSAM" is any other '
        'flagged or reported material. "Solicitation" is the solicitation of children detected in text.',
    ),
    (
        "Error rate",
        "For each category and technology: B ÷ A × 100, where A is the number of items (for solicitation: "
        "EU accounts) automatically flagged during the period and B is the number of those that human "
        "review, at or before the as-of instant, found not to be abuse. C is the number of those that went to "
        "human review. Items not yet reviewed count in A but in neither B nor C, so the rate is a lower "
        "bound. It is N/A when nothing was flagged. Appeal-based overturn rates are a different metric and "
        "are reported in section 5, not here.",
    ),
    (
        "Period and as-of",
        "The reporting period is a closed date interval; an event belongs to it when its timestamp (UTC) "
        "falls on a day inside it. Reviews, verdicts, complaint outcomes and erasures count only if they "
        "happened at or before the as-of instant printed in the header.",
    ),
)
