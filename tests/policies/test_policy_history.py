"""Policy history (issue 14): several versions of one document, the version in force chosen per period, and
exit 2 naming the document and the dates when versions overlap or leave a day of the period uncovered."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from csa_report.errors import PolicyError
from csa_report.period import Period
from csa_report.policies import load_policies

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "pol"
    shutil.copytree(EXAMPLE, target)
    return target


def test_the_2025_report_uses_the_version_in_force_in_2025() -> None:
    p = load_policies(EXAMPLE, Period.parse("2025")).provider
    assert (p.version, p.effective_from) == ("2025.1", date(2025, 1, 1))
    assert p.path == EXAMPLE / "history" / "provider" / "2025.1.md"
    assert p.service("Example Chat") is not None and p.service("Example Chat").e2ee is False  # type: ignore[union-attr]
    assert "2026/1881" not in p.body and "July 2026" not in p.body


def test_a_2026_report_uses_the_version_in_force_on_its_last_day() -> None:
    p = load_policies(EXAMPLE, Period.parse("2026")).provider
    assert (p.version, p.effective_from) == ("2026.2", date(2026, 7, 31))
    before = load_policies(EXAMPLE, Period.parse("2026-01-01/2026-07-30")).provider
    assert before.version == "2025.1"


def test_without_a_period_the_current_file_is_loaded() -> None:
    assert load_policies(EXAMPLE).provider.version == "2026.2"


def test_the_2025_example_quotes_nothing_after_its_publication() -> None:
    policies = load_policies(EXAMPLE, Period.parse("2025"))
    for doc in policies.documents():
        assert doc.effective_from <= date(2025, 1, 1), doc.path
        for later in ("2026/1881", "July 2026", "October 2026", "2026-07", "2026-10"):
            assert later not in doc.body, (doc.path, later)


def _write(folder: Path, version: str, effective_from: str, until: str | None = None) -> Path:
    src = (folder / "history" / "provider" / "2025.1.md").read_text(encoding="utf-8")
    text = src.replace(
        'version: "2025.1"\neffective_from: 2025-01-01',
        f'version: "{version}"\neffective_from: {effective_from}' + (f"\neffective_until: {until}" if until else ""),
        1,
    )
    path = folder / "history" / "provider" / f"{version}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_versions_covering_the_same_day_are_an_input_error(folder: Path) -> None:
    _write(folder, "2025.0", "2024-06-01", "2025-01-01")
    with pytest.raises(PolicyError) as info:
        load_policies(folder, Period.parse("2025"))
    msg = str(info.value)
    assert msg.startswith("provider.md: two versions cover the same day 2025-01-01: ")
    assert "2025.0.md (version 2025.0, effective from 2024-06-01) until 2025-01-01" in msg
    assert "2025.1.md (version 2025.1, effective from 2025-01-01)" in msg
    assert info.value.exit_code == 2


def test_a_day_of_the_period_without_a_version_is_an_input_error(folder: Path) -> None:
    history = folder / "history" / "provider" / "2025.1.md"
    text = history.read_text(encoding="utf-8").replace(
        "effective_from: 2025-01-01", "effective_from: 2025-01-01\neffective_until: 2026-03-31", 1
    )
    history.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policies(folder, Period.parse("2026"))
    msg = str(info.value)
    assert msg.startswith(
        "provider.md: no version is in force from 2026-04-01 to 2026-07-30, days of the period 2026-01-01/2026-12-31: "
    )
    assert "ends on 2026-03-31" in msg and "begins on 2026-07-31" in msg
    assert info.value.exit_code == 2
    # the 2025 report is not concerned by that gap
    assert load_policies(folder, Period.parse("2025")).provider.version == "2025.1"


def test_a_recipient_type_outside_the_enumeration_is_an_input_error(folder: Path) -> None:
    path = folder / "transfers.md"
    text = path.read_text(encoding="utf-8")
    assert "    type: law_enforcement\n" in text
    path.write_text(text.replace("    type: law_enforcement\n", "    type: police\n", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policies(folder, Period.parse("2025"))
    msg = str(info.value)
    assert msg.startswith(f"{path}:") and "recipients[2].type" in msg and "police" in msg
    for allowed in ("public_interest_organisation", "law_enforcement", "processor"):
        assert allowed in msg
    assert info.value.exit_code == 2
