"""The nine sections of the standard form (Implementing Regulation (EU) 2024/2916), one builder each.

Each builder maps its section field by field: a value from the indicators (per service and for the total
``ALL``), from the policy documents, or an explicit ``N/A — reason``. No section is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from csa_report.render.model import Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder
from csa_report.render.sections.cases import section4, section5
from csa_report.render.sections.error_rates import section6
from csa_report.render.sections.grounds import section2, section3
from csa_report.render.sections.measures import section7
from csa_report.render.sections.recipients import section9
from csa_report.render.sections.retention import section8
from csa_report.render.sections.tense import tense_notes
from csa_report.render.sections.volumes import section1

SectionBuilder = Callable[[FieldBuilder], Section]

#: The sections in the form's order.
SECTIONS: Final[tuple[SectionBuilder, ...]] = (
    section1,
    section2,
    section3,
    section4,
    section5,
    section6,
    section7,
    section8,
    section9,
)
#: The sections whose fields are all figures from the data (shown per regime segment too).
DATA_SECTIONS: Final[tuple[SectionBuilder, ...]] = (section1, section4, section5, section6)


def build_sections(b: FieldBuilder, which: tuple[SectionBuilder, ...] = SECTIONS) -> tuple[Section, ...]:
    return tuple(_with_tense(b, build) for build in which)


def _with_tense(b: FieldBuilder, build: SectionBuilder) -> Section:
    """The section, with a note for each policy document it quotes that took effect during the period."""
    b.quoted.clear()
    section = build(b)
    notes = tense_notes(b.quoted, b.ind.period, b.policy_folder)
    return section.model_copy(update={"tense": notes}) if notes else section


__all__ = ["DATA_SECTIONS", "SECTIONS", "SECTION_TITLES", "FieldBuilder", "build_sections"]
