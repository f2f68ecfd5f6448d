"""The fictional provider of the demo, the seed and the example policies. One place, so that the synthetic
data, ``policies/example/`` and the tests agree on names."""

from __future__ import annotations

from datetime import date
from typing import Final

PROVIDER: Final = "Example Communications Ireland Ltd"
SERVICES: Final = ("Example Chat", "Example Mail")
#: Services that become end-to-end encrypted, and from when (2026/1881 excludes them from scanning).
E2EE_FROM: Final[dict[str, date]] = {"Example Chat": date(2026, 10, 1)}

#: Organisations the provider reports to, as named in ``policies/example/transfers.md``.
RECIPIENTS: Final = ("NCMEC", "Internet Watch Foundation", "An Garda Síochána")
#: Detection technologies per category (the automated ones; ``user_report`` is the manual channel).
TECHNOLOGIES: Final[dict[str, tuple[str, ...]]] = {
    "known_csam": ("photodna", "csai_match"),
    "new_csam": ("new_csam_classifier",),
    "solicitation": ("grooming_classifier",),
}
USER_REPORT: Final = "user_report"
PREPARER: Final = "Aoife Byrne"
APPROVERS: Final = ("Dara Kelly", "demo-reviewer")
