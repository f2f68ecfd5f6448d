"""End to end: seeded data + example policies through ``csa-report check``.

Clean seed → no finding at all (exit 0); each ``--violations`` variant → exactly its rule fails, with the
count the seed's registry announces; exit codes of policies.md §3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csa_report.cli import main
from csa_report.period import Period
from csa_report.seed import VIOLATIONS, seed
from tests.checks.check_helpers import EXAMPLE

PERIOD = "2026"
AS_OF = "2027-01-31"
SCALE = 400


def _seeded(tmp_path: Path, violations: tuple[str, ...] = ()) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse(PERIOD), scale=SCALE, seed=7, violations=violations)
    return url


def _check(url: str, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "check",
            "--db",
            url,
            "--period",
            PERIOD,
            "--policies",
            str(EXAMPLE),
            "--as-of",
            AS_OF,
            "--out",
            str(out),
            *extra,
        ]
    )
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    # The example folder's provider.md and retention.md 2026.2 took effect with Regulation (EU) 2026/1881 on
    # 2026-07-31 and their 2025.1 versions are in history/: a change with the regime, so no POLICY-1 (issue 22).
    assert [f for f in findings["findings"] if f["rule"] == "POLICY-1"] == []
    # The clean seed of 2026 acts on the gap days as a provider would (issue 22): reports sent and removals
    # after 3 April 2026 for items flagged before it, pending reviews completed, detections kept until their
    # erasure date, but no scanning. SCOPE-2 discloses that; it is asserted here and set aside too.
    [gap] = [f for f in findings["findings"] if f["rule"] == "SCOPE-2"]
    totals = gap["evidence"]["totals"]
    assert gap["severity"] == "review" and totals["reports_sent"] > 0 and totals["held_unerased"] > 0
    findings["scope_2"] = gap
    # The seed's volumes are synthetic (the same daily volume on long runs): the plausibility rules find them,
    # as they should (issue 22 item 8); set aside here, asserted in tests/checks/test_check_plausibility.py.
    plaus = [f for f in findings["findings"] if f["rule"].startswith("PLAUS-")]
    assert all(f["severity"] == "review" for f in plaus)
    findings["plausibility"] = plaus
    findings["findings"] = [
        f for f in findings["findings"] if f["rule"] not in ("POLICY-1", "SCOPE-2") and f not in plaus
    ]
    findings["summary"]["review"] -= 1 + len(plaus)
    return code, findings


@pytest.fixture(scope="module")
def clean_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _seeded(tmp_path_factory.mktemp("clean"))


def test_clean_seed_with_example_policies_has_no_finding(clean_url: str, tmp_path: Path) -> None:
    code, findings = _check(clean_url, tmp_path / "out")
    assert code == 0
    assert findings["findings"] == [] and findings["errors"] == []
    assert findings["summary"] == {"blocking": 0, "review": 0, "warning": 0, "errors": 0}
    assert (tmp_path / "out" / "indicators.csv").is_file() and (tmp_path / "out" / "indicators.json").is_file()
    assert len(findings["policies"]) == 5
    # no filed report of 2025 is on record for `csa-report check`: PLAUS-2 is listed apart, neither held nor found
    assert findings["not_applicable"] == [
        {
            "rule": "PLAUS-2",
            "reason": "no previous filed report",
            "reference": "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(g)(i) and (ii) (volumes and cases, year on year)",
        }
    ]


def test_findings_json_is_byte_identical_between_runs(clean_url: str, tmp_path: Path) -> None:
    _check(clean_url, tmp_path / "a")
    _check(clean_url, tmp_path / "b")
    assert (tmp_path / "a" / "findings.json").read_bytes() == (tmp_path / "b" / "findings.json").read_bytes()


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_each_violation_trips_exactly_its_rule(tmp_path: Path, name: str) -> None:
    violation = VIOLATIONS[name]
    url = _seeded(tmp_path, (name,))
    code, findings = _check(url, tmp_path / "out")
    rules = [(f["rule"], f["count"]) for f in findings["findings"]]
    if violation.rule == "SCOPE-2":
        # set aside as the baseline: the injection adds scanning (volume rows, automated flags) to the gap
        totals = findings["scope_2"]["evidence"]["totals"]
        assert (totals["volume_rows"], totals["automated_flags"]) == (violation.count, violation.count)
        assert rules == [] and code == 0
        return
    assert findings["scope_2"]["evidence"]["totals"]["scanned_items"] == 0
    assert rules == [(violation.rule, violation.count)], findings["findings"]
    severity = findings["findings"][0]["severity"]
    assert code == (1 if severity == "blocking" else 0)
    text = (tmp_path / "out" / "findings.json").read_text(encoding="utf-8")
    assert "acct" not in text and "account_ref" not in text  # aggregates only


def test_waiver_turns_exit_1_into_0(tmp_path: Path) -> None:
    url = _seeded(tmp_path, ("human-confirmation",))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "- rule: HUMAN-1\n  reason: Test waiver, legal opinion LO-1\n  waived_by: Dara Kelly\n", encoding="utf-8"
    )
    code, findings = _check(url, tmp_path / "out", "--waivers", str(waivers))
    assert code == 0
    [f] = findings["findings"]
    assert (f["rule"], f["severity"], f["waived_by"]) == ("HUMAN-1", "review", "Dara Kelly")
    assert findings["waivers"][0]["status"] == "applied"


def test_exit_2_on_a_bad_policy_folder(clean_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "check",
            "--db",
            clean_url,
            "--period",
            PERIOD,
            "--policies",
            str(tmp_path / "missing"),
            "--as-of",
            AS_OF,
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "does not exist or is not a folder" in err and "Traceback" not in err


def test_exit_2_on_a_bad_period(clean_url: str, tmp_path: Path) -> None:
    assert (
        main(["check", "--db", clean_url, "--period", "2026-13", "--policies", str(EXAMPLE), "--out", str(tmp_path)])
        == 2
    )


def test_exit_2_on_a_missing_table(tmp_path: Path) -> None:
    from sqlalchemy import text

    from csa_report.db import make_engine

    url = _seeded(tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE complaints"))
    engine.dispose()
    assert (
        main(
            [
                "check",
                "--db",
                url,
                "--period",
                PERIOD,
                "--policies",
                str(EXAMPLE),
                "--as-of",
                AS_OF,
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )


def test_exit_3_when_the_database_is_unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csa_report.db as db

    monkeypatch.setattr(db, "CONNECT_BACKOFF_S", 0.01)
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    assert (
        main(
            [
                "check",
                "--db",
                url,
                "--period",
                PERIOD,
                "--policies",
                str(EXAMPLE),
                "--as-of",
                AS_OF,
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 3
    )


def test_as_of_must_not_precede_the_period(clean_url: str, tmp_path: Path) -> None:
    assert (
        main(
            [
                "check",
                "--db",
                clean_url,
                "--period",
                PERIOD,
                "--policies",
                str(EXAMPLE),
                "--as-of",
                "2025-12-31",
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )


def test_period_is_required(tmp_path: Path) -> None:
    assert main(["check", "--db", "sqlite:///x.db", "--policies", str(EXAMPLE)]) == 2
