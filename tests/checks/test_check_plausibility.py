"""RET-6, RET-7 and PLAUS-1..4 (issue 22 items 6 and 8) on hand-built boundary cases; the SQL rules on SQLite,
PostgreSQL and DuckDB. Every expected value is counted by hand from the rows inserted here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from csa_report.checks import NotApplied, run_rule
from csa_report.checks.registry import PreviousFigures
from csa_report.indicators import ALL, NO, IndicatorRow, Indicators
from csa_report.period import Period
from csa_report.policies.plausibility import Plausibility
from tests.checks.check_helpers import check, with_doc

PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 31)


def _days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


# -- RET-6 / RET-7 ------------------------------------------------------------------------------------------
def test_ret_6_a_hold_is_fine_when_declared_and_a_warning_when_not(source, example_policies) -> None:
    source.detections(
        source.detection(datetime(2026, 3, 1), verdict="confirmed", reviewed_at=datetime(2026, 3, 2), hold_ref="H-1"),
        source.detection(datetime(2026, 3, 5), verdict="confirmed", reviewed_at=datetime(2026, 3, 6), hold_ref="H-1"),
        source.detection(datetime(2026, 5, 1), hold_ref="H-2"),  # unreviewed, held
        # erased before the period began: not a hold of this period
        source.detection(datetime(2025, 2, 1), hold_ref="H-0", erased_at=datetime(2025, 12, 31, 23, 59, 59)),
        source.detection(datetime(2026, 6, 1)),  # no hold
    )
    assert check("RET-6", source, example_policies) is None  # confirmed_content declares the legal hold
    r = example_policies.retention
    bare = with_doc(
        example_policies,
        "retention",
        rules=tuple(x.model_copy(update={"exceptions": ()}) for x in r.rules),
    )
    f = check("RET-6", source, bare)
    assert f is not None and (f.severity, f.count) == ("warning", 3)
    assert f.evidence == {"by_data": [{"data": "confirmed_content", "detections": 3, "holds": 2}]}


def test_ret_7_a_purpose_for_not_abuse_is_a_warning(example_policies) -> None:
    assert check("RET-7", None, example_policies) is None
    r = example_policies.retention
    rules = tuple(x.model_copy(update={"purposes": ("redress",)}) if x.data == "not_abuse" else x for x in r.rules)
    f = check("RET-7", None, with_doc(example_policies, "retention", rules=rules))
    assert f is not None and (f.severity, f.count) == ("warning", 1)
    assert f.evidence == {"data": "not_abuse", "purposes": ["redress"]}


# -- PLAUS-1 ------------------------------------------------------------------------------------------------
def test_plaus_1_fourteen_identical_days_hold_fifteen_do_not(any_source, example_policies) -> None:
    src = any_source
    # Mail images: 14 days of 100 (two file types of 50), then a different day, then 15 days of 100.
    first = date(2026, 2, 1)
    rows = []
    for d in _days(first, 14):
        rows += [src.volume(d, items=50, file_type="jpeg"), src.volume(d, items=50, file_type="png")]
    rows.append(src.volume(first + timedelta(days=14), items=101))
    for d in _days(first + timedelta(days=15), 15):
        rows.append(src.volume(d, items=100))
    # Mail video: 20 days of 7 with a day missing after the 10th (two runs of 10 and 9 days)
    video = [d for d in _days(date(2026, 5, 1), 20) if d != date(2026, 5, 11)]
    rows += [src.volume(d, data_type="video", items=7) for d in video]
    src.volumes(*rows)
    f = check("PLAUS-1", src, example_policies)
    assert f is not None and (f.severity, f.count) == ("review", 1)
    assert f.evidence == {
        "identical_volume_days": 14,
        "runs": [
            {
                "service": "Example Mail",
                "data_type": "image",
                "daily_items": 100,
                "from": "2026-02-16",
                "until": "2026-03-02",
                "days": 15,
            }
        ],
    }
    assert "100 items every day on 15 consecutive days from 2026-02-16 to 2026-03-02" in f.message
    # the threshold is the policy's: with 9, the two video runs (10 and 9 days) give one more finding
    nine = with_doc(example_policies, "measures", plausibility=Plausibility(identical_volume_days=9))
    f = check("PLAUS-1", src, nine)
    assert f is not None and f.count == 3
    assert [(r["data_type"], r["days"]) for r in f.evidence["runs"]] == [("image", 14), ("image", 15), ("video", 10)]


# -- PLAUS-2 ------------------------------------------------------------------------------------------------
def _row(indicator: str, value: int, section: int = 1, service: str = ALL) -> IndicatorRow:
    return IndicatorRow(service, section, indicator, NO, NO, "all", value, "count")


def _plaus_2(example_policies, rows, previous):
    ind = Indicators.build(PERIOD, AS_OF, ("Example Mail",), tuple(rows))
    return run_rule("PLAUS-2", None, PERIOD, AS_OF, example_policies, indicators=ind, previous=previous)


def test_plaus_2_does_not_apply_without_a_previous_report(example_policies) -> None:
    # neither a pass (None) nor a finding: listed as not applicable, with why
    outcome = _plaus_2(example_policies, [_row("images_processed", 1_000_000)], None)
    assert outcome == NotApplied(
        "PLAUS-2",
        "no previous filed report",
        "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(i) and (ii) (volumes and cases, year on year)",
    )
    assert outcome.text == "not applicable: no previous filed report"


def test_plaus_2_fifty_percent_holds_and_one_more_does_not(example_policies) -> None:
    prev = PreviousFigures(
        "abcd1234abcd1234",
        {
            (ALL, "images_processed", NO, NO, "all"): "100",
            (ALL, "videos_processed", NO, NO, "all"): "100",
            (ALL, "text_items_processed", NO, NO, "all"): "60",
            (ALL, "reports_known", NO, NO, "all"): "0",
        },
    )
    rows = [
        _row("images_processed", 150),  # +50 %: holds
        _row("videos_processed", 49),  # -51 %: found
        _row("text_items_processed", 99),  # both below the minimum of 100: not compared
        _row("reports_known", 100, section=4),  # from 0 to 100: found
        _row("metadata_items_processed", 5),  # not in the previous report: not compared
    ]
    f = _plaus_2(example_policies, rows, prev)
    assert f is not None and (f.severity, f.count) == ("review", 2)
    assert [(c["indicator"], c["previous"], c["current"], c["change_percent"]) for c in f.evidence["figures"]] == [
        ("videos_processed", 100, 49, -51.0),
        ("reports_known", 0, 100, None),
    ]
    assert f.evidence["previous_report"] == "abcd1234abcd1234"
    assert "videos_processed (ALL, -, all): 100 -> 49 (-51.0 %)" in f.message


# -- PLAUS-3 ------------------------------------------------------------------------------------------------
def test_plaus_3_restored_beyond_not_abuse_per_category_and_technology(any_source, example_policies) -> None:
    src = any_source
    reviewed = datetime(2026, 3, 2)
    dets = [
        src.detection(datetime(2026, 3, 1), verdict="not_abuse", reviewed_at=reviewed),  # 1: B=1 for photodna
        src.detection(datetime(2026, 3, 1), verdict="confirmed", reviewed_at=reviewed),  # 2
        src.detection(datetime(2026, 3, 1), verdict="confirmed", reviewed_at=reviewed, technology="csai_match"),  # 3
    ]
    src.detections(*dets)
    src.content_actions(*(src.content_action(datetime(2026, 3, 3), d["id"]) for d in dets))
    restored = {"subject": "content", "outcome": "restored", "decided_at": datetime(2026, 3, 10)}
    src.complaints(src.complaint(datetime(2026, 3, 4), content_action_id=1, **restored))
    assert check("PLAUS-3", src, example_policies) is None  # 1 restored = 1 not abuse (photodna)
    src.complaints(
        src.complaint(datetime(2026, 3, 4), content_action_id=2, **restored),
        src.complaint(datetime(2026, 3, 4), content_action_id=3, **restored),
        # decided after the period: not counted
        src.complaint(datetime(2026, 12, 30), content_action_id=3, **(restored | {"decided_at": datetime(2027, 1, 2)})),
    )
    f = check("PLAUS-3", src, example_policies)
    assert f is not None and (f.severity, f.count) == ("review", 2)
    assert f.evidence == {
        "by_category_technology": [
            {"category": "known_csam", "technology": "csai_match", "restored": 1, "not_abuse": 0},
            {"category": "known_csam", "technology": "photodna", "restored": 2, "not_abuse": 1},
        ]
    }


# -- PLAUS-4 ------------------------------------------------------------------------------------------------
def test_plaus_4_scanning_days_against_the_days_allowed(any_source, example_policies) -> None:
    src = any_source
    # Mail: 2021/1232 1 Jan..3 Apr (93 days), 2026/1881 31 Jul..31 Dec (154): 247 days allowed.
    mail = [*_days(date(2026, 1, 1), 93), *_days(date(2026, 7, 31), 154)]
    # Chat, end-to-end encrypted from 1 October: 93 + 62 days allowed; scanned also on 1 October, not on 2 January.
    chat = [d for d in [*_days(date(2026, 1, 1), 93), *_days(date(2026, 7, 31), 63)] if d != date(2026, 1, 2)]
    src.volumes(
        *(src.volume(d) for d in mail),
        *(src.volume(d, service="Example Chat") for d in chat),
        src.volume(date(2026, 5, 1), items=0),  # a day with no item scanned is no scanning day
    )
    f = check("PLAUS-4", src, example_policies)
    assert f is not None and (f.severity, f.count) == ("review", 1)
    assert f.evidence == {
        "by_service": [
            {
                "service": "Example Chat",
                "allowed_days": 155,
                "scanning_days": 155,
                "scanning_days_not_allowed": 1,
                "allowed_days_not_scanned": 1,
            }
        ]
    }
