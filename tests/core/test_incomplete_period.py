"""Periods that make sense (issue 24, item 7): an as-of before the period's end or after now is refused for
``run`` and ``demo`` (exit 2) unless --allow-incomplete-period; then the report is marked provisional in its
manifest, report.json and on its first page. ``check``, ``extract`` and ``render`` only warn."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from csa_report.cli import main
from csa_report.errors import PeriodError
from csa_report.period import Period, incomplete_period, provisional_note, require_complete_period

REPO = Path(__file__).parents[2]
P2025 = Period.parse("2025")
NOW = datetime(2026, 12, 7, 12, 0, 0)


def test_the_rule_is_a_pure_function_of_period_as_of_and_now() -> None:
    assert incomplete_period(P2025, datetime(2026, 1, 1), NOW) is None  # the first instant after the period
    assert incomplete_period(P2025, NOW, NOW) is None
    early = incomplete_period(P2025, datetime(2025, 12, 31, 23, 59, 59), NOW)
    assert early == (
        "as-of 2025-12-31T23:59:59Z is before the period 2025-01-01/2025-12-31 ends (2026-01-01T00:00:00Z): "
        "the rest of the period is missing"
    )
    future = incomplete_period(P2025, datetime(2026, 12, 7, 12, 0, 1), NOW)
    assert (
        future == "as-of 2026-12-07T12:00:01Z is in the future (now 2026-12-07T12:00:00Z): "
        "events up to it have not all happened"
    )


def test_run_refuses_unless_allowed_and_the_note_says_provisional() -> None:
    with pytest.raises(PeriodError) as err:
        require_complete_period(P2025, datetime(2025, 6, 30), NOW, False)
    assert err.value.exit_code == 2 and "--allow-incomplete-period" in str(err.value)
    assert require_complete_period(P2025, datetime(2025, 6, 30), NOW, True) is not None
    assert require_complete_period(P2025, datetime(2026, 1, 15), NOW, False) is None
    note = provisional_note(P2025, datetime(2025, 6, 30), NOW)
    assert note is not None and note.startswith(
        "provisional report, not to be filed as the final report for 2025-01-01/2025-12-31: as-of 2025-06-30"
    )
    assert provisional_note(P2025, datetime(2026, 1, 15), NOW) is None


@pytest.mark.parametrize("as_of", ["2025-06-30", "2999-01-01"])
def test_run_with_an_early_or_future_as_of_exits_2_before_any_work(
    as_of: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--period", "2025", "--as-of", as_of, "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--allow-incomplete-period" in err and "Traceback" not in err
    assert not (tmp_path / "none.db").exists()


def test_run_without_as_of_in_the_running_year_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    year = datetime.now().year
    assert main(["run", "--period", str(year)]) == 2
    assert "is before the period" in capsys.readouterr().err


@pytest.mark.slow
def test_render_warns_and_marks_the_report_provisional(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'source.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["seed", "--db", db, "--period", "2025", "--scale", "200"]) == 0
    policies = str(REPO / "policies" / "example")
    common = ["--db", db, "--period", "2025", "--policies", policies, "--as-of", "2025-06-30"]
    capsys.readouterr()
    assert main(["render", *common, "--out", str(tmp_path / "r")]) in (0, 1)
    assert "warning: as-of 2025-06-30T00:00:00Z is before the period" in capsys.readouterr().err
    out = tmp_path / "r"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    expected = (
        "provisional report, not to be filed as the final report for 2025-01-01/2025-12-31: as-of "
        "2025-06-30T00:00:00Z is before the period 2025-01-01/2025-12-31 ends (2026-01-01T00:00:00Z): the rest "
        "of the period is missing"
    )
    assert manifest["provisional"] == expected
    assert json.loads((out / "report.json").read_text("utf-8"))["report"]["provisional"] == expected
    md = (out / "report.md").read_text("utf-8")
    assert "**Provisional:** provisional report, not to be filed as the final report" in md
    assert md.index("**Provisional:**") < md.index("## ")  # on the first page, before the first section
    assert "<strong>Provisional:</strong> provisional report" in (out / "report.html").read_text("utf-8")
    # check and extract warn, and go on
    assert main(["check", *common, "--out", str(tmp_path / "c")]) in (0, 1)
    assert "is before the period" in capsys.readouterr().err
    assert main(["extract", "--db", db, "--period", "2025", "--as-of", "2025-06-30", "--out", str(tmp_path / "e")]) == 0
    assert "is before the period" in capsys.readouterr().err
    # a complete period's artefacts carry no marker
    complete = ["--db", db, "--period", "2025", "--policies", policies, "--as-of", "2026-01-08"]
    assert main(["render", *complete, "--out", str(tmp_path / "ok")]) in (0, 1)
    assert "provisional" not in json.loads((tmp_path / "ok" / "manifest.json").read_text("utf-8"))


def test_the_provisional_note_carries_no_clock() -> None:
    """Printed on the report's first page and in its manifest: the same inputs give the same bytes a second later."""
    as_of = datetime(2026, 12, 7, 12, 0, 1)
    note = provisional_note(P2025, as_of, NOW)
    assert note == provisional_note(P2025, as_of, NOW.replace(hour=11))  # made an hour earlier
    assert note == (
        "provisional report, not to be filed as the final report for 2025-01-01/2025-12-31: "
        "as-of 2026-12-07T12:00:01Z is in the future: events up to it have not all happened"
    )
