"""The policy fields of "Rules, version 2": thresholds (reporting.max_hours, redress.restore_within_hours,
redress.decide_within_days), technologies, notified_to_commission and dpf_certified. A missing, negative or
mistyped threshold stops the run (PolicyError, exit 2) naming the file, line and field."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from csa_report.errors import PolicyError
from csa_report.policies import load_policies

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(EXAMPLE, dest)
    return dest


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(folder: Path) -> str:
    with pytest.raises(PolicyError) as err:
        load_policies(folder)
    return str(err.value)


def _line(folder: Path, name: str, text: str) -> int:
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_example_folder_fills_every_new_field() -> None:
    p = load_policies(EXAMPLE)
    assert p.measures.reporting.max_hours == 240
    assert (p.retention.redress.restore_within_hours, p.retention.redress.decide_within_days) == (240, 10)
    assert [t.id for t in p.measures.technologies] == [
        "photodna",
        "csai_match",
        "new_csam_classifier",
        "grooming_classifier",
    ]
    assert all(t.description.strip() for t in p.measures.technologies)
    ncmec = p.transfers.recipient("NCMEC")
    assert ncmec is not None and ncmec.notified_to_commission == date(2021, 8, 20) and not ncmec.dpf_certified


@pytest.mark.parametrize(
    ("name", "old", "new", "field", "expected"),
    [
        (
            "measures.md",
            "  max_hours: 240\n",
            "  max_hours: -1\n",
            "reporting.max_hours",
            "expected a number ≥ 0, got -1",
        ),
        (
            "measures.md",
            "  max_hours: 240\n",
            "  max_hours: two days\n",
            "reporting.max_hours",
            "expected a whole number, got 'two days'",
        ),
        (
            "measures.md",
            "  max_hours: 240\n",
            "  max_hours: 2.5\n",
            "reporting.max_hours",
            "expected a whole number, got 2.5",
        ),
        (
            "retention.md",
            "  restore_within_hours: 240\n",
            "  restore_within_hours: -5\n",
            "redress.restore_within_hours",
            "expected a number ≥ 0, got -5",
        ),
        (
            "retention.md",
            "  decide_within_days: 10\n",
            "  decide_within_days: true\n",
            "redress.decide_within_days",
            "expected a whole number, got a YAML boolean (true)",
        ),
    ],
)
def test_bad_threshold(folder: Path, name: str, old: str, new: str, field: str, expected: str) -> None:
    _edit(folder, name, old, new)
    line = _line(folder, name, new.strip())
    assert _error(folder) == f"{folder}/{name}:{line}: {field}: {expected}"


def test_missing_threshold_names_its_parent_line(folder: Path) -> None:
    _edit(folder, "retention.md", "  decide_within_days: 10\n", "")
    line = _line(folder, "retention.md", "redress:")
    assert _error(folder) == f"{folder}/retention.md:{line}: redress.decide_within_days: required field is missing"


def test_missing_reporting_block(folder: Path) -> None:
    _edit(folder, "measures.md", "reporting:\n  max_hours: 240\n", "")
    assert _error(folder) == f"{folder}/measures.md:2: reporting: required field is missing"


def test_unknown_technology_field_is_an_error(folder: Path) -> None:
    _edit(folder, "measures.md", "  - id: photodna\n", "  - id: photodna\n    vendor: Microsoft\n")
    line = _line(folder, "measures.md", "vendor: Microsoft")
    assert _error(folder).startswith(f"{folder}/measures.md:{line}: technologies[0].vendor: unknown field")


def test_duplicate_technology(folder: Path) -> None:
    _edit(folder, "measures.md", "  - id: csai_match\n", "  - id: photodna\n")
    assert "technologies: 'photodna' is listed twice" in _error(folder)


def test_dpf_certified_needs_its_date(folder: Path) -> None:
    _edit(folder, "transfers.md", "    dpf_certified: false\n", "    dpf_certified: true\n")
    line = _line(folder, "transfers.md", "- name: Example Child Safety Foundation")
    assert _error(folder) == (
        f"{folder}/transfers.md:{line}: recipients[4]: dpf_certified_from: required when "
        "dpf_certified is true (the day the recipient's certification took effect)"
    )


def test_check_exits_2_naming_file_and_field(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from csa_report.cli import main

    _edit(folder, "retention.md", "  restore_within_hours: 240\n", "  restore_within_hours: -1\n")
    code = main(
        [
            "check",
            "--db",
            f"sqlite:///{tmp_path / 'none.db'}",
            "--period",
            "2026",
            "--policies",
            str(folder),
            "--as-of",
            "2027-01-31",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "retention.md:" in err and "redress.restore_within_hours: expected a number ≥ 0, got -1" in err
    assert "Traceback" not in err
