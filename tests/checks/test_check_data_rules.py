"""Each data rule of policies.md §3 on a minimal dataset: one that passes and one that fails with the exact count.
Runs on SQLite, PostgreSQL and DuckDB (``any_source``)."""

from __future__ import annotations

from datetime import date, datetime

from csa_report.policies.models import RetentionRule
from tests.checks.check_helpers import Source, check, with_doc


def test_ret_1_counts_confirmed_material_kept_too_long(any_source: Source, example_policies) -> None:
    s = any_source
    old = datetime(2025, 12, 1, 10)
    s.detections(
        s.detection(old, verdict="confirmed", reviewed_at=old),  # too old, kept: counted
        s.detection(old, verdict="confirmed", reviewed_at=old),  # counted
        s.detection(old, verdict="confirmed", reviewed_at=old, hold_ref="LE-2026-17"),  # legal hold
        s.detection(old, verdict="confirmed", reviewed_at=old, erased_at=datetime(2026, 11, 30)),  # erased
        s.detection(old, verdict="not_abuse", reviewed_at=old),  # not RET-1's business
        s.detection(datetime(2026, 6, 1), verdict="confirmed", reviewed_at=datetime(2026, 6, 1)),  # young
        # exactly at the cutoff (as-of minus 365 days) is not older than the limit
        s.detection(datetime(2026, 1, 31), verdict="confirmed", reviewed_at=datetime(2026, 1, 31)),
    )
    f = check("RET-1", s, example_policies)
    assert f is not None
    assert (f.rule, f.severity, f.count) == ("RET-1", "blocking", 2)
    assert f.evidence["limit_days"] == 365
    assert f.evidence["by_service"] == [
        {"service": "Example Mail", "count": 2, "confirmed": 2, "unreviewed": 0, "oldest_days": 425}
    ]
    assert "acct" not in repr(f)  # never an account_ref


def test_ret_1_uses_the_shorter_policy_limit(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(datetime(2026, 6, 1), verdict="confirmed", reviewed_at=datetime(2026, 6, 1)))
    assert check("RET-1", s, example_policies) is None
    rules = tuple(
        r
        if r.data != "confirmed_content"
        else RetentionRule(data="confirmed_content", max_days=90, purposes=("report",))
        for r in example_policies.retention.rules
    )
    f = check("RET-1", s, with_doc(example_policies, "retention", rules=rules))
    assert f is not None and f.count == 1 and f.evidence["limit_days"] == 90


def test_ret_2_counts_late_erasure_of_not_abuse(any_source: Source, example_policies) -> None:
    s = any_source
    rv = datetime(2026, 3, 1, 10)
    s.detections(
        s.detection(rv, verdict="not_abuse", reviewed_at=rv, erased_at=datetime(2026, 3, 2, 9)),  # in time
        s.detection(rv, verdict="not_abuse", reviewed_at=rv, erased_at=datetime(2026, 3, 3, 10)),  # late
        s.detection(rv, verdict="not_abuse", reviewed_at=rv),  # never erased
        # reviewed shortly before as-of: the day allowed has not passed yet
        s.detection(datetime(2026, 12, 31, 11), verdict="not_abuse", reviewed_at=datetime(2026, 12, 31, 12)),
        s.detection(rv, verdict="confirmed", reviewed_at=rv),  # not RET-2's
    )
    f = check("RET-2", s, example_policies, as_of=datetime(2027, 1, 1))
    assert f is not None and (f.count, f.severity) == (2, "blocking")
    assert f.evidence["allowed_days"] == 1


def test_ret_2_passes_when_everything_is_erased_in_time(any_source: Source, example_policies) -> None:
    s = any_source
    rv = datetime(2026, 3, 1, 10)
    s.detections(s.detection(rv, verdict="not_abuse", reviewed_at=rv, erased_at=datetime(2026, 3, 2, 10)))
    assert check("RET-2", s, example_policies) is None


def test_human_1(any_source: Source, example_policies) -> None:
    s = any_source
    sent = datetime(2026, 5, 1, 12)
    s.reports(
        s.report(sent, category="new_csam", human_confirmed_at=None),  # counted
        s.report(sent, category="solicitation", human_confirmed_at=datetime(2026, 5, 1, 13)),  # after: counted
        s.report(sent, category="new_csam", human_confirmed_at=sent),  # at sent_at: fine
        s.report(sent, category="known_csam", human_confirmed_at=None),  # hash match: fine
        s.report(datetime(2025, 12, 31, 23), category="new_csam"),  # outside the period
    )
    f = check("HUMAN-1", s, example_policies)
    assert f is not None and f.count == 2
    assert f.evidence["by_service"] == [
        {
            "service": "Example Mail",
            "category": "new_csam",
            "count": 1,
            "without_report_confirmation": 1,
            "with_unconfirmed_items": 0,
        },
        {
            "service": "Example Mail",
            "category": "solicitation",
            "count": 1,
            "without_report_confirmation": 1,
            "with_unconfirmed_items": 0,
        },
    ]


def test_human_1_passes(any_source: Source, example_policies) -> None:
    s = any_source
    sent = datetime(2026, 5, 1, 12)
    s.reports(s.report(sent, category="new_csam", human_confirmed_at=datetime(2026, 5, 1, 11)))
    assert check("HUMAN-1", s, example_policies) is None


def test_xfer_1(any_source: Source, example_policies) -> None:
    s = any_source
    sent = datetime(2026, 5, 1, 12)
    s.reports(
        s.report(sent, recipient="NCMEC"),
        s.report(sent, recipient="Unlisted Hotline Inc"),
        s.report(sent, recipient="Unlisted Hotline Inc"),
        s.report(sent, recipient="An Garda Síochána"),
    )
    f = check("XFER-1", s, example_policies)
    assert f is not None and f.count == 2
    assert f.evidence == {"recipients": [{"recipient": "Unlisted Hotline Inc", "reports": 2}]}


def test_xfer_1_and_2_pass_for_listed_recipients_with_grounds(any_source: Source, example_policies) -> None:
    s = any_source
    sent = datetime(2026, 5, 1, 12)
    s.reports(
        s.report(sent, recipient="NCMEC"),
        s.report(sent, recipient="Internet Watch Foundation"),
        s.report(sent, recipient="An Garda Síochána"),
    )
    assert check("XFER-1", s, example_policies) is None
    assert check("XFER-2", s, example_policies) is None


def test_xfer_2_counts_reports_without_a_ground(any_source: Source, example_policies) -> None:
    s = any_source
    s.reports(
        *(s.report(datetime(2026, m, 3, 9), recipient="Example Partner Hotline") for m in (2, 5, 11)),
        s.report(datetime(2026, 5, 1), recipient="NCMEC"),
    )
    f = check("XFER-2", s, example_policies)
    assert f is not None and (f.count, f.severity) == (3, "blocking")
    [entry] = f.evidence["recipients"]
    assert (entry["recipient"], entry["country"], entry["reports"]) == ("Example Partner Hotline", "CA", 3)
    assert (entry["first_day"], entry["last_day"]) == (date(2026, 2, 3), date(2026, 11, 3))


def test_scope_1(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(
        s.detection(datetime(2026, 2, 1), data_type="audio"),
        s.detection(datetime(2026, 2, 1), data_type="audio", service="Example Chat"),
        s.detection(datetime(2026, 2, 1), data_type="video"),
    )
    f = check("SCOPE-1", s, example_policies)
    assert f is not None and f.count == 2
    assert f.evidence["by_service"] == [
        {"service": "Example Chat", "count": 1},
        {"service": "Example Mail", "count": 1},
    ]


def test_scope_1_passes(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(datetime(2026, 2, 1), data_type="text"))
    assert check("SCOPE-1", s, example_policies) is None


def test_notice_1(any_source: Source, example_policies) -> None:
    s = any_source
    t = datetime(2026, 3, 1, 9)
    s.account_actions(
        s.account_action(t),  # notified
        s.account_action(t, user_notified_at=None),  # counted
        s.account_action(t, user_notified_at=datetime(2027, 2, 1)),  # only after as-of: counted
        s.account_action(datetime(2025, 6, 1), user_notified_at=None),  # outside the period
    )
    f = check("NOTICE-1", s, example_policies)
    assert f is not None and (f.count, f.severity) == (2, "warning")


def test_notice_1_passes(any_source: Source, example_policies) -> None:
    s = any_source
    s.account_actions(s.account_action(datetime(2026, 3, 1, 9)))
    assert check("NOTICE-1", s, example_policies) is None
