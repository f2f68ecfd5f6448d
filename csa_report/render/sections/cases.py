"""Sections 4 and 5: the cases of child sexual abuse identified, and the removals, suspensions and complaints."""

from __future__ import annotations

from csa_report.render.cells import lower_first
from csa_report.render.model import Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder
from csa_report.vocabulary import CATEGORY_LABELS, CSAM


def section4(b: FieldBuilder) -> Section:
    distinct = (
        (
            " The total column counts distinct items and accounts across services, so it can be less "
            "than the sum of the services."
        )
        if len(b.column_keys) > 1
        else ""
    )
    groups: list[Group] = []
    for cat in CSAM:
        name = CATEGORY_LABELS[cat]
        groups.append(
            Group(
                id=f"4.{cat}",
                title=f"4 {name}",
                note=(
                    (
                        "Material confirmed as CSAM (hash match)."
                        if cat == "known_csam"
                        else "Reported files other than known CSAM."
                    )
                    + distinct
                ),
                fields=(
                    *b.eu_all(f"4.{cat}.reports", f"Reports concerning {lower_first(name)}", 4, "reports", cat),
                    *b.eu_all(f"4.{cat}.images", "Images reported", 4, "images_reported", cat),
                    *b.eu_all(f"4.{cat}.videos", "Videos reported", 4, "videos_reported", cat),
                    *b.eu_all(f"4.{cat}.other", "Other files reported", 4, "other_files_reported", cat),
                    b.fig(
                        f"4.{cat}.other.types",
                        "Other files reported — file types (EU users)",
                        4,
                        "other_file_types_reported",
                        cat,
                        region="eu",
                    ),
                    b.fig(
                        f"4.{cat}.sending",
                        "EU user accounts reported as sending at least one item",
                        4,
                        "accounts_sending",
                        cat,
                        region="eu",
                    ),
                    b.fig(
                        f"4.{cat}.receiving",
                        "EU user accounts reported as receiving at least one item",
                        4,
                        "accounts_receiving",
                        cat,
                        region="eu",
                    ),
                ),
            )
        )
    groups.append(
        Group(
            id="4.solicitation",
            title="4 Solicitation of children",
            note=distinct.strip().replace("distinct items and accounts", "distinct accounts"),
            fields=(
                *b.eu_all(
                    "4.solicitation.reports",
                    "Reports of possible solicitation of children",
                    4,
                    "reports",
                    "solicitation",
                ),
                b.fig(
                    "4.solicitation.soliciting",
                    "EU user accounts reported as possibly soliciting a child",
                    4,
                    "accounts_soliciting",
                    "solicitation",
                    region="eu",
                ),
                b.fig(
                    "4.solicitation.solicited",
                    "EU user accounts reported as possibly being solicited",
                    4,
                    "accounts_solicited",
                    "solicitation",
                    region="eu",
                ),
            ),
        )
    )
    return Section(
        number=4,
        title=SECTION_TITLES[4],
        intro=(
            "Reports sent in the period to the organisations of section 9, split between child sexual abuse "
            "material and solicitation of children. The form asks about EU users: a report concerns EU users "
            "when one of its items or named accounts belongs to an EU user, and items and accounts are those of "
            "EU users. The value for all regions follows in brackets, for information."
        ),
        groups=tuple(groups),
    )


def _complaint_fields(b: FieldBuilder, cat: str, subject: str) -> list[Field]:
    reasons = "optional field: complaint reasons are recorded per case and not aggregated for publication"
    what = "items" if subject == "content" else "accounts"
    p = f"5.{cat}.{subject}"
    return [
        *b.eu_all(
            f"{p}.internal", "Complaints to the internal redress mechanism", 5, f"{subject}_complaints_internal", cat
        ),
        b.svc_na(f"{p}.internal.reasons", "Reasons for the internal complaints", reasons, optional=True),
        *b.eu_all(
            f"{p}.internal.restored",
            f"{what.capitalize()} restored after an internal complaint",
            5,
            f"{subject}_restored_internal",
            cat,
        ),
        *b.eu_all(
            f"{p}.internal.days",
            "Average time to decide on an internal complaint",
            5,
            f"{subject}_decision_days_internal",
            cat,
            optional=True,
        ),
        *b.eu_all(f"{p}.judicial", "Complaints to a judicial authority", 5, f"{subject}_complaints_judicial", cat),
        b.svc_na(f"{p}.judicial.reasons", "Reasons for the judicial complaints", reasons, optional=True),
        *b.eu_all(
            f"{p}.judicial.restored",
            f"{what.capitalize()} restored after a judicial complaint",
            5,
            f"{subject}_restored_judicial",
            cat,
        ),
        *b.eu_all(
            f"{p}.judicial.days",
            "Average time to comply with the judicial decision",
            5,
            f"{subject}_compliance_days_judicial",
            cat,
            optional=True,
        ),
    ]


def section5(b: FieldBuilder) -> Section:
    distinct = (
        (" The total column counts distinct accounts across services, so it can be less than the sum of the services.")
        if len(b.column_keys) > 1
        else ""
    )
    restricted_note = (
        "Restrictions are not suspensions: they are shown apart, for information, and "
        "complaints against them are not counted."
    )
    groups: list[Group] = []
    for cat in CSAM:
        name = CATEGORY_LABELS[cat]
        groups.append(
            Group(
                id=f"5.{cat}.content",
                title=f"5 {name} — content",
                fields=(
                    *b.eu_all(f"5.{cat}.content.removed", "Items removed", 5, "content_removed", cat),
                    *_complaint_fields(b, cat, "content"),
                ),
            )
        )
        groups.append(
            Group(
                id=f"5.{cat}.account",
                title=f"5 {name} — accounts",
                note=restricted_note + distinct,
                fields=(
                    *b.eu_all(
                        f"5.{cat}.account.suspended",
                        "EU user accounts suspended for sharing",
                        5,
                        "accounts_suspended",
                        cat,
                        all_label="User accounts suspended for sharing",
                    ),
                    *b.eu_all(
                        f"5.{cat}.account.restricted",
                        "EU user accounts restricted (not suspended)",
                        5,
                        "accounts_restricted",
                        cat,
                        all_label="User accounts restricted (not suspended)",
                    ),
                    *_complaint_fields(b, cat, "account"),
                ),
            )
        )
    groups.append(
        Group(
            id="5.solicitation.account",
            title="5 Solicitation of children — accounts",
            note=restricted_note + distinct,
            fields=(
                *b.eu_all(
                    "5.solicitation.account.suspended",
                    "EU user accounts suspended for soliciting a child",
                    5,
                    "accounts_suspended",
                    "solicitation",
                    all_label="User accounts suspended for soliciting a child",
                ),
                *b.eu_all(
                    "5.solicitation.account.restricted",
                    "EU user accounts restricted (not suspended) for soliciting a child",
                    5,
                    "accounts_restricted",
                    "solicitation",
                    all_label="User accounts restricted (not suspended) for soliciting a child",
                ),
                *_complaint_fields(b, "solicitation", "account"),
            ),
        )
    )
    return Section(
        number=5,
        title=SECTION_TITLES[5],
        intro=(
            "Removals and account suspensions (a termination counts as a permanent suspension) in the period, "
            "and complaints lodged in the period through the internal redress mechanism or with a judicial "
            "authority against them, with their outcome at the as-of instant. The form asks about EU users; "
            "the value for all regions follows in brackets, for information."
        ),
        groups=tuple(groups),
    )
