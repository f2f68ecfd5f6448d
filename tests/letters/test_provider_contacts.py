"""provider.md's contact point and DPO, which the submission e-mail names: required, with valid addresses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csa_report.errors import PolicyError
from csa_report.policies import load_policies

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"
CONTACT = (
    "contact:  # the contact point for the report: named in its summary and the submission e-mail\n"
    "  name: Niamh Walsh\n"
    "  role: Head of Trust and Safety\n"
    "  email: csa-transparency@example.org\n"
)
DPO = "dpo:\n  name: Ciarán Murphy\n  email: dpo@example.org\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(EXAMPLE, target)
    return target


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "provider.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _error(folder: Path) -> str:
    with pytest.raises(PolicyError) as exc:
        load_policies(folder)
    assert exc.value.exit_code == 2
    return str(exc.value)


def test_the_example_names_its_contact_point_and_dpo() -> None:
    p = load_policies(EXAMPLE).provider
    assert (p.contact.name, p.contact.role, p.contact.email) == (
        "Niamh Walsh",
        "Head of Trust and Safety",
        "csa-transparency@example.org",
    )
    assert (p.dpo.name, p.dpo.email) == ("Ciarán Murphy", "dpo@example.org")


def test_a_missing_contact_is_named(folder: Path) -> None:
    _edit(folder, CONTACT, "")
    assert _error(folder) == f"{folder}/provider.md:2: contact: required field is missing"


def test_a_missing_dpo_is_named(folder: Path) -> None:
    _edit(folder, DPO, "")
    assert _error(folder) == f"{folder}/provider.md:2: dpo: required field is missing"


def test_an_invalid_contact_address_is_named(folder: Path) -> None:
    _edit(folder, "  email: csa-transparency@example.org", "  email: csa-transparency")
    assert "provider.md" in (message := _error(folder))
    assert "contact.email" in message and "'csa-transparency' is not an e-mail address" in message


def test_a_dpo_without_a_name_is_named(folder: Path) -> None:
    _edit(folder, "  name: Ciarán Murphy\n", "")
    assert "dpo.name: required field is missing" in _error(folder)
