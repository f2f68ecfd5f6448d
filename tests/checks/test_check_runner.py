"""The runner: stable findings.json, waivers, and rules that cannot run (tool or data errors, never a pass)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from csa_report.checks import (
    RULE_IDS,
    CheckResult,
    Finding,
    apply_waivers,
    blocking,
    evaluate,
    load_waivers,
    raise_for_errors,
    run_rule,
)
from csa_report.checks.findings import CheckFailure
from csa_report.errors import CheckError, DataError, PolicyError
from csa_report.period import Period
from tests.checks.check_helpers import Source

PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 31)


def _finding(rule: str, severity: str = "blocking", message: str = "m") -> Finding:
    return Finding(rule=rule, severity=severity, message=message, count=1, reference="Art. x")  # type: ignore[arg-type]


def test_findings_sorted_by_severity_rule_message_and_json_stable() -> None:
    findings = [
        _finding("SCOPE-2", "review"),
        _finding("XFER-1"),
        _finding("NOTICE-1", "warning"),
        _finding("RET-1", message="b"),
        _finding("RET-1", message="a"),
    ]
    a = CheckResult.build(PERIOD, AS_OF, findings)
    b = CheckResult.build(PERIOD, AS_OF, list(reversed(findings)))
    assert [(f.rule, f.message) for f in a.findings] == [
        ("RET-1", "a"),
        ("RET-1", "b"),
        ("XFER-1", "m"),
        ("SCOPE-2", "m"),
        ("NOTICE-1", "m"),
    ]
    assert a.to_json() == b.to_json()
    obj = json.loads(a.to_json())
    assert list(obj) == sorted(obj)
    assert obj["summary"] == {"blocking": 3, "review": 1, "warning": 1, "errors": 0}
    assert a.exit_code == 1 and len(blocking(a)) == 3


def _waivers(tmp_path: Path, content: str) -> Path:
    p = tmp_path / "waivers.yaml"
    p.write_text(content, encoding="utf-8")
    return p


def test_waiver_downgrades_a_blocking_finding(tmp_path: Path) -> None:
    waivers = load_waivers(
        _waivers(
            tmp_path,
            (
                "- rule: XFER-2\n  reason: Legal opinion LO-2026-11, reports sent under Art. 49(1)(d)\n"
                "  waived_by: Dara Kelly\n  expires: 2027-01-31\n"
                "- rule: RET-1\n  reason: old waiver\n  waived_by: Dara Kelly\n  expires: 2026-12-31\n"
                "- rule: HUMAN-1\n  reason: unused\n  waived_by: Dara Kelly\n"
            ),
        )
    )
    findings, uses = apply_waivers([_finding("XFER-2"), _finding("RET-1")], waivers, AS_OF)
    xfer, ret = findings
    assert (xfer.severity, xfer.waived_by, xfer.waiver_reason) == (
        "review",
        "Dara Kelly",
        "Legal opinion LO-2026-11, reports sent under Art. 49(1)(d)",
    )
    assert ret.severity == "blocking" and not ret.waived  # the waiver expired before the as-of day
    assert [(u.rule, u.status) for u in uses] == [("XFER-2", "applied"), ("RET-1", "expired"), ("HUMAN-1", "unused")]
    result = CheckResult.build(PERIOD, AS_OF, findings, waivers=uses)
    obj = json.loads(result.to_json())
    assert obj["findings"][1]["waived_by"] == "Dara Kelly"
    assert [w["status"] for w in obj["waivers"]] == ["unused", "expired", "applied"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- rule: XFER-9\n  reason: r\n  waived_by: w\n", "waivers.yaml:1: [0].rule: unknown rule 'XFER-9'"),
        (
            "- rule: RET-1\n  reason: r\n  waived_by: w\n- rule: NOTICE-1\n  reason: r\n  waived_by: w\n",
            "waivers.yaml:4: [1].rule: NOTICE-1 is not a blocking rule",
        ),
        ("- rule: RET-1\n  reason: r\n", "waivers.yaml:1: [0].waived_by: required field is missing"),
        (
            "- rule: RET-1\n  reason: r\n  waived_by: w\n  expires: soon\n",
            "waivers.yaml:4: [0].expires: expected a date (YYYY-MM-DD, unquoted), got 'soon'",
        ),
        ("- rule: RET-1\n  reason: r\n  waived_by: w\n  by: x\n", "waivers.yaml:4: [0].by: unknown field"),
        ("rule: RET-1\n", "waivers.yaml:1: expected a list of waivers"),
        ("- rule: [RET-1\n", "waivers.yaml:2: waivers file is not valid YAML"),
    ],
)
def test_waiver_file_errors(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        load_waivers(_waivers(tmp_path, content))
    assert str(err.value).startswith(str(tmp_path / message.split(":")[0]) + message[len(message.split(":")[0]) :])


def test_empty_waiver_file_means_none(tmp_path: Path) -> None:
    assert load_waivers(_waivers(tmp_path, "# no waivers this year\n")) == ()


def test_missing_table_is_a_data_error_not_a_pass(source: Source, example_policies) -> None:
    with source.engine.begin() as conn:
        conn.execute(text("DROP TABLE account_actions"))
    outcome = run_rule("NOTICE-1", source.url, PERIOD, AS_OF, example_policies)
    assert isinstance(outcome, CheckFailure)
    assert outcome.kind == "data" and outcome.exit_code == 2
    assert "table 'account_actions' is missing" in outcome.message
    result = evaluate(source.url, PERIOD, AS_OF, example_policies, indicators=None)
    # SCOPE-2 counts account actions on the gap days too (issue 22)
    assert {e.rule for e in result.errors} == {
        "NOTICE-1",
        "CORRECT-1",
        "SCOPE-2",
        "COMPLETE-1",
        "CONSIST-1",
        "SERVICE-1",
        "PLAUS-2",  # compares indicators with the previous report
    }
    assert "NOTICE-1" not in {f.rule for f in result.findings}
    assert result.exit_code == 4  # COMPLETE-1/CONSIST-1 had no indicators: a tool error
    with pytest.raises(CheckError):
        raise_for_errors(result)


def test_missing_column_is_a_data_error(source: Source, example_policies) -> None:
    with source.engine.begin() as conn:
        conn.execute(text("ALTER TABLE reports DROP COLUMN human_confirmed_at"))
    outcome = run_rule("HUMAN-1", source.url, PERIOD, AS_OF, example_policies)
    assert isinstance(outcome, CheckFailure) and outcome.kind == "data"
    result = CheckResult.build(PERIOD, AS_OF, [], errors=[outcome])
    assert result.exit_code == 2
    with pytest.raises(DataError, match="has no column 'human_confirmed_at'"):
        raise_for_errors(result)


def test_query_error_is_a_tool_error(source: Source, example_policies) -> None:
    # a view with the right columns whose query fails when read: the rule cannot run (exit 4)
    with source.engine.begin() as conn:
        conn.execute(text("DROP TABLE detections"))
        conn.execute(text("CREATE TABLE broken (x INTEGER)"))
        conn.execute(
            text(
                "CREATE VIEW detections AS SELECT 1 AS id, 's' AS service, 't' AS technology, 'c' AS category, "
                "'audio' AS data_type, NULL AS file_type, 'eu' AS user_region, NULL AS account_ref, "
                "'2026-01-01' AS flagged_at, 1 AS automated, NULL AS reviewed_at, NULL AS verdict, "
                "NULL AS erased_at, NULL AS hold_ref FROM broken"
            )
        )
        conn.execute(text("DROP TABLE broken"))
    outcome = run_rule("SCOPE-1", source.url, PERIOD, AS_OF, example_policies)
    assert isinstance(outcome, CheckFailure)
    assert outcome.kind == "tool" and outcome.exit_code == 4
    assert outcome.message.startswith("check SCOPE-1 could not run: ")


def test_every_rule_is_registered_once() -> None:
    from csa_report.checks import all_rules

    rules = all_rules()
    assert [r.id for r in rules] == list(RULE_IDS)
    assert {r.severity for r in rules} == {"blocking", "review", "warning"}
    assert {r.id for r in rules if r.severity == "review"} == {
        "RET-4",
        "XFER-3",
        "SCOPE-2",
        "RET-5",
        "DELAY-1",
        "POLICY-1",
        "DEADLINE-1",
        "POSITION-1",
        "SCOPE-4",
        "PLAUS-1",
        "PLAUS-2",
        "PLAUS-3",
        "PLAUS-4",
    }
    assert {r.id for r in rules if r.severity == "warning"} == {
        "NOTICE-1",
        "CORRECT-1",
        "REDRESS-1",
        "XFER-4",
        "RET-6",
        "RET-7",
    }
    assert all(r.reference for r in rules)


def test_waivers_need_dates(tmp_path: Path) -> None:
    [w] = load_waivers(_waivers(tmp_path, "- rule: RET-1\n  reason: r\n  waived_by: w\n  expires: 2027-01-01\n"))
    assert w.expires == date(2027, 1, 1)


def test_a_rule_that_does_not_apply_is_listed_apart_not_counted_as_holding() -> None:
    from rich.console import Console

    from csa_report.checks import NotApplied
    from csa_report.checks.terminal import findings_table

    na = NotApplied("PLAUS-2", "no previous filed report", "Art. 3(1)(g)(i) and (ii)")
    result = CheckResult.build(
        PERIOD, AS_OF, [_finding("XFER-1")], rules=["XFER-1", "RET-1", "PLAUS-2"], not_applicable=[na]
    )
    assert json.loads(result.to_json())["not_applicable"] == [
        {"rule": "PLAUS-2", "reason": "no previous filed report", "reference": "Art. 3(1)(g)(i) and (ii)"}
    ]
    assert result.summary() == {"blocking": 1, "review": 0, "warning": 0, "errors": 0}
    console = Console(record=True, width=200)
    console.print(findings_table(result))
    out = console.export_text()
    assert "PLAUS-2: not applicable: no previous filed report" in out
    # three rules: XFER-1 found, PLAUS-2 does not apply, so one (RET-1) holds
    assert "0 rule(s) could not run; 1 rule(s) hold, 1 do(es) not apply" in out
    clean = CheckResult.build(PERIOD, AS_OF, [], rules=["RET-1", "PLAUS-2"], not_applicable=[na])
    console = Console(record=True, width=200)
    console.print(findings_table(clean))
    assert console.export_text().startswith(
        "Compliance checks, 2026-01-01/2026-12-31 (as of 2027-01-31T00:00:00Z): all 1 rules that apply hold\n"
        "PLAUS-2: not applicable: no previous filed report"
    )
