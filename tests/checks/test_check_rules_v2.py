"""The rules of policies.md "Rules, version 2" on hand-built data: exactly at each threshold the rule holds, one
second (or one day, for dates) past it, it does not. Data rules run on SQLite and PostgreSQL (``any_source``).
Thresholds are those of the example policies: reporting.max_hours 240, restore_within_hours 240,
decide_within_days 10, not_abuse.max_days 0 (one day), confirmed_content 365 days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from csa_report.policies.models import Technology
from tests.checks.check_helpers import Source, check, with_doc

AS_OF = datetime(2027, 1, 31)
SEC = timedelta(seconds=1)
H = timedelta(hours=1)


def _no_account_ref(finding: object) -> None:
    assert "acct" not in repr(finding)


# --- RET-1 (amended): items waiting for review count too ---------------------------------------------------


def test_ret_1_counts_unreviewed_items_past_the_limit(any_source: Source, example_policies) -> None:
    s = any_source
    cutoff = AS_OF - timedelta(days=365)  # 2026-01-31 00:00
    s.detections(
        s.detection(cutoff),  # exactly at the limit: holds
        s.detection(cutoff - SEC),  # unreviewed, 1 s past: counted
        s.detection(cutoff - SEC, verdict="not_abuse", reviewed_at=AS_OF + SEC),  # verdict after as-of: counted
        s.detection(cutoff - SEC, verdict="not_abuse", reviewed_at=AS_OF),  # cleared by as-of: RET-2's
        s.detection(cutoff - SEC, verdict="confirmed", reviewed_at=cutoff),  # confirmed: counted
        s.detection(cutoff - SEC, hold_ref="LE-1"),  # legal hold: RET-5's
    )
    f = check("RET-1", s, example_policies, as_of=AS_OF)
    assert f is not None and (f.count, f.severity) == (3, "blocking")
    assert f.evidence["by_service"] == [
        {"service": "Example Mail", "count": 3, "confirmed": 1, "unreviewed": 2, "oldest_days": 365}
    ]
    assert f.reference.endswith("Art. 3(1)(i)")
    _no_account_ref(f)


def test_ret_1_holds_exactly_at_the_limit(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(AS_OF - timedelta(days=365)))
    assert check("RET-1", s, example_policies, as_of=AS_OF) is None


# --- RET-5: legal holds older than 365 days ----------------------------------------------------------------


def test_ret_5_lists_old_holds(any_source: Source, example_policies) -> None:
    s = any_source
    cutoff = AS_OF - timedelta(days=365)
    s.detections(
        s.detection(cutoff, hold_ref="LE-A", verdict="confirmed", reviewed_at=cutoff),  # at the limit
        s.detection(cutoff - SEC, hold_ref="LE-A", verdict="confirmed", reviewed_at=cutoff),  # counted
        s.detection(cutoff - SEC, hold_ref="LE-B"),  # counted
        s.detection(cutoff - SEC, hold_ref="LE-B"),  # counted
        s.detection(cutoff - SEC, hold_ref="LE-C", erased_at=AS_OF),  # erased
    )
    f = check("RET-5", s, example_policies, as_of=AS_OF)
    assert f is not None and (f.count, f.severity) == (3, "review")
    assert f.evidence["holds"] == [
        {"hold_ref": "LE-A", "count": 1, "oldest_days": 365},
        {"hold_ref": "LE-B", "count": 2, "oldest_days": 365},
    ]
    _no_account_ref(f)


def test_ret_5_holds_exactly_at_365_days(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(AS_OF - timedelta(days=365), hold_ref="LE-A"))
    assert check("RET-5", s, example_policies, as_of=AS_OF) is None


# --- RET-2 (amended): any period ---------------------------------------------------------------------------


def test_ret_2_counts_not_abuse_left_over_from_earlier_years(any_source: Source, example_policies) -> None:
    s = any_source
    rv = datetime(2024, 3, 1, 10)
    s.detections(
        s.detection(rv, verdict="not_abuse", reviewed_at=rv, erased_at=rv + timedelta(days=1)),  # holds
        s.detection(rv, verdict="not_abuse", reviewed_at=rv, erased_at=rv + timedelta(days=1) + SEC),  # late
        s.detection(rv, verdict="not_abuse", reviewed_at=rv),  # kept
        s.detection(datetime(2026, 5, 1), verdict="not_abuse", reviewed_at=datetime(2026, 5, 1)),  # kept
    )
    f = check("RET-2", s, example_policies, as_of=AS_OF)
    assert f is not None and (f.count, f.severity) == (3, "blocking")
    assert f.evidence["by_service"] == [{"service": "Example Mail", "count": 3, "reviewed_before_period": 2}]


def test_ret_2_window_still_open_at_as_of(any_source: Source, example_policies) -> None:
    s = any_source
    rv = AS_OF - timedelta(days=1)
    s.detections(s.detection(rv, verdict="not_abuse", reviewed_at=rv))  # deadline is exactly as-of: holds
    assert check("RET-2", s, example_policies, as_of=AS_OF) is None
    f = check("RET-2", s, example_policies, as_of=AS_OF + SEC)
    assert f is not None and f.count == 1


# --- HUMAN-1 (amended): every item confirmed at or before sending --------------------------------------------


def test_human_1_checks_each_item_verdict(any_source: Source, example_policies) -> None:
    s = any_source
    sent = datetime(2026, 5, 1, 12)
    d = [
        s.detection(sent - H, category="new_csam", verdict="confirmed", reviewed_at=sent),  # 1 at sent_at
        s.detection(sent - H, category="new_csam", verdict="confirmed", reviewed_at=sent + SEC),  # 2 1 s late
        s.detection(sent - H, category="new_csam"),  # 3 no verdict
        s.detection(sent - H, category="solicitation", verdict="not_abuse", reviewed_at=sent),
    ]  # 4 not abuse
    s.detections(*d)
    s.reports(
        s.report(sent, category="new_csam", human_confirmed_at=sent),  # 1: item 1 only: holds
        s.report(sent, category="new_csam", human_confirmed_at=sent),  # 2: item 2: counted
        s.report(sent, category="new_csam", human_confirmed_at=sent),  # 3: items 1 and 3: counted
        s.report(sent, category="solicitation", human_confirmed_at=sent),  # 4: item 4: counted
        s.report(sent, category="known_csam", human_confirmed_at=None),
    )  # 5: item 3, hash match: holds
    s.items((1, 1), (2, 2), (3, 1), (3, 3), (4, 4), (5, 3))
    f = check("HUMAN-1", s, example_policies)
    assert f is not None and (f.count, f.severity) == (3, "blocking")
    assert f.evidence["by_service"] == [
        {
            "service": "Example Mail",
            "category": "new_csam",
            "count": 2,
            "without_report_confirmation": 0,
            "with_unconfirmed_items": 2,
        },
        {
            "service": "Example Mail",
            "category": "solicitation",
            "count": 1,
            "without_report_confirmation": 0,
            "with_unconfirmed_items": 1,
        },
    ]


# --- SCOPE-3 (amended): automated detections and processing volumes ----------------------------------------


def test_scope_3_counts_scanning_without_a_hit_and_ignores_user_reports(any_source: Source, example_policies) -> None:
    s = any_source  # the example's Example Chat is end-to-end encrypted from 2026-10-01
    chat = "Example Chat"
    s.detections(
        s.detection(datetime(2026, 10, 5, 9), service=chat, automated=False, technology="user_report"),  # no
        s.detection(datetime(2026, 9, 30, 23, 59, 59), service=chat),  # before
        s.detection(datetime(2026, 10, 1), service=chat),  # counted
    )
    s.volumes(
        s.volume(date(2026, 9, 30), service=chat),  # the day before: lawful
        s.volume(date(2026, 10, 1), service=chat),  # counted
        s.volume(date(2026, 10, 2), service=chat, items=0),  # no items: nothing scanned
        s.volume(date(2026, 10, 2), service="Example Mail"),
    )  # not encrypted
    f = check("SCOPE-3", s, example_policies)
    assert f is not None and (f.count, f.severity) == (2, "blocking")
    assert f.evidence["by_service"] == [
        {"service": chat, "e2ee_from": date(2026, 10, 1), "count": 2, "detections": 1, "volume_rows": 1, "items": 100}
    ]


def test_scope_3_a_user_report_alone_is_not_scanning(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(datetime(2026, 11, 1), service="Example Chat", automated=False, technology="user_report"))
    assert check("SCOPE-3", s, example_policies) is None


# --- NOTICE-1 (amended): content removals ------------------------------------------------------------------


def test_notice_1_counts_removals_without_notice(any_source: Source, example_policies) -> None:
    s = any_source
    t = datetime(2026, 6, 1, 10)
    s.detections(s.detection(t, verdict="confirmed", reviewed_at=t))
    s.content_actions(
        s.content_action(t, 1, user_notified_at=AS_OF),  # notified exactly at as-of
        s.content_action(t, 1, user_notified_at=AS_OF + SEC),  # after as-of: counted
        s.content_action(t, 1, user_notified_at=None),  # counted
        s.content_action(datetime(2025, 12, 31), 1, user_notified_at=None),
    )  # outside the period
    s.account_actions(s.account_action(t, user_notified_at=None))
    f = check("NOTICE-1", s, example_policies, as_of=AS_OF)
    assert f is not None and (f.count, f.severity) == (3, "warning")
    assert f.evidence["by_service"] == [
        {"service": "Example Mail", "action": "remove", "count": 2},
        {"service": "Example Mail", "action": "suspend", "count": 1},
    ]


# --- DELAY-1 -------------------------------------------------------------------------------------------------


def test_delay_1_boundary_median_and_maximum(any_source: Source, example_policies) -> None:
    s = any_source
    rv = datetime(2026, 3, 1, 10)
    limit = timedelta(hours=240)
    as_of = datetime(2027, 1, 5)

    def confirmed(category: str = "known_csam", reviewed: datetime = rv) -> dict[str, object]:
        return s.detection(reviewed - H, category=category, verdict="confirmed", reviewed_at=reviewed)

    s.detections(
        confirmed(),
        confirmed(),
        confirmed(),
        confirmed(),
        confirmed("new_csam"),
        confirmed(reviewed=as_of - limit),  # 6: unreported, its time ends exactly at as-of: holds
        confirmed(reviewed=as_of - limit - SEC),
    )  # 7: unreported, 1 s past: counted
    s.reports(
        s.report(rv + limit),  # 1: exactly at the limit: holds
        s.report(rv + limit + SEC),  # 2: counted (240 h + 1 s)
        s.report(rv + timedelta(hours=250)),  # 3: counted
        s.report(rv + timedelta(hours=300)),  # 4: counted
        s.report(rv + timedelta(hours=241)),  # 5: counted (new_csam)
        s.report(rv + H),
    )  # 6: an earlier report of item 5 makes it timely
    s.items((1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 5))
    f = check("DELAY-1", s, example_policies, as_of=as_of)
    assert f is not None and (f.count, f.severity) == (4, "review")
    # delays: 240 h + 1 s (items 2 and 7), 250 h, 300 h; the median is the mean of the two middle ones
    assert f.evidence == {
        "max_hours": 240,
        "by_category": [
            {
                "category": "known_csam",
                "count": 4,
                "unreported": 1,
                "median_delay_hours": 245.0,
                "max_delay_hours": 300.0,
            }
        ],
    }
    _no_account_ref(f)


def test_delay_1_holds_exactly_at_the_limit(any_source: Source, example_policies) -> None:
    s = any_source
    rv = datetime(2026, 3, 1, 10)
    s.detections(s.detection(rv - H, verdict="confirmed", reviewed_at=rv))
    s.reports(s.report(rv + timedelta(hours=240)))
    s.items((1, 1))
    assert check("DELAY-1", s, example_policies, as_of=AS_OF) is None


# --- CORRECT-1 ----------------------------------------------------------------------------------------------


def _reversed(s: Source, decided: datetime, restored: datetime | None, *, content: bool) -> None:
    """One action reversed on an internal complaint decided at ``decided``."""
    t = decided - timedelta(days=3)
    if content:
        detection = s.detection(t, verdict="confirmed", reviewed_at=t)
        s.detections(detection)
        removal = s.content_action(t, detection["id"], restored_at=restored)
        s.content_actions(removal)
        s.complaints(
            s.complaint(
                t + H, subject="content", content_action_id=removal["id"], decided_at=decided, outcome="restored"
            )
        )
    else:
        action = s.account_action(t, restored_at=restored)
        s.account_actions(action)
        s.complaints(s.complaint(t + H, account_action_id=action["id"], decided_at=decided, outcome="restored"))


def test_correct_1_boundary(any_source: Source, example_policies) -> None:
    s = any_source
    d = datetime(2026, 6, 1, 12)
    limit = timedelta(hours=240)
    as_of = datetime(2027, 1, 5)
    _reversed(s, d, d + limit, content=True)  # exactly at the limit: holds
    _reversed(s, d, d + limit + SEC, content=True)  # counted
    _reversed(s, d, None, content=False)  # never restored, time passed: counted
    _reversed(s, as_of - limit, None, content=False)  # time ends exactly at as-of: holds
    f = check("CORRECT-1", s, example_policies, as_of=as_of)
    assert f is not None and (f.count, f.severity) == (2, "warning")
    assert f.evidence["by_channel"] == [
        {"channel": "internal", "subject": "account", "count": 1, "not_restored": 1, "longest_hours": 5220.0},
        {"channel": "internal", "subject": "content", "count": 1, "not_restored": 0, "longest_hours": 240.0},
    ]


# --- REDRESS-1 ----------------------------------------------------------------------------------------------


def test_redress_1_boundary(any_source: Source, example_policies) -> None:
    s = any_source
    lodged = datetime(2026, 2, 1, 8)
    ten = timedelta(days=10)
    s.complaints(
        s.complaint(lodged, decided_at=lodged + ten, outcome="upheld"),  # at the limit
        s.complaint(lodged, decided_at=lodged + ten + SEC, outcome="upheld"),  # counted
        s.complaint(lodged, subject="content", decided_at=AS_OF + SEC, outcome="upheld"),  # decided after
        s.complaint(AS_OF - ten, decided_at=None),  # outside period
        s.complaint(lodged, channel="judicial", decided_at=lodged + 3 * ten),  # judicial: not
    )
    f = check("REDRESS-1", s, example_policies, as_of=AS_OF)
    assert f is not None and (f.count, f.severity) == (2, "warning")
    assert f.evidence["by_subject"] == [
        {"subject": "account", "count": 1, "undecided": 0, "longest_wait_days": 10.0},
        # decided after as-of counts as undecided: it waited from 2026-02-01 08:00 until as-of
        {"subject": "content", "count": 1, "undecided": 1, "longest_wait_days": 363.7},
    ]


def test_redress_1_holds_at_the_limit(any_source: Source, example_policies) -> None:
    s = any_source
    s.complaints(s.complaint(datetime(2026, 12, 22), decided_at=None))  # 10 days end exactly on 2027-01-01
    assert check("REDRESS-1", s, example_policies, as_of=datetime(2027, 1, 1)) is None
    f = check("REDRESS-1", s, example_policies, as_of=datetime(2027, 1, 1) + SEC)
    assert f is not None and f.count == 1


# --- TECH-1 -------------------------------------------------------------------------------------------------


def _tech(policies, tech_id: str, **kw: object):
    techs = tuple(t.model_copy(update=kw) if t.id == tech_id else t for t in policies.measures.technologies)
    return with_doc(policies, "measures", technologies=techs)


def test_tech_1_dpia_must_be_before_the_first_detection(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(
        s.detection(datetime(2026, 3, 10, 23, 59, 59)),
        s.detection(datetime(2026, 5, 1)),
        s.detection(datetime(2025, 1, 1)),
    )  # before the period: not the first detection in it
    assert check("TECH-1", s, _tech(example_policies, "photodna", dpia_date=date(2026, 3, 9))) is None
    f = check("TECH-1", s, _tech(example_policies, "photodna", prior_consultation_date=date(2026, 3, 10)))
    assert f is not None and (f.count, f.severity) == (2, "blocking")  # the 2 detections of the period
    assert f.evidence == {
        "technologies": [
            {
                "technology": "photodna",
                "detections": 2,
                "first_detection_day": date(2026, 3, 10),
                "problems": ["prior_consultation_date 2026-03-10 is not before the first detection (2026-03-10)"],
            }
        ]
    }


def test_tech_1_unknown_technology_and_report_back(any_source: Source, example_policies) -> None:
    s = any_source
    t = datetime(2026, 3, 10)
    s.detections(
        s.detection(t, technology="mystery_hash"),
        s.detection(t, technology="grooming_classifier", category="solicitation", data_type="text"),
        s.detection(t, technology="user_report", automated=False),
    )  # a user report: no technology
    policies = _tech(example_policies, "grooming_classifier", sa_report_back_date=None)
    f = check("TECH-1", s, policies)
    assert f is not None and f.count == 2
    assert [(x["technology"], x["problems"]) for x in f.evidence["technologies"]] == [
        (
            "grooming_classifier",
            ["sa_report_back_date is missing (a new technology must report back to the supervisory authority)"],
        ),
        ("mystery_hash", ["not described in measures.md technologies"]),
    ]
    # a solicitation technology needs the report back even when it is not new
    policies = _tech(policies, "grooming_classifier", new_technology=False)
    f = check("TECH-1", s, policies)
    assert f is not None and "a solicitation technology" in f.evidence["technologies"][0]["problems"][0]


def test_tech_1_technology_added_to_measures(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(datetime(2026, 3, 10), technology="mystery_hash"))
    extra = Technology(
        id="mystery_hash",
        category="known_csam",
        description="A hash matcher.",
        dpia_date=date(2026, 3, 9),
        prior_consultation_date=date(2026, 3, 9),
        new_technology=False,
    )
    policies = with_doc(example_policies, "measures", technologies=(*example_policies.measures.technologies, extra))
    assert check("TECH-1", s, policies) is None


# --- XFER-4 and XFER-2 (amended) --------------------------------------------------------------------------


def _recipient(policies, name: str, **kw: object):
    recipients = tuple(r.model_copy(update=kw) if r.name == name else r for r in policies.transfers.recipients)
    return with_doc(policies, "transfers", recipients=recipients)


def test_xfer_4_notification_on_or_before_the_first_report(any_source: Source, example_policies) -> None:
    s = any_source
    meldpunt = "Stichting Example Meldpunt"  # listed without notified_to_commission
    s.reports(
        s.report(datetime(2026, 4, 1, 23, 59, 59), recipient=meldpunt),
        s.report(datetime(2026, 5, 1), recipient=meldpunt),
        s.report(datetime(2026, 5, 1), recipient="NCMEC"),
        s.report(datetime(2026, 5, 1), recipient="An Garda Síochána"),
    )  # law enforcement: not Art. 7
    f = check("XFER-4", s, example_policies)
    assert f is not None and (f.count, f.severity) == (2, "warning")
    assert f.evidence == {
        "recipients": [
            {"recipient": meldpunt, "reports": 2, "first_report_day": date(2026, 4, 1), "notified_to_commission": None}
        ]
    }
    assert check("XFER-4", s, _recipient(example_policies, meldpunt, notified_to_commission=date(2026, 4, 1))) is None
    f = check("XFER-4", s, _recipient(example_policies, meldpunt, notified_to_commission=date(2026, 4, 2)))
    assert f is not None and f.count == 2


def test_xfer_2_dpf_counts_only_for_a_certified_recipient(any_source: Source, example_policies) -> None:
    s = any_source
    us = "Example Child Safety Foundation"  # lists the provider's own DPF certification as an Art. 45 ground
    s.reports(s.report(datetime(2026, 5, 1, 12), recipient=us))
    f = check("XFER-2", s, example_policies)
    assert f is not None and (f.count, f.severity) == (1, "blocking")
    certified = _recipient(example_policies, us, dpf_certified=True, dpf_certified_from=date(2026, 5, 1))
    assert check("XFER-2", s, certified) is None
    late = _recipient(example_policies, us, dpf_certified=True, dpf_certified_from=date(2026, 5, 2))
    f = check("XFER-2", s, late)
    assert f is not None and f.count == 1
