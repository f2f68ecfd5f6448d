"""Section 7: the measures applied to limit the error rate, per category (measures.md), field by field."""

from __future__ import annotations

from typing import Final

from csa_report.policies.models import CategoryMeasures, NotApplicable
from csa_report.render.cells import na_cell, text_or_na, value_cell
from csa_report.render.model import Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder, prose_of
from csa_report.vocabulary import CATEGORIES, CATEGORY_LABELS

#: What the indicators of each category are.
INDICATOR_KIND: Final = {"known_csam": "hashes", "new_csam": "AI classifiers", "solicitation": "AI classifiers"}
NONE_STATED: Final = "not stated by the provider"


def _fields_spec(kind: str) -> tuple[tuple[str, str, bool], ...]:
    """(measures.md attribute, the form's label, optional) in the form's order."""
    return (
        ("indicator_quality_checks", f"Indicators ({kind}): how the quality of existing indicators is checked", False),
        ("indicator_vetting", f"Indicators ({kind}): how indicators are vetted before being added", False),
        ("other_indicator_measures", "Indicators: other measures", True),
        (
            "independent_third_party_vetting",
            "Deployment: implementation plan vetted by an independent third party (yes/no)",
            False,
        ),
        ("other_deployment_measures", "Deployment: other measures", True),
        ("all_reviewed_before_reporting", "Human review: every flagged item reviewed before reporting (yes/no)", False),
        ("sample_reviewed_before_reporting", "Human review: a sample reviewed before reporting (yes/no)", False),
        ("training", "Human review: reviewer training (type and length; refreshers)", False),
        ("quality_control", "Human review: periodic quality control of reviewers and verdicts", False),
        ("feedback_organisations", "Feedback from NCMEC or other public-interest organisations", False),
        ("feedback_law_enforcement", "Feedback from law enforcement", False),
        ("feedback_complaints", "Feedback from outcomes of internal or judicial complaints", False),
        ("feedback_other", "Other feedback", True),
        ("error_rate_after_measures", "Error rate achieved after any new measures", False),
    )


def section7(b: FieldBuilder) -> Section:
    m = b.pol.measures
    groups: list[Group] = []
    for cat in CATEGORIES:
        entry = m.category(cat)
        fields: list[Field] = []
        for attr, label, optional in _fields_spec(INDICATOR_KIND[cat]):
            if isinstance(entry, NotApplicable):
                cell = na_cell(" ".join(entry.not_applicable.split()))
            else:
                assert isinstance(entry, CategoryMeasures)
                raw = getattr(entry, attr)
                cell = value_cell(raw, "bool") if isinstance(raw, bool) else text_or_na(raw, NONE_STATED)
            fields.append(
                b.pol_field(f"7.{cat}.{attr}", label, cell, section=7, indicator=attr, category=cat, optional=optional)
            )
        groups.append(Group(id=f"7.{cat}", title=f"7 {CATEGORY_LABELS[cat]}", fields=tuple(fields)))
    return Section(
        number=7,
        title=SECTION_TITLES[7],
        intro=(
            "For known CSAM the indicators are hashes; for possible new CSAM and solicitation they are AI "
            "classifiers. The error rates achieved in the period are in section 6."
        ),
        groups=tuple(groups),
        prose=(prose_of(m),),
    )
