"""tasks/check.py: the markdown artifact's text and the pure entry point."""

from __future__ import annotations

from datetime import datetime

from csa_report.checks import CheckResult, Finding
from csa_report.checks.findings import CheckFailure, NotApplied
from csa_report.period import Period
from csa_report.tasks.check import blocking, findings_markdown


def test_markdown_lists_blocking_findings_first() -> None:
    result = CheckResult.build(
        Period.parse("2026"),
        datetime(2027, 1, 31),
        [
            Finding("NOTICE-1", "warning", "3 account actions | unnotified", 3, "Art. 3(1)(g)(vi)"),
            Finding("XFER-2", "blocking", "3 reports without ground", 3, "GDPR Art. 44-46"),
        ],
        errors=[CheckFailure("SCOPE-1", "tool", "check SCOPE-1 could not run: boom")],
        not_applicable=[NotApplied("PLAUS-2", "no previous filed report", "Art. 3(1)(g)(i) and (ii)")],
    )
    text = findings_markdown(result)
    assert "**1 blocking finding(s): the report cannot go to sign-off.**" in text
    assert text.index("XFER-2") < text.index("NOTICE-1")
    assert "3 account actions \\| unnotified" in text
    assert "- **SCOPE-1** (tool error): check SCOPE-1 could not run: boom" in text
    assert text.endswith("## Rules that do not apply\n\n- **PLAUS-2**: not applicable: no previous filed report\n")
    assert [f.rule for f in blocking(result)] == ["XFER-2"]
