"""retention.md ``exceptions`` (legal holds) and measures.md ``plausibility`` (issue 22 items 6 and 8): what
loads, and the input errors that name the file, line and field (exit 2)."""

from __future__ import annotations

from pathlib import Path

from csa_report.policies import load_policies
from tests.policies.test_policy_loader import _edit, _error, folder

__all__ = ["folder"]

HOLD = """    exceptions:
      - reason: >-
          data named in a preservation request of a law-enforcement or judicial authority (a legal hold) is
          kept until the authority lifts the hold
        legal_basis: >-
          GDPR Article 6(1)(c) with Article 3(1)(h)(v) of the Regulation (answering lawful requests of
          competent authorities), and the authority's preservation order
"""


def test_the_example_declares_its_legal_hold_and_no_purpose_for_not_abuse(folder: Path) -> None:
    r = load_policies(folder).retention
    (hold,) = r.rule("confirmed_content").exceptions
    assert hold.reason.startswith("data named in a preservation request")
    assert r.rule("not_abuse").purposes == ()
    assert load_policies(folder).measures.plausibility.identical_volume_days == 14  # the default


def test_an_exception_without_a_legal_basis_names_file_line_and_field(folder: Path) -> None:
    _edit(
        folder,
        "retention.md",
        HOLD,
        "    exceptions:\n      - reason: kept while an authority's preservation order runs\n",
    )
    assert _error(folder).endswith("/retention.md:10: rules[0].exceptions[0].legal_basis: required field is missing")


def test_a_purpose_is_still_required_for_every_other_kind_of_data(folder: Path) -> None:
    _edit(folder, "retention.md", "    purposes: [report, law_enforcement_request]\n", "")
    message = _error(folder)
    assert "retention.md" in message and "purposes" in message


def test_plausibility_thresholds_are_whole_numbers(folder: Path) -> None:
    _edit(folder, "measures.md", "reporting:\n", 'plausibility:\n  identical_volume_days: "7"\nreporting:\n')
    message = _error(folder)
    assert "measures.md" in message and "identical_volume_days" in message
