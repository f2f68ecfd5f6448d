"""COMPLETE-1 (every section 1-9 filled or N/A with a reason) and CONSIST-1 (arithmetic of the form).

Both read the extraction's :class:`~csa_report.indicators.Indicators` (sections 1, 4, 5, 6, 9) and the policy
documents (sections 2, 3, 7, 8); no database access.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.indicators import Indicators
from csa_report.policies.models import NotApplicable, PolicySet
from csa_report.source_schema import CHANNELS, SUBJECTS
from csa_report.vocabulary import CATEGORIES

#: Indicators each data section must contain (data-contract §3), at least for service ALL.
REQUIRED: Final[dict[int, tuple[str, ...]]] = {
    1: (
        "images_processed",
        "videos_processed",
        "other_files_processed",
        "text_bytes_processed",
        "metadata_processed",
        "other_file_types",
    ),
    4: ("reports",),
    5: ("content_removed", "accounts_suspended"),
    6: ("flagged", "not_abuse", "error_rate", "human_reviewed"),
    9: ("organisations",),
}
#: Evidence lists are capped so a broken extraction cannot produce a huge findings file.
MAX_EXAMPLES: Final = 20


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def indicator_gaps(data: Indicators) -> list[str]:
    gaps: list[str] = []
    present = {(r.section, r.indicator) for r in data.rows if r.service == "ALL"}
    for section, names in REQUIRED.items():
        gaps += [f"section {section}: indicator {name} is missing" for name in names if (section, name) not in present]
    for r in data.rows:
        if (r.value is None or r.value == "") and not r.note.strip() and r.unit != "text":
            gaps.append(
                f"section {r.section}: {r.indicator} ({r.service}, {r.category}, {r.technology}, "
                f"{r.region}) has no value and no N/A reason"
            )
    return gaps


def policy_gaps(policies: PolicySet, data: Indicators | None) -> list[str]:
    gaps: list[str] = []
    if not policies.legal_basis.gdpr_article_6 and not policies.legal_basis.body.strip():
        gaps.append("section 2: legal-basis.md names no legal basis")
    if not policies.transfers.body.strip():
        gaps.append("section 3: transfers.md has no text describing the transfers (or why there are none)")
    if not policies.retention.body.strip():
        gaps.append("section 8: retention.md has no text describing the retention policy")
    if not policies.measures.body.strip():
        gaps.append("section 7: measures.md has no text describing the measures")
    for category in CATEGORIES:
        if isinstance(policies.measures.category(category), NotApplicable) and data is not None:
            flagged = [
                r
                for r in data.rows
                if r.service == "ALL"
                and r.section == 6
                and r.indicator == "flagged"
                and r.category == category
                and r.technology == "-"
                and (_int(r.value) or 0) > 0
            ]
            if flagged:
                gaps.append(
                    f"section 7: measures.md marks {category} not applicable, but detections of that "
                    "category were flagged in the period"
                )
    return gaps


@rule(
    "COMPLETE-1",
    "blocking",
    "Reg. (EU) 2021/1232 Art. 3(1)(g)(vii) and 3(4); Implementing Reg. (EU) 2024/2916 Annex",
    "every section 1-9 has its values or an explicit N/A with a reason",
    "indicators",
)
def complete_1(ctx: CheckContext) -> Violation | None:
    gaps = indicator_gaps(ctx.data) + policy_gaps(ctx.policies, ctx.data)
    if not gaps:
        return None
    return Violation(
        f"{len(gaps)} part(s) of the report have neither a value nor an N/A with a reason",
        len(gaps),
        {"gaps": gaps[:MAX_EXAMPLES], "more": max(0, len(gaps) - MAX_EXAMPLES)},
    )


Key = tuple[str, int, str, str, str]  # service, section, indicator, category, technology


def arithmetic_errors(data: Indicators) -> list[dict[str, Any]]:
    """Every relation of CONSIST-1 that does not hold, as aggregate evidence."""
    values: dict[tuple[str, int, str, str, str, str], int] = {}
    counts: set[tuple[str, int, str, str, str, str]] = set()  # rows whose unit is a count (not a mean or rate)
    for r in data.rows:
        v = _int(r.value)
        if v is not None:
            key = (r.service, r.section, r.indicator, r.category, r.technology, r.region)
            values[key] = v
            if r.unit == "count":
                counts.add(key)
    errors: list[dict[str, Any]] = []

    def le(small: str, big: str, section: int, relation: str) -> None:
        for (svc, sec, ind, cat, tech, reg), v in sorted(values.items()):
            if sec != section or ind != small:
                continue
            other = values.get((svc, sec, big, cat, tech, reg))
            if other is not None and v > other:
                errors.append(
                    {
                        "relation": relation,
                        "service": svc,
                        "section": sec,
                        "category": cat,
                        "technology": tech,
                        "region": reg,
                        small: v,
                        big: other,
                    }
                )

    le("not_abuse", "flagged", 6, "B <= A")
    le("human_reviewed", "flagged", 6, "C <= A")
    le("not_abuse", "human_reviewed", 6, "B <= C")  # a not-abuse verdict needs a review
    for subject in SUBJECTS:
        for channel in CHANNELS:
            le(f"{subject}_restored_{channel}", f"{subject}_complaints_{channel}", 5, "restored <= complaints")
    regions: dict[tuple[str, int, str, str, str], dict[str, int]] = defaultdict(dict)
    for (svc, sec, ind, cat, tech, reg), v in values.items():
        regions[(svc, sec, ind, cat, tech)][reg] = v
    for (svc, sec, ind, cat, tech), by_region in sorted(regions.items()):
        if {"eu", "non_eu", "all"} <= by_region.keys() and by_region["eu"] + by_region["non_eu"] != by_region["all"]:
            errors.append(
                {
                    "relation": "eu + non_eu = all",
                    "service": svc,
                    "section": sec,
                    "indicator": ind,
                    "category": cat,
                    "technology": tech,
                    "eu": by_region["eu"],
                    "non_eu": by_region["non_eu"],
                    "all": by_region["all"],
                }
            )
    # Any count given for the EU and for all regions: the EU part cannot exceed the whole. Generic over
    # indicators, so it holds whichever sections carry eu/all rows.
    for (svc, sec, ind, cat, tech, reg), v in sorted(values.items()):
        if reg != "eu" or (svc, sec, ind, cat, tech, reg) not in counts:
            continue
        whole = (svc, sec, ind, cat, tech, "all")
        if whole in counts and v > values[whole]:
            errors.append(
                {
                    "relation": "eu <= all",
                    "service": svc,
                    "section": sec,
                    "indicator": ind,
                    "category": cat,
                    "technology": tech,
                    "eu": v,
                    "all": values[whole],
                }
            )
    return errors


@rule(
    "CONSIST-1",
    "blocking",
    "Implementing Reg. (EU) 2024/2916 Annex, sections 5 and 6",
    "the form's arithmetic holds",
    "indicators",
)
def consist_1(ctx: CheckContext) -> Violation | None:
    errors = arithmetic_errors(ctx.data)
    if not errors:
        return None
    relations = sorted({str(e["relation"]) for e in errors})
    return Violation(
        f"{len(errors)} arithmetic relation(s) of the form do not hold ({', '.join(relations)})",
        len(errors),
        {"relations": errors[:MAX_EXAMPLES], "more": max(0, len(errors) - MAX_EXAMPLES)},
    )
