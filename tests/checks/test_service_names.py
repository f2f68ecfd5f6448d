"""Names are identities (issue 24 item 2): a service spelled differently in the source data can no longer drop a
rule. The regression: the seed with the "e2ee" violation gives exactly one blocking rule, SCOPE-3; renaming the
database's "Example Chat" to "Example Chat " (a trailing space) used to turn that into "all hold", exit 0.

Which case gives which outcome (docs/rules.md, SERVICE-1):

* an invalid name (trailing space, zero-width character, NFD, bidi control, control character, too long) is
  exit 2 before any rule runs, naming table, column, the escaped value and its row count;
* a valid name that provider.md does not declare ("example chat", a homoglyph) is SERVICE-1, blocking (exit 1).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from csa_report.checks import CheckFailure, evaluate
from csa_report.cli import main
from csa_report.db import make_engine
from csa_report.errors import DataError
from csa_report.period import Period
from csa_report.seed import seed
from tests.checks.check_helpers import EXAMPLE, Source, check

PERIOD = Period.parse("2026")
AS_OF = "2027-01-07T00:00:00Z"
SERVICE_TABLES = (
    "processing_volumes",
    "detections",
    "reports",
    "content_actions",
    "account_actions",
    "complaints",
)


def seeded(url: str) -> str:
    seed(url, PERIOD, scale=300, seed=4, violations=("e2ee",))
    return url


def rename(url: str, old: str, new: str) -> int:
    """Rename a service in every table; the number of rows renamed."""
    engine = make_engine(url)
    n = 0
    with engine.begin() as conn:
        for t in SERVICE_TABLES:
            n += conn.execute(
                text(f"UPDATE {t} SET service = :new WHERE service = :old"), {"new": new, "old": old}
            ).rowcount
    engine.dispose()
    return n


def run_check(url: str, out: Path) -> tuple[int, dict[str, object] | None]:
    code = main(
        ["check", "--db", url, "--policies", str(EXAMPLE), "--period", "2026", "--as-of", AS_OF, "--out", str(out)]
    )
    path = out / "findings.json"
    return code, json.loads(path.read_text()) if path.exists() else None


def blocking_rules(doc: dict[str, object] | None) -> list[str]:
    assert doc is not None
    findings = doc["findings"]
    assert isinstance(findings, list)
    return sorted({f["rule"] for f in findings if f["severity"] == "blocking"})


@pytest.fixture(params=["sqlite", "postgresql"])
def scope_3_db(request: pytest.FixtureRequest) -> str:
    fixture = {"sqlite": "new_sqlite_url", "postgresql": "new_pg_url"}[request.param]
    return seeded(str(request.getfixturevalue(fixture)))


def test_trailing_space_no_longer_drops_scope_3(
    scope_3_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run_check(scope_3_db, tmp_path / "clean")
    assert (code, blocking_rules(doc)) == (1, ["SCOPE-3"])
    renamed = rename(scope_3_db, "Example Chat", "Example Chat ")
    assert renamed > 0
    capsys.readouterr()
    code, doc = run_check(scope_3_db, tmp_path / "renamed")
    err = capsys.readouterr().err
    assert code == 2
    assert doc is None  # refused before any rule ran: no findings.json saying "all hold"
    assert "'Example Chat ' starts or ends with a space" in err
    assert "detections.service (" in err and "processing_volumes.service (" in err
    assert "Traceback" not in err


def test_case_variant_is_service_1_blocking(scope_3_db: str, tmp_path: Path) -> None:
    rename(scope_3_db, "Example Chat", "example chat")
    code, doc = run_check(scope_3_db, tmp_path / "case")
    assert code == 1
    assert blocking_rules(doc) == ["SERVICE-1"]  # SCOPE-3 cannot see it, SERVICE-1 does
    assert doc is not None
    finding = next(f for f in doc["findings"] if f["rule"] == "SERVICE-1")  # type: ignore[attr-defined]
    assert "'example chat'" in finding["message"]
    assert "provider.md declares 'Example Chat'" in finding["message"]
    assert [s["service"] for s in finding["evidence"]["services"]] == ["example chat"]
    assert finding["evidence"]["services"][0]["resembles"] == "Example Chat"


@pytest.mark.parametrize(
    ("spelling", "shown", "why"),
    [
        ("Example\u200bChat", "'Example\\u200bChat'", "invisible formatting character (bidi control, zero-width"),
        ("Example Chat\u202e", "'Example Chat\\u202e'", "invisible formatting character"),
        ("Exa\u0301mple Chat", "'Exa\\u0301mple Chat'", "not in Unicode NFC form (write it as 'Exámple Chat')"),
        ("Example\u00a0Chat", "'Example\\u00a0Chat'", "a space other than the plain space (U+00A0"),
        ("Example  Chat", "'Example  Chat'", "two spaces in a row"),
        ("Example\r\nChat", "'Example\\r\\nChat'", "a control character (U+000D)"),
        ("Chat, Mail", "'Chat, Mail'", "holds ', '"),
        ("x" * 10_000, "'" + "x" * 40 + "'…", "is 10000 characters long; a name has at most 120"),
    ],
)
def test_invalid_source_names_are_exit_2(source: Source, spelling: str, shown: str, why: str) -> None:
    source.detections(
        source.detection(datetime(2026, 3, 1), service=spelling),
        source.detection(datetime(2026, 3, 2), service=spelling),
    )
    policies = __import__("csa_report.policies", fromlist=["load_policies"]).load_policies(EXAMPLE)
    with pytest.raises(DataError) as info:
        evaluate(source.url, PERIOD, datetime(2027, 1, 7), policies, indicators=None)
    message = str(info.value)
    assert f": {shown} " in message
    assert why in message
    assert message.endswith(", in detections.service (2 rows)")
    assert "\u202e" not in message and "\u200b" not in message and "\r" not in message


def test_recipient_and_technology_names_are_validated(source: Source) -> None:
    source.detections(source.detection(datetime(2026, 3, 1), technology="photodna\ufeff"))
    source.reports(source.report(datetime(2026, 3, 1), recipient=" NCMEC"))
    from csa_report.policies import load_policies

    with pytest.raises(DataError) as info:
        evaluate(source.url, PERIOD, datetime(2027, 1, 7), load_policies(EXAMPLE), indicators=None)
    message = str(info.value)
    assert "'photodna\\ufeff' holds an invisible formatting character" in message
    assert ", in detections.technology (1 row)" in message
    assert "' NCMEC' starts or ends with a space, in reports.recipient (1 row)" in message


def test_service_1_names_every_undeclared_service_with_its_rows(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(
        s.detection(datetime(2026, 3, 1)),  # Example Mail: declared
        s.detection(datetime(2026, 3, 1), service="Example Voice"),
        s.detection(datetime(2025, 3, 1), service="Example Voice"),  # outside the period: still listed
    )
    s.volumes(s.volume(datetime(2026, 3, 1).date(), service="EXAMPLE MAIL"))
    f = check("SERVICE-1", s, example_policies)
    assert f is not None
    assert (f.severity, f.count) == ("blocking", 3)
    assert f.evidence["services"] == [
        {
            "service": "EXAMPLE MAIL",
            "shown": "'EXAMPLE MAIL'",
            "rows": 1,
            "tables": {"processing_volumes": 1},
            "resembles": "Example Mail",
        },
        {"service": "Example Voice", "shown": "'Example Voice'", "rows": 2, "tables": {"detections": 2}},
    ]
    assert f.message.startswith("2 service(s) in the source data are not declared in provider.md services")


def test_service_1_holds_when_every_service_is_declared(any_source: Source, example_policies) -> None:
    s = any_source
    s.detections(s.detection(datetime(2026, 3, 1)), s.detection(datetime(2026, 3, 1), service="Example Chat"))
    assert check("SERVICE-1", s, example_policies) is None


def test_service_1_cannot_run_without_the_service_columns(source: Source, example_policies) -> None:
    from csa_report.checks import run_rule

    with source.engine.begin() as conn:
        conn.execute(text("DROP TABLE complaints"))
    outcome = run_rule("SERVICE-1", source.url, PERIOD, datetime(2027, 1, 7), example_policies)
    assert isinstance(outcome, CheckFailure) and outcome.kind == "data"
    assert "'complaints' is missing" in outcome.message
