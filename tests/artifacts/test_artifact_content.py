"""The content of the UI artifacts without a server: stable keys, the change against the previous report, the
sign-off card (with a signature when the record carries one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csa_report.audit import SignoffRecord
from csa_report.summary import change
from csa_report.tasks.artifacts import artifact_key, signoff_markdown
from csa_report.tasks.stage import StagedReport

STAGED = StagedReport(
    provider="Example Communications Ireland Ltd",
    period="2025-01-01/2025-12-31",
    report_id="0123456789abcdef",
    manifest_sha256="ab" * 32,
    objects=(),
)


def test_keys_are_stable_per_report_and_prefect_safe():
    assert (
        artifact_key(STAGED.provider, STAGED.period, "key-figures")
        == "example-communications-ireland-ltd-2025-key-figures"
    )
    assert artifact_key("Ex", "2024-07-01/2024-12-31", "signoff") == "ex-2024-07-01-2024-12-31-signoff"


def test_change_against_the_previous_report():
    """The artifact words a change as the report's summary page does (csa_report.summary.change)."""
    assert change("1,250", "1,000") == "+250"
    assert change("900", "1,000") == "-100"
    assert change("21,000", "1,000") == "+20,000"
    assert change("12.50", "10.25", percent=True) == "+2.25 percentage points"
    assert change("12.50 %", "12.50 %") == "no change"
    assert change("7", "7") == "no change"
    assert change("n/a", "3") == "" and change("3", "–") == ""


def test_signoff_card_shows_decision_reviewer_time_comment():
    record = SignoffRecord(
        report_id=STAGED.report_id,
        decision="approve",
        reviewer="Dara Kelly",
        manifest_sha256=STAGED.manifest_sha256,
        decided_at=datetime(2026, 1, 16, 9, 30),
        comment="checked | fine",
    )
    md = signoff_markdown(STAGED, record)
    assert md.splitlines()[0] == "# Approved: report 0123456789abcdef (2025-01-01/2025-12-31)"
    for row in (
        "| Decision | approve |",
        "| Reviewer | Dara Kelly |",
        "| Time (UTC) | 2026-01-16T09:30:00Z |",
        "| Comment | checked \\| fine |",
        "| How | answered in the sign-off form |",
        "| Signature | none (unsigned sign-off) |",
    ):
        assert row in md, (row, md)


def test_signoff_card_shows_a_signature_when_the_record_has_one():
    @dataclass(frozen=True)
    class Signed(SignoffRecord):  # what a signed sign-off record (issue 11) adds
        signature: str | None = None

    record = Signed(
        report_id="r",
        decision="reject",
        reviewer="Niamh Walsh",
        manifest_sha256="cd" * 32,
        decided_at=datetime(2026, 1, 16),
        signature="-----BEGIN SSH SIGNATURE-----",
    )
    md = signoff_markdown(STAGED, record)
    assert md.startswith("# Rejected:") and "| Signature | `-----BEGIN SSH SIGNATURE-----` |" in md
