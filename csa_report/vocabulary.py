"""The enumerations the whole tool shares, written once: detection categories, user regions and their labels.

The data contract (schema.py), the extraction, the checks, the seed and the report all speak of the same three
categories and two regions; a category added here reaches every one of them.
"""

from __future__ import annotations

from typing import Final, Literal

Category = Literal["known_csam", "new_csam", "solicitation"]

#: The detection categories of data-contract §1, in the order the report lists them.
CATEGORIES: Final = ("known_csam", "new_csam", "solicitation")
#: The categories of child sexual abuse material (files), as opposed to solicitation (conversations).
CSAM: Final = ("known_csam", "new_csam")
#: The user regions of data-contract §1; indicators add the total region "all".
REGIONS: Final = ("eu", "non_eu")

#: How the report names each category.
CATEGORY_LABELS: Final[dict[str, str]] = {
    "known_csam": "Known CSAM",
    "new_csam": "Possible new CSAM",
    "solicitation": "Solicitation of children",
}

#: The points of GDPR Art. 6(1) that rest on Union or Member State law, which must then be named (Art. 6(3)).
LAW_BASED_POINTS: Final = frozenset({"6(1)(c)", "6(1)(e)"})
#: The point of GDPR Art. 6(1) that needs a legitimate interest assessment.
LEGITIMATE_INTEREST: Final = "6(1)(f)"

#: The roles of the accounts named in a report, per kind of abuse (data-contract §1 ``report_accounts.role``).
CSAM_ROLES: Final = ("sender", "receiver")
SOLICITATION_ROLES: Final = ("soliciting", "solicited")
