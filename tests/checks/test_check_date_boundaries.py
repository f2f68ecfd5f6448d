"""Date logic at its boundaries: adequacy decisions, pre-2021 SCCs, DPF certification, the 2026 gap, E2EE."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from csa_report.checks.intervals import Span, e2ee_excluded_spans, no_derogation_spans
from csa_report.checks.transfers import has_ground_on
from csa_report.period import Period
from csa_report.policies.models import Recipient, Service, TransferGround
from tests.checks.check_helpers import Source, check, with_doc


def _recipient(name: str, country: str, *grounds: TransferGround) -> Recipient:
    return Recipient(name=name, type="public_interest_organisation", country=country, grounds=grounds)


def _with_recipient(policies, recipient: Recipient):
    return with_doc(policies, "transfers", recipients=(*policies.transfers.recipients, recipient))


# --- pure: the ground on one day ---------------------------------------------------------------------------


def test_adequacy_decision_applies_from_its_first_day() -> None:
    brazil = _recipient("Hotline BR", "BR")  # Implementing Decision (EU) 2026/179, applied from 2026-01-28
    assert not has_ground_on(brazil, date(2026, 1, 27))
    assert has_ground_on(brazil, date(2026, 1, 28))


def test_uk_adequacy_is_continuous_through_extension_and_renewal() -> None:
    iwf = _recipient("IWF", "GB")
    for day in (date(2021, 6, 27),):
        assert not has_ground_on(iwf, day)
    for day in (
        date(2021, 6, 28),
        date(2025, 6, 27),
        date(2025, 6, 28),
        date(2025, 12, 27),
        date(2025, 12, 28),
        date(2031, 12, 27),
    ):
        assert has_ground_on(iwf, day), day


def test_pre_2021_sccs_end_on_2022_12_27() -> None:
    legacy = _recipient(
        "Hotline CA",
        "CA",
        TransferGround(
            article="46(2)(c)", instrument="SCC Commission Decision 2010/87/EU", valid_from=date(2019, 5, 1)
        ),
    )
    assert has_ground_on(legacy, date(2022, 12, 27))
    assert not has_ground_on(legacy, date(2022, 12, 28))


def test_new_sccs_and_unknown_clauses() -> None:
    new = _recipient(
        "X",
        "US",
        TransferGround(article="46(2)(c)", instrument="SCC (EU) 2021/914 module 1", valid_from=date(2021, 9, 27)),
    )
    assert not has_ground_on(new, date(2021, 9, 26)) and has_ground_on(new, date(2021, 9, 27))
    unknown = _recipient(
        "Y", "US", TransferGround(article="46(2)(c)", instrument="our own clauses", valid_from=date(2020, 1, 1))
    )
    assert not has_ground_on(unknown, date(2026, 1, 1))


def _dpf(first: date, last: date | None = None, *grounds: TransferGround) -> Recipient:
    return Recipient(
        name="US org",
        type="public_interest_organisation",
        country="US",
        grounds=grounds,
        dpf_certified=True,
        dpf_certified_from=first,
        dpf_certified_until=last,
    )


def test_dpf_needs_a_certification_valid_on_the_day() -> None:
    uncertified = _recipient("US org", "US")
    assert not has_ground_on(uncertified, date(2026, 1, 1))
    certified = _dpf(date(2024, 3, 1), date(2025, 2, 28))
    assert not has_ground_on(certified, date(2024, 2, 29))
    assert has_ground_on(certified, date(2024, 3, 1))
    assert has_ground_on(certified, date(2025, 2, 28))
    assert not has_ground_on(certified, date(2025, 3, 1))  # lapsed certification: no ground
    early = _dpf(date(2023, 1, 1))
    assert not has_ground_on(early, date(2023, 7, 9))  # certified, but the DPF decision is not in force yet
    assert has_ground_on(early, date(2023, 7, 10))


def test_the_providers_own_dpf_certification_does_not_cover_the_recipient() -> None:
    # an Art. 45 "ground" on a US recipient (the provider's certification) is no evidence for the recipient
    own = _recipient(
        "US org",
        "US",
        TransferGround(article="45", instrument="2023/1795 DPF (our group)", valid_from=date(2024, 3, 1)),
    )
    assert not has_ground_on(own, date(2025, 1, 1))


def test_eea_needs_no_ground() -> None:
    assert has_ground_on(_recipient("Garda", "IE"), date(2026, 5, 1))
    assert has_ground_on(_recipient("Kripos", "NO"), date(2026, 5, 1))


# --- the same through SQL (XFER-2) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (datetime(2026, 1, 27, 23, 59, 59), 1),  # the day before the Brazil decision applies: fails
        (datetime(2026, 1, 28, 0, 0, 0), None),  # on the day: passes
    ],
)
def test_xfer_2_adequacy_boundary(source: Source, example_policies, sent: datetime, expected: int | None) -> None:
    policies = _with_recipient(example_policies, _recipient("Hotline BR", "BR"))
    source.reports(source.report(sent, recipient="Hotline BR"))
    f = check("XFER-2", source, policies)
    assert (f.count if f else None) == expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (datetime(2022, 12, 27, 23, 0), None),  # last day of the legacy clauses: passes
        (datetime(2022, 12, 28, 1, 0), 1),  # the day after: fails
    ],
)
def test_xfer_2_legacy_scc_boundary(source: Source, example_policies, sent: datetime, expected: int | None) -> None:
    source.reports(source.report(sent, recipient="Example Partner Hotline"))
    f = check("XFER-2", source, example_policies, period="2022", as_of=datetime(2023, 1, 31))
    assert (f.count if f else None) == expected


def test_xfer_2_lapsed_dpf_certification(source: Source, example_policies) -> None:
    us = Recipient(
        name="US Safety Org",
        type="public_interest_organisation",
        country="US",
        dpf_certified=True,
        dpf_certified_from=date(2024, 1, 1),
        dpf_certified_until=date(2026, 6, 30),
    )
    policies = _with_recipient(example_policies, us)
    source.reports(
        source.report(datetime(2026, 6, 30, 18), recipient="US Safety Org"),
        source.report(datetime(2026, 7, 1, 8), recipient="US Safety Org"),
        source.report(datetime(2026, 9, 1, 8), recipient="US Safety Org"),
    )
    f = check("XFER-2", source, policies)
    assert f is not None and f.count == 2
    assert f.evidence["recipients"][0]["first_day"] == date(2026, 7, 1)


# --- the regimes -------------------------------------------------------------------------------------------


def test_no_derogation_spans_of_2026() -> None:
    assert no_derogation_spans(Period.parse("2026")) == [Span(date(2026, 4, 4), date(2026, 7, 30))]
    assert no_derogation_spans(Period.parse("2025")) == []
    # before 2021/1232 and after 2026/1881 no derogation is in force either
    # 2021/1232 applies from 2021-08-02 (entry into force, Art. 10)
    assert no_derogation_spans(Period.parse("2021")) == [Span(date(2021, 1, 1), date(2021, 8, 1))]
    assert no_derogation_spans(Period.parse("2028")) == [Span(date(2028, 4, 4), date(2028, 12, 31))]
    assert e2ee_excluded_spans(Period.parse("2026")) == [Span(date(2026, 7, 31), date(2026, 12, 31))]


def test_scope_2_gap_boundaries(any_source: Source, example_policies) -> None:
    s = any_source
    s.volumes(
        s.volume(date(2026, 4, 3)),
        s.volume(date(2026, 4, 4)),
        s.volume(date(2026, 7, 30)),
        s.volume(date(2026, 7, 31)),
        s.volume(date(2026, 5, 1), items=0),
    )
    erased = {"erased_at": datetime(2026, 8, 1)}  # kept through the gap: held un-erased on its days
    s.detections(s.detection(datetime(2026, 4, 4, 23, 59), **erased), s.detection(datetime(2026, 7, 31, 0, 0)))
    f = check("SCOPE-2", s, example_policies)
    assert f is not None and f.severity == "review"
    assert f.evidence["totals"]["volume_rows"] == 2 and f.evidence["totals"]["automated_flags"] == 1
    assert f.evidence["totals"]["held_unerased"] == 1
    assert f.count == 2 + 1 + 1
    assert f.evidence["windows"] == [{"from": date(2026, 4, 4), "until": date(2026, 7, 30)}]


def test_scope_2_passes_outside_the_gap(any_source: Source, example_policies) -> None:
    s = any_source
    s.volumes(s.volume(date(2026, 4, 3)), s.volume(date(2026, 7, 31)))
    # erased at the last instant before the gap: not held on a gap day
    s.detections(s.detection(datetime(2026, 4, 3, 23, 59, 59), erased_at=datetime(2026, 4, 3, 23, 59, 59)))
    assert check("SCOPE-2", s, example_policies) is None


def test_scope_3_from_e2ee_date(any_source: Source, example_policies) -> None:
    s = any_source  # example: Example Chat is end-to-end encrypted from 2026-10-01
    s.detections(
        s.detection(datetime(2026, 9, 30, 23), service="Example Chat"),
        s.detection(datetime(2026, 10, 1, 0), service="Example Chat"),
        s.detection(datetime(2026, 11, 5), service="Example Chat", automated=False),  # user report
        s.detection(datetime(2026, 11, 5), service="Example Mail"),
    )
    f = check("SCOPE-3", s, example_policies)
    assert f is not None and (f.count, f.severity) == (1, "blocking")  # a user's own report is not scanning
    assert f.evidence["by_service"] == [
        {
            "service": "Example Chat",
            "e2ee_from": date(2026, 10, 1),
            "count": 1,
            "detections": 1,
            "volume_rows": 0,
            "items": 0,
        }
    ]


def test_scope_3_applies_only_from_2026_07_31(source: Source, example_policies) -> None:
    services = (
        Service(name="Example Chat", e2ee=True, e2ee_from=date(2026, 1, 1)),
        Service(name="Example Mail", e2ee=False),
    )
    policies = with_doc(example_policies, "provider", services=services)
    source.detections(
        source.detection(datetime(2026, 3, 1), service="Example Chat"),  # 2021/1232: no E2EE rule
        source.detection(datetime(2026, 7, 30), service="Example Chat"),  # gap: SCOPE-2's business
        source.detection(datetime(2026, 7, 31), service="Example Chat"),
    )  # 2026/1881: counted
    f = check("SCOPE-3", source, policies)
    assert f is not None and f.count == 1
    g = check("SCOPE-2", source, policies)
    assert g is not None and g.evidence["totals"]["automated_flags"] == 1
