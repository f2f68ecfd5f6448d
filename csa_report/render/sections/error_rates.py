"""Section 6: the numbers and ratios of errors (false positives) per category and technology."""

from __future__ import annotations

from typing import Final

from csa_report.indicators import ALL, NO, IndicatorRow
from csa_report.policies.models import technology_display_name
from csa_report.render.cells import na_cell, slug, text_or_na
from csa_report.render.model import Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder
from csa_report.vocabulary import CATEGORIES, CATEGORY_LABELS

#: Section 6 wording per category, written out so that no label says "possible possible".
FLAGGED_AS: Final = {
    "known_csam": "possible known CSAM",
    "new_csam": "possible new CSAM",
    "solicitation": "possible solicitation of children",
}
NOT_ABUSE: Final = {"known_csam": "CSAM", "new_csam": "CSAM", "solicitation": "solicitation of children"}
#: What section 6 counts per category, and for which users: every field's label says it.
COUNTED: Final = {
    "known_csam": "content items, all regions",
    "new_csam": "content items, all regions",
    "solicitation": "EU user accounts",
}
#: The form numbers the categories' A, B and C fields 1 to 3.
FORM_NUMBER: Final = {"known_csam": "1", "new_csam": "2", "solicitation": "3"}


def technologies(b: FieldBuilder) -> Group:
    """The plain-words overview of the technologies used (measures.md ``technologies``), shown at the start
    of section 6 so the error rates that follow can be read; also extra rows of report.csv/json."""
    used = sorted(
        {(r.technology, r.category) for r in b.ind.rows if r.section == 6 and r.technology != NO},
        key=lambda tc: (_described_at(b, tc[0]), tc),
    )
    fields: list[Field] = []
    for tech_id, cat in used:
        tech = b.pol.measures.technology(tech_id)
        cell = (
            text_or_na(tech.description, "no description")
            if tech is not None
            else na_cell("not described by the provider (see the findings in the annex)")
        )
        b.extra.append(
            IndicatorRow(
                ALL,
                6,
                "technology_description",
                cat,
                tech_id,
                "all",
                None if cell.na else str(cell.value),
                "text",
                cell.note if cell.na else "",
            )
        )
        fields.append(
            Field(
                id=f"6.technology.{slug(tech_id)}.{cat}",
                label=f"{display_name(b, tech_id)} ({CATEGORY_LABELS[cat]})",
                scope="provider",
                cells=(cell,),
            )
        )
    if not fields:
        fields.append(
            Field(
                id="6.technology.none",
                label="Technologies",
                scope="provider",
                cells=(na_cell("no automated detection in the period"),),
            )
        )
    return Group(id="6.technologies", title="6 The technologies used, in plain words", fields=tuple(fields))


def display_name(b: FieldBuilder, tech_id: str) -> str:
    """The technology's name as a reader knows it (measures.md ``name``, else a known name, else the id)."""
    tech = b.pol.measures.technology(tech_id)
    return tech.display_name if tech is not None else technology_display_name(tech_id)


def _described_at(b: FieldBuilder, tech_id: str) -> int:
    """Where measures.md describes a technology (undescribed ones last): its descriptions may refer back."""
    ids = [t.id for t in b.pol.measures.technologies]
    return ids.index(tech_id) if tech_id in ids else len(ids)


def section6(b: FieldBuilder) -> Section:
    groups: list[Group] = [technologies(b)]
    distinct = (
        (" The total column counts distinct accounts across services, so it can be less than the sum of the services.")
        if len(b.column_keys) > 1
        else ""
    )
    for cat in CATEGORIES:
        n = FORM_NUMBER[cat]
        name = CATEGORY_LABELS[cat]
        region = "eu" if cat == "solicitation" else "all"
        unit_word = "accounts" if cat == "solicitation" else "items"
        counted = f" — {COUNTED[cat]}"
        techs = sorted(
            {r.technology for r in b.ind.rows if r.section == 6 and r.category == cat and r.technology != NO},
            key=lambda t: (_described_at(b, t), t),
        )
        for tech in (NO, *techs):
            tlabel = "all technologies" if tech == NO else f"technology: {display_name(b, tech)}"
            missing = None if tech == NO else "technology not used on this service in the period"
            groups.append(
                Group(
                    id=f"6.{cat}.{tech}",
                    title=f"6 {name} — {tlabel}",
                    note=(
                        "Solicitation counts EU user accounts automatically flagged as soliciting or being "
                        "solicited." + distinct
                        if cat == "solicitation"
                        else ""
                    ),
                    fields=(
                        b.fig(
                            f"6.{cat}.{tech}.A",
                            f"A{n}: {unit_word} automatically flagged as {FLAGGED_AS[cat]}{counted}",
                            6,
                            "flagged",
                            cat,
                            region,
                            tech,
                            missing=missing,
                        ),
                        b.fig(
                            f"6.{cat}.{tech}.B",
                            f"B{n}: of these, {unit_word} that human review found not to be {NOT_ABUSE[cat]}{counted}",
                            6,
                            "not_abuse",
                            cat,
                            region,
                            tech,
                            missing=missing,
                        ),
                        b.fig(
                            f"6.{cat}.{tech}.rate",
                            f"B{n}/A{n}: error rate (%){counted}",
                            6,
                            "error_rate",
                            cat,
                            region,
                            tech,
                            missing=missing,
                        ),
                        b.fig(
                            f"6.{cat}.{tech}.C",
                            f"C{n}: {unit_word} that went to human review{counted}",
                            6,
                            "human_reviewed",
                            cat,
                            region,
                            tech,
                            missing=missing,
                        ),
                        b.svc_na(
                            f"6.{cat}.{tech}.other",
                            f"Other findings{counted}",
                            "no other findings recorded" + ("" if tech == NO else " for this technology"),
                        ),
                    ),
                )
            )
    return Section(
        number=6,
        title=SECTION_TITLES[6],
        intro=(
            "Error rate = items automatically flagged as possible abuse that human review found not to be "
            "abuse ÷ items automatically flagged (see the annex). Items not yet reviewed at the as-of instant "
            "count in A only."
        ),
        groups=tuple(groups),
    )
