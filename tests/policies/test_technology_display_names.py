"""measures.md ``technologies[].name``, the display name a reader sees for a technology (issue 23 item 3): optional,
at most 60 characters of plain words; a longer one or one holding markup is exit 2 naming the file, line and
field. Without it the report prints the technology's known name, never its id."""

from __future__ import annotations

from pathlib import Path

import pytest

from csa_report.cli import main
from csa_report.policies import load_policies
from csa_report.policies.technology_names import technology_display_name
from tests.policies.test_policy_loader import _edit, _error, folder

__all__ = ["folder"]  # the fixture, shared with the loader's tests
PHOTODNA = "  - id: photodna\n    category: known_csam\n"


def _named(folder: Path, name: str) -> int:
    """``technologies[0]`` (photodna) given ``name``; returns the line the name is on."""
    path = _edit(folder, "measures.md", PHOTODNA, f"  - id: photodna\n    name: {name}\n    category: known_csam\n")
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line == f"    name: {name}")


def test_without_a_name_the_known_name_is_printed() -> None:
    assert technology_display_name("photodna") == "PhotoDNA"
    assert technology_display_name("csai_match") == "CSAI Match"
    assert technology_display_name("photodna", "PhotoDNA Cloud Service") == "PhotoDNA Cloud Service"
    assert technology_display_name("hash_list_v2") == "hash list v2"  # an unknown id, in words


def test_a_name_of_60_characters_loads(folder: Path) -> None:
    _named(folder, "P" * 60)
    tech = next(t for t in load_policies(folder).measures.technologies if t.id == "photodna")
    assert tech.name == "P" * 60


def test_a_name_longer_than_60_characters_is_exit_2_naming_the_field(folder: Path) -> None:
    line = _named(folder, "P" * 61)
    message = _error(folder)
    assert message.startswith(f"{folder / 'measures.md'}:{line}: technologies[0].name: ")
    assert "longer than 60 characters (61)" in message


@pytest.mark.parametrize("name", ["<b>PhotoDNA</b>", "Photo`DNA`", "[PhotoDNA](https://x.example)", "A & B"])
def test_a_name_holding_markup_is_exit_2_naming_the_field(folder: Path, name: str) -> None:
    quoted = '"' + name + '"'
    line = _named(folder, quoted)
    message = _error(folder)
    assert message.startswith(f"{folder / 'measures.md'}:{line}: technologies[0].name: ")
    assert "holds markup characters" in message and "a display name is plain words" in message


def test_the_command_line_says_it_with_exit_2_before_reading_the_source(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _named(folder, "P" * 61)
    missing = f"sqlite:///{tmp_path / 'absent.db'}"
    args = ["check", "--period", "2025", "--db", missing, "--policies", str(folder), "--out", str(tmp_path / "o")]
    assert main(args) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert said == f"error: {folder / 'measures.md'}:{line}: technologies[0].name: longer than 60 characters (61)"
