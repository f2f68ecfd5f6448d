"""Policy-level rules (RET-3, RET-4, BASIS-1, XFER-3) and the indicator rules (COMPLETE-1, CONSIST-1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from csa_report.indicators import IndicatorRow, Indicators
from csa_report.period import Period
from csa_report.policies.models import NotApplicable, Recipient, RetentionRule, TransferGround
from tests.checks.check_helpers import check, with_doc

POLICY_RULES = ("RET-3", "RET-4", "BASIS-1", "XFER-3")


@pytest.mark.parametrize("rule", POLICY_RULES)
def test_example_folder_passes_every_policy_rule(example_policies, rule: str) -> None:
    assert check(rule, None, example_policies) is None


def _retention(policies, **days: int):
    rules = tuple(
        RetentionRule(data=r.data, max_days=days.get(r.data, r.max_days), purposes=r.purposes)
        for r in policies.retention.rules
    )
    return with_doc(policies, "retention", rules=rules)


def test_ret_3(example_policies) -> None:
    assert check("RET-3", None, _retention(example_policies, confirmed_content=365)) is None
    f = check("RET-3", None, _retention(example_policies, confirmed_content=366))
    assert f is not None and (f.count, f.severity) == (1, "blocking")
    assert f.evidence == {"data": "confirmed_content", "max_days": 366, "ceiling_days": 365}


def test_ret_4_lists_longer_kept_categories_for_review(example_policies) -> None:
    f = check(
        "RET-4",
        None,
        _retention(example_policies, report_metadata=730, complaint=1095, not_abuse=400, confirmed_content=400),
    )
    assert f is not None and (f.count, f.severity) == (3, "review")
    assert [c["data"] for c in f.evidence["categories"]] == ["not_abuse", "report_metadata", "complaint"]


@pytest.mark.parametrize(
    ("update", "problems"),
    [
        ({"gdpr_article_6": ()}, 1),
        ({"gdpr_article_6": ("6(1)(e)",)}, 1),
        ({"gdpr_article_6": ("6(1)(c)", "6(1)(f)"), "legitimate_interest_assessment": None}, 2),
        ({"gdpr_article_6": ("6(1)(d)", "6(1)(f)"), "legitimate_interest_assessment": None}, 1),
    ],
)
def test_basis_1_fails(example_policies, update: dict[str, object], problems: int) -> None:
    f = check("BASIS-1", None, with_doc(example_policies, "legal_basis", **update))
    assert f is not None and (f.count, f.severity) == (problems, "blocking")


def test_basis_1_passes_with_the_law_named(example_policies) -> None:
    policies = with_doc(
        example_policies,
        "legal_basis",
        gdpr_article_6=("6(1)(e)",),
        member_state_law="Criminal Justice Act 2026, s. 12 (Ireland)",
    )
    assert check("BASIS-1", None, policies) is None


def test_xfer_3(example_policies) -> None:
    derogation = Recipient(
        name="Hotline X",
        type="public_interest_organisation",
        country="BR",
        grounds=(
            TransferGround(
                article="49(1)(d)", instrument="important reasons of public interest", valid_from=date(2024, 1, 1)
            ),
        ),
    )
    policies = with_doc(example_policies, "transfers", recipients=(*example_policies.transfers.recipients, derogation))
    f = check("XFER-3", None, policies)
    assert f is not None and (f.count, f.severity) == (1, "review")
    assert f.evidence == {"recipients": [{"recipient": "Hotline X", "country": "BR", "articles": ["49(1)(d)"]}]}


# --- COMPLETE-1 and CONSIST-1 on hand-made indicators ------------------------------------------------------

PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 31)


def _rows(**overrides: object) -> list[IndicatorRow]:
    """A small, consistent set covering every required indicator (service ALL)."""

    def row(
        section: int,
        indicator: str,
        value: object,
        unit: str = "count",
        category: str = "-",
        technology: str = "-",
        region: str = "all",
        note: str = "",
    ) -> IndicatorRow:
        key = f"{indicator}:{category}:{technology}:{region}"
        if key in overrides:
            value = overrides[key]
        return IndicatorRow("ALL", section, indicator, category, technology, region, value, unit, note)  # type: ignore[arg-type]

    rows = []
    for ind in ("images_processed", "videos_processed", "other_files_processed", "metadata_processed"):
        rows += [row(1, ind, 10, region="eu"), row(1, ind, 5, region="non_eu"), row(1, ind, 15)]
    rows += [
        row(1, "text_bytes_processed", 0, "bytes", region="eu"),
        row(1, "text_bytes_processed", 0, "bytes", region="non_eu"),
        row(1, "other_file_types", "", "text", note="N/A: no other files"),
    ]
    for cat in ("known_csam", "new_csam", "solicitation"):
        rows.append(row(4, "reports", 3, category=cat))
        rows.append(row(5, "accounts_suspended", 1, category=cat, region="eu"))
        rows.append(row(6, "flagged", 10, category=cat))
        rows.append(row(6, "not_abuse", 1, category=cat))
        rows.append(row(6, "human_reviewed", 4, category=cat))
        rows.append(row(6, "error_rate", Decimal("10.00"), "percent", category=cat))
    rows += [
        row(5, "content_removed", 2, category="known_csam"),
        row(5, "content_complaints_internal", 2, category="known_csam"),
        row(5, "content_restored_internal", 1, category="known_csam"),
        row(9, "organisations", "NCMEC", "text"),
    ]
    return rows


def _indicators(**overrides: object) -> Indicators:
    return Indicators.build(PERIOD, AS_OF, ["Example Mail"], _rows(**overrides))


def _run(rule: str, policies, ind: Indicators):
    from csa_report.checks import run_rule

    return run_rule(rule, None, PERIOD, AS_OF, policies, indicators=ind)


def test_complete_1_and_consist_1_pass_on_consistent_indicators(example_policies) -> None:
    assert _run("COMPLETE-1", example_policies, _indicators()) is None
    assert _run("CONSIST-1", example_policies, _indicators()) is None


def test_complete_1_needs_a_value_or_a_reason(example_policies) -> None:
    ind = _indicators(**{"error_rate:new_csam:-:all": None})
    f = _run("COMPLETE-1", example_policies, ind)
    assert f is not None and (f.count, f.severity) == (1, "blocking")
    assert "error_rate" in f.evidence["gaps"][0]


def test_complete_1_missing_indicator_and_empty_prose(example_policies) -> None:
    rows = [r for r in _rows() if r.indicator != "organisations"]
    ind = Indicators.build(PERIOD, AS_OF, ["Example Mail"], rows)
    policies = example_policies.model_copy(update={"transfers": example_policies.transfers.model_copy()})
    policies.transfers.attach(body="", path=example_policies.transfers.path, sha256="0")
    f = _run("COMPLETE-1", policies, ind)
    assert f is not None and f.count == 2
    assert f.evidence["gaps"] == [
        "section 9: indicator organisations is missing",
        "section 3: transfers.md has no text describing the transfers (or why there are none)",
    ]


def test_complete_1_category_marked_not_applicable_but_detected(example_policies) -> None:
    policies = with_doc(example_policies, "measures", solicitation=NotApplicable(not_applicable="We do not scan text."))
    f = _run("COMPLETE-1", policies, _indicators())
    assert f is not None and f.count == 1
    quiet = _indicators(
        **{"flagged:solicitation:-:all": 0, "not_abuse:solicitation:-:all": 0, "human_reviewed:solicitation:-:all": 0}
    )
    assert _run("COMPLETE-1", policies, quiet) is None


def test_consist_1_counts_each_broken_relation(example_policies) -> None:
    ind = _indicators(
        **{
            "not_abuse:known_csam:-:all": 11,  # B > A
            "human_reviewed:new_csam:-:all": 12,  # C > A
            "content_restored_internal:known_csam:-:all": 3,  # restored > complaints
            "images_processed:-:-:all": 16,
        }
    )  # eu + non_eu != all
    f = _run("CONSIST-1", example_policies, ind)
    assert f is not None and (f.count, f.severity) == (5, "blocking")
    assert sorted(e["relation"] for e in f.evidence["relations"]) == [  # B=11 > C=4 too (v2)
        "B <= A",
        "B <= C",
        "C <= A",
        "eu + non_eu = all",
        "restored <= complaints",
    ]
