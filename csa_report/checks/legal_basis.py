"""BASIS-1: the GDPR legal basis of the processing (form section 2; GDPR Art. 6(1) and 6(3))."""

from __future__ import annotations

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.vocabulary import LAW_BASED_POINTS, LEGITIMATE_INTEREST


@rule(
    "BASIS-1",
    "blocking",
    "GDPR Art. 6(1) and 6(3); Implementing Reg. (EU) 2024/2916 Annex, section 2",
    "legal-basis.md names an Art. 6(1) point and what it requires",
    "policies",
)
def basis_1(ctx: CheckContext) -> Violation | None:
    doc = ctx.policies.legal_basis
    problems: list[str] = []
    points = set(doc.gdpr_article_6)
    if not points:
        problems.append("gdpr_article_6 names no point of Art. 6(1)")
    if points & LAW_BASED_POINTS and not doc.member_state_law:
        cited = "/".join(sorted(points & LAW_BASED_POINTS))
        problems.append(
            f"{cited} is cited but member_state_law does not name the Union or Member State law (Art. 6(3))"
        )
    if LEGITIMATE_INTEREST in points and not doc.legitimate_interest_assessment:
        problems.append("6(1)(f) is cited but legitimate_interest_assessment does not name the assessment")
    if not problems:
        return None
    return Violation(
        "legal-basis.md: " + "; ".join(problems),
        len(problems),
        {"gdpr_article_6": sorted(points), "problems": problems},
    )
