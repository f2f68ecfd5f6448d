"""TECH-1: every detection technology had its DPIA and prior consultation (Art. 3(1)(c)-(d)).

The database gives, per technology of automated detections in the period, its categories, its detection
count and the day of its first detection; the comparison with ``measures.md`` ``technologies`` is done on those
aggregates. A technology in the data but not described there is a finding, never a crash.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.source_schema import Detection

D = Detection.__table__


@rule(
    "TECH-1",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(c)-(d); GDPR Art. 35-36",
    "every technology used had a DPIA and a prior consultation, and reported back where required",
    "data",
    {"detections": ("technology", "category", "flagged_at", "automated")},
)
def tech_1(ctx: CheckContext) -> Violation | None:
    q = ctx.sql
    stmt = (
        select(D.c.technology, D.c.category, func.count(), func.min(q.ts(D.c.flagged_at)))
        .where(
            D.c.automated.is_(True),
            q.ts(D.c.flagged_at) >= q.at(ctx.period.start_at),
            q.ts(D.c.flagged_at) < q.at(ctx.period.end_before),
        )
        .group_by(D.c.technology, D.c.category)
        .order_by(D.c.technology, D.c.category)
    )
    used: dict[str, dict[str, Any]] = {}
    for tech, category, n, first in ctx.db.execute(stmt).all():
        first_at = q.instant(first)
        entry = used.setdefault(str(tech), {"categories": set(), "detections": 0, "first": None})
        entry["categories"].add(str(category))
        entry["detections"] += int(n)
        if first_at is not None and (entry["first"] is None or first_at.date() < entry["first"]):
            entry["first"] = first_at.date()
    failing: list[dict[str, Any]] = []
    for tech_id in sorted(used):
        entry = used[tech_id]
        problems = _problems(ctx, tech_id, entry["categories"], entry["first"])
        if problems:
            failing.append(
                {
                    "technology": tech_id,
                    "detections": entry["detections"],
                    "first_detection_day": entry["first"],
                    "problems": problems,
                }
            )
    if not failing:
        return None
    names = ", ".join(f["technology"] for f in failing)
    detections = sum(int(f["detections"]) for f in failing)
    # count: the records concerned (detections), as for every data rule; the technologies are the evidence
    return Violation(
        f"{detections} detection(s) in the period by {len(failing)} technolog(ies) that lack a documented DPIA, "
        f"prior consultation or report back to the supervisory authority in measures.md: {names}",
        detections,
        {"technologies": failing},
    )


def _problems(ctx: CheckContext, tech_id: str, categories: set[str], first: date | None) -> list[str]:
    tech = ctx.policies.measures.technology(tech_id)
    if tech is None:
        return ["not described in measures.md technologies"]
    problems: list[str] = []
    # "prior": dated before the day of the first detection in the period (a date carries no time of day)
    for field, value in (("dpia_date", tech.dpia_date), ("prior_consultation_date", tech.prior_consultation_date)):
        if value is None:
            problems.append(f"{field} is missing")
        elif first is not None and value >= first:
            problems.append(f"{field} {value.isoformat()} is not before the first detection ({first.isoformat()})")
    solicitation = tech.category == "solicitation" or "solicitation" in categories
    if (tech.new_technology or solicitation) and tech.sa_report_back_date is None:
        why = "a new technology" if tech.new_technology else "a solicitation technology"
        problems.append(f"sa_report_back_date is missing ({why} must report back to the supervisory authority)")
    return problems
