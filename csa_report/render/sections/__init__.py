"""The nine sections of the standard form (Implementing Regulation (EU) 2024/2916), one builder each.

Each builder maps its section field by field: a value from the indicators (per service and for the total
``ALL``), from the policy documents, or an explicit ``N/A — reason``. No section is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Final

from csa_report.policies.models import PolicySet
from csa_report.render.model import Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder
from csa_report.render.sections.cases import section4, section5
from csa_report.render.sections.error_rates import section6
from csa_report.render.sections.grounds import section2, section3
from csa_report.render.sections.measures import section7
from csa_report.render.sections.recipients import section9
from csa_report.render.sections.retention import section8
from csa_report.render.sections.tense import tense_notes
from csa_report.render.sections.versions import per_version
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
    """The section, with its statements per policy version (sections 2, 3, 7, 8, 9) and a note for each policy
    document it quotes that took effect during the period."""
    b.quoted.clear()
    section = build(b)
    quoted = dict(b.quoted)
    notes = tense_notes(quoted, b.ind.period, b.policy_folder)
    section = per_version(section, b.policies, b.ind.period, tuple(quoted.values()), lambda p: _built_with(b, build, p))
    _record_statements(b, section)
    return section.model_copy(update={"tense": notes}) if notes else section


def _built_with(b: FieldBuilder, build: SectionBuilder, policies: PolicySet) -> Section:
    """The section as another version of a policy document states it (its own builder: nothing recorded)."""
    other = FieldBuilder(b.ind, policies)
    other.findings = b.findings
    return build(other)


def _record_statements(b: FieldBuilder, section: Section) -> None:
    """report.csv/json carry a per-version statement as printed."""
    for g in section.groups:
        for f in g.fields:
            i = b.extra_of.get(f.id)
            if i is not None and f.scope == "provider" and not f.cells[0].na and b.extra[i].value != f.cells[0].value:
                b.extra[i] = replace(
                    b.extra[i], value=f.cells[0].value if isinstance(f.cells[0].value, str) else b.extra[i].value
                )


__all__ = ["DATA_SECTIONS", "SECTIONS", "SECTION_TITLES", "FieldBuilder", "build_sections"]
