"""POLICY-1, DEADLINE-1 and the amended CONSIST-1: rules on the policy documents, the calendar and the indicators
(no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from csa_report.checks import run_rule
from csa_report.deadline import deadline_for
from csa_report.indicators import IndicatorRow, Indicators
from csa_report.period import Period
from tests.checks.check_helpers import check, with_doc
from tests.checks.test_check_policy_rules import _indicators, _rows

SEC = timedelta(seconds=1)


KINDS = ("provider", "legal_basis", "transfers", "retention", "measures")


def _all_from(policies, day: date):
    """The policy set with every document taking effect on ``day`` (independent of the example's own dates)."""
    for kind in KINDS:
        policies = with_doc(policies, kind, effective_from=day)
    return policies


def test_policy_1_holds_for_documents_in_force_at_the_period_start(example_policies) -> None:
    assert check("POLICY-1", None, _all_from(example_policies, date(2026, 1, 1)), period="2026") is None


def test_policy_1_names_a_document_that_took_effect_one_day_late(example_policies) -> None:
    late = with_doc(_all_from(example_policies, date(2026, 1, 1)), "retention", effective_from=date(2026, 1, 2))
    f = check("POLICY-1", None, late, period="2026")
    assert f is not None and (f.count, f.severity) == (1, "review")
    assert f.evidence == {
        "period_start": date(2026, 1, 1),
        "documents": [
            {
                "file": "retention.md",
                "kind": "retention",
                "version": late.retention.version,
                "effective_from": date(2026, 1, 2),
            }
        ],
    }
    assert "retention.md (from 2026-01-02)" in f.message


def test_policy_1_a_report_on_2025_quoting_2026_policies(example_policies) -> None:
    f = check(
        "POLICY-1", None, _all_from(example_policies, date(2026, 1, 1)), period="2025", as_of=datetime(2026, 1, 20)
    )
    assert f is not None and f.count == 5


def test_policy_1_a_version_that_changed_with_the_regime_is_no_finding(example_policies, tmp_path) -> None:
    # The example's provider.md and retention.md 2026.2 took effect with Regulation (EU) 2026/1881 (2026-07-31),
    # and their 2025.1 versions in history/ cover the days before: the report states each version for its days,
    # so POLICY-1 holds for 2026 (a regime reason).
    assert check("POLICY-1", None, example_policies, period="2026") is None
    # One day later is no regime boundary: named.
    moved = with_doc(example_policies, "retention", effective_from=date(2026, 8, 1))
    f = check("POLICY-1", None, moved, period="2026")
    assert f is not None and f.count == 1
    assert [d["file"] for d in f.evidence["documents"]] == ["retention.md"]
    # On the boundary but without an earlier version in the folder's history: the days before are not described.
    import shutil

    folder = tmp_path / "pol"
    shutil.copytree(example_policies.folder, folder)
    shutil.rmtree(folder / "history" / "retention")
    bare = example_policies.model_copy(update={"folder": folder})
    f = check("POLICY-1", None, bare, period="2026")
    assert f is not None and [d["file"] for d in f.evidence["documents"]] == ["retention.md"]


def test_deadline_1_boundary() -> None:
    d = deadline_for(Period.parse("2026"))
    assert (d.due, d.confirmed) == (date(2027, 1, 31), False)  # 2026/1881 applies at the end of 2026
    assert deadline_for(Period.parse("2024")).confirmed is True
    assert d.describe(datetime(2027, 1, 20)) == (
        "due 2027-01-31: 11 days left (deadline under Regulation (EU) 2026/1881 not confirmed)"
    )
    assert d.describe(datetime(2027, 1, 31, 23, 59, 59)).startswith("due 2027-01-31: due today")
    assert d.describe(datetime(2027, 2, 3)).startswith("due 2027-01-31: 3 days late")


def test_deadline_1_on_the_day_holds_and_one_second_later_is_late(example_policies) -> None:
    assert check("DEADLINE-1", None, example_policies, as_of=datetime(2027, 1, 31, 23, 59, 59)) is None
    f = check("DEADLINE-1", None, example_policies, as_of=datetime(2027, 2, 1))
    assert f is not None and (f.count, f.severity) == (1, "review")
    assert f.evidence == {"due": date(2027, 1, 31), "days_late": 1, "deadline_confirmed": False}
    # the law leaves the deadline open: the message quotes the provider's position, never "(unconfirmed)"
    assert f.message.endswith(
        "late; position of Dara Kelly (2026-11-20) on the deadline: We treat the report as due by 31 January 2027, "
        "the deadline of Regulation (EU) 2021/1232 that Regulation (EU) 2026/1881 re-enacts, and send it to the "
        "Data Protection Commission and to the European Commission."
    )
    assert "confirmed" not in f.message
    f = check("DEADLINE-1", None, example_policies, period="2024", as_of=datetime(2025, 3, 2))
    assert f is not None and f.count == 30 and f.evidence["deadline_confirmed"] is True


PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 31)


def _consist(ind: Indicators, policies):
    return run_rule("CONSIST-1", None, PERIOD, AS_OF, policies, indicators=ind)


def test_consist_1_b_must_not_exceed_c(example_policies) -> None:
    # the base set has A=10, B=1, C=4; B=4 is exactly C and holds, B=5 does not
    assert _consist(_indicators(**{"not_abuse:known_csam:-:all": 4}), example_policies) is None
    f = _consist(_indicators(**{"not_abuse:known_csam:-:all": 5}), example_policies)
    assert f is not None and f.count == 1
    assert f.evidence["relations"] == [
        {
            "relation": "B <= C",
            "service": "ALL",
            "section": 6,
            "category": "known_csam",
            "technology": "-",
            "region": "all",
            "not_abuse": 5,
            "human_reviewed": 4,
        }
    ]


def _with(*extra: IndicatorRow) -> Indicators:
    return Indicators.build(PERIOD, AS_OF, ["Example Mail"], [*_rows(), *extra])


def test_consist_1_eu_count_must_not_exceed_all_regions(example_policies) -> None:
    def row(indicator: str, region: str, value: object, unit: str = "count") -> IndicatorRow:
        return IndicatorRow("ALL", 5, indicator, "known_csam", "-", region, value, unit)  # type: ignore[arg-type]

    equal = _with(row("content_removed", "eu", 2))  # the base set has content_removed all = 2
    assert _consist(equal, example_policies) is None
    f = _consist(_with(row("content_removed", "eu", 3)), example_policies)
    assert f is not None and f.evidence["relations"] == [
        {
            "relation": "eu <= all",
            "service": "ALL",
            "section": 5,
            "indicator": "content_removed",
            "category": "known_csam",
            "technology": "-",
            "eu": 3,
            "all": 2,
        }
    ]
    # a mean (days) for the EU may exceed the mean for all regions: not a count, not checked
    from decimal import Decimal

    means = _with(
        row("content_decision_days_internal", "eu", Decimal("4.0"), "days"),
        row("content_decision_days_internal", "all", Decimal("2.0"), "days"),
    )
    assert _consist(means, example_policies) is None


def test_consist_1_restored_per_channel_and_region(example_policies) -> None:
    def row(indicator: str, region: str, value: int) -> IndicatorRow:
        return IndicatorRow("ALL", 5, indicator, "new_csam", "-", region, value, "count")

    ok = _with(
        row("content_complaints_judicial", "eu", 2),
        row("content_restored_judicial", "eu", 2),
        row("content_complaints_judicial", "all", 3),
        row("content_restored_judicial", "all", 3),
    )
    assert _consist(ok, example_policies) is None
    bad = _with(
        row("content_complaints_judicial", "eu", 2),
        row("content_restored_judicial", "eu", 3),
        row("content_complaints_judicial", "all", 3),
        row("content_restored_judicial", "all", 3),
    )
    f = _consist(bad, example_policies)
    assert f is not None and [e["relation"] for e in f.evidence["relations"]] == ["restored <= complaints"]
    assert f.evidence["relations"][0]["region"] == "eu"
