"""Issue 22 rules at their boundaries: SCOPE-2 (every processing on the gap days), POSITION-1, SCOPE-4."""

from __future__ import annotations

from datetime import date, datetime

from csa_report.policies.models import Service
from tests.checks.check_helpers import Source, check, with_doc

GAP_LAST_BEFORE = datetime(2026, 4, 3, 23, 59, 59)
GAP_FIRST = datetime(2026, 4, 4, 0, 0, 0)


def test_scope_2_report_sent_at_the_gap_boundary(any_source: Source, example_policies) -> None:
    s = any_source  # SQLite, PostgreSQL and DuckDB
    s.reports(s.report(GAP_LAST_BEFORE), s.report(GAP_FIRST), s.report(datetime(2026, 7, 30, 23, 59, 59)))
    f = check("SCOPE-2", s, example_policies)
    assert f is not None
    assert f.evidence["totals"]["reports_sent"] == 2 and f.count == 2
    assert f.evidence["recipients"] == [
        {
            "recipient": "NCMEC",
            "service": "Example Mail",
            "country": "US",
            "reports": 2,
            "first_day": date(2026, 4, 4),
            "last_day": date(2026, 7, 30),
        }
    ]
    assert "2 report(s) sent (to US)" in f.message


def test_scope_2_report_sent_before_the_gap_is_not_processing_in_it(any_source: Source, example_policies) -> None:
    s = any_source
    s.reports(s.report(GAP_LAST_BEFORE), s.report(datetime(2026, 7, 31, 0, 0, 0)))
    assert check("SCOPE-2", s, example_policies) is None


def test_scope_2_counts_each_kind_per_service(any_source: Source, example_policies) -> None:
    s = any_source
    d_before = datetime(2026, 4, 1, 10)
    s.detections(
        # flagged before the gap, reviewed and erased in it: a review and a held item
        s.detection(d_before, verdict="confirmed", reviewed_at=datetime(2026, 4, 5), erased_at=datetime(2026, 4, 6)),
        # a user report in the gap: not an automated flag, but held (never erased)
        s.detection(datetime(2026, 5, 1), automated=False, service="Example Chat"),
        # erased the last second before the gap: never held on a gap day
        s.detection(d_before, erased_at=GAP_LAST_BEFORE),
    )
    s.content_actions(s.content_action(datetime(2026, 4, 6), 1))
    s.account_actions(s.account_action(datetime(2026, 7, 30, 23, 59, 59)), s.account_action(datetime(2026, 7, 31)))
    s.reports(s.report(datetime(2026, 4, 5), recipient="Unlisted Org"))
    f = check("SCOPE-2", s, example_policies)
    assert f is not None
    by = {e["service"]: e for e in f.evidence["by_service"]}
    assert by["Example Mail"] == {
        "service": "Example Mail",
        "scanning_days": 0,
        "volume_rows": 0,
        "scanned_items": 0,
        "automated_flags": 0,
        "reviews": 1,
        "reports_sent": 1,
        "removals": 1,
        "account_actions": 1,
        "held_unerased": 1,
    }
    assert by["Example Chat"]["held_unerased"] == 1 and by["Example Chat"]["automated_flags"] == 0
    assert f.evidence["recipients"][0]["country"] is None
    assert f.count == 1 + 1 + 1 + 1 + 1 + 1


def test_position_1_lists_the_unanswered_questions_of_the_period(example_policies) -> None:
    assert check("POSITION-1", None, example_policies) is None  # the example answers every question
    assert check("POSITION-1", None, example_policies, period="2025") is None  # 2025 has no open question
    positions = dict(example_policies.provider.legal_positions)
    del positions["deadline-2026-1881"], positions["report-after-expiry-2021-1232"]
    policies = with_doc(example_policies, "provider", legal_positions=positions)
    f = check("POSITION-1", None, policies)
    assert f is not None and (f.severity, f.count) == ("review", 2)
    assert [q["id"] for q in f.evidence["questions"]] == ["report-after-expiry-2021-1232", "deadline-2026-1881"]
    # 2027: only the questions of 2026/1881; the after-expiry question of 2021/1232 is not asked
    g = check("POSITION-1", None, policies, period="2027", as_of=datetime(2028, 1, 31))
    assert g is not None and [q["id"] for q in g.evidence["questions"]] == ["deadline-2026-1881"]


def _unanswered_e2ee(policies):
    positions = dict(policies.provider.legal_positions)
    del positions["e2ee-will-be-applied-2026-1881"]
    return with_doc(policies, "provider", legal_positions=positions)


def test_scope_4_counts_scanning_before_the_e2ee_date_unless_answered(any_source: Source, example_policies) -> None:
    s = any_source  # Example Chat: end-to-end encrypted from 2026-10-01
    s.volumes(
        s.volume(date(2026, 7, 30), service="Example Chat"),  # gap: SCOPE-2's business
        s.volume(date(2026, 7, 31), service="Example Chat"),  # first day of 2026/1881: counted
        s.volume(date(2026, 9, 30), service="Example Chat"),  # last day before encryption: counted
        s.volume(date(2026, 10, 1), service="Example Chat"),  # SCOPE-3's business
        s.volume(date(2026, 8, 1), service="Example Mail"),  # never encrypted
    )
    s.detections(
        s.detection(datetime(2026, 9, 30, 23, 59, 59), service="Example Chat"),
        s.detection(datetime(2026, 10, 1, 0, 0, 0), service="Example Chat"),
        s.detection(datetime(2026, 8, 2), service="Example Chat", automated=False),  # a user report
    )
    assert check("SCOPE-4", s, example_policies) is None  # the example's position answers the question
    f = check("SCOPE-4", s, _unanswered_e2ee(example_policies))
    assert f is not None and (f.severity, f.count) == ("review", 3)
    [entry] = f.evidence["by_service"]
    assert (entry["service"], entry["volume_rows"], entry["detections"], entry["scanning_days"]) == (
        "Example Chat",
        2,
        1,
        2,
    )
    assert (entry["from"], entry["until"]) == (date(2026, 7, 31), date(2026, 9, 30))


def test_scope_4_ignores_a_service_encrypted_before_2026_1881(source: Source, example_policies) -> None:
    services = (
        Service(name="Example Chat", e2ee=True, e2ee_from=date(2026, 7, 31)),
        Service(name="Example Mail", e2ee=False),
    )
    policies = with_doc(_unanswered_e2ee(example_policies), "provider", services=services)
    source.volumes(source.volume(date(2026, 7, 31), service="Example Chat"))
    assert check("SCOPE-4", source, policies) is None  # SCOPE-3 reads it
    assert check("SCOPE-3", source, policies) is not None


def test_scope_2_message_groups_thousands(source: Source, example_policies) -> None:
    s = source
    s.volumes(s.volume(date(2026, 5, 30), items=250_000), s.volume(date(2026, 7, 11), items=1_250_000))
    f = check("SCOPE-2", s, example_policies)
    assert f is not None
    assert f.message.startswith(
        "processing on days with no derogation in force (2026-04-04..2026-07-30): 1,500,000 item(s) scanned (2 "
        "processing_volumes row(s)), 0 automated flag(s)"
    )
