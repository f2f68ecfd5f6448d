"""measures.md ``plausibility``: the thresholds of the PLAUS-* review rules, each with its documented default
(docs/rules.md). Absent, the defaults apply; a value is a whole number, never coerced."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field, StrictInt

from csa_report.policies.fields import StrictModel

#: The defaults, in one place (docs/policies-reference.md and docs/rules.md print them).
IDENTICAL_DAYS: Final = 14
YEAR_ON_YEAR_PERCENT: Final = 50
YEAR_ON_YEAR_MINIMUM: Final = 100


class Plausibility(StrictModel):
    #: PLAUS-1: a service and data type whose daily volume is the same on more than this many consecutive days.
    identical_volume_days: Annotated[StrictInt, Field(ge=1)] = IDENTICAL_DAYS
    #: PLAUS-2: a section 1 or 4 figure that changed by more than this percentage against the previous report.
    year_on_year_percent: Annotated[StrictInt, Field(ge=1)] = YEAR_ON_YEAR_PERCENT
    #: PLAUS-2: figures below this in both years are not compared (small numbers move by large percentages).
    year_on_year_minimum: Annotated[StrictInt, Field(ge=0)] = YEAR_ON_YEAR_MINIMUM
