"""DEADLINE-1 outside the checks: the days left (or late) in ``csa-report status`` and in the sign-off form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import csa_report.period as period_mod
from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.deadline import deadline_for
from csa_report.filing.review import describe_for_reviewer
from csa_report.period import Period


def test_sign_off_form_shows_the_deadline() -> None:
    line = deadline_for(Period.parse("2025")).describe(datetime(2026, 1, 29, 15))
    assert line == "due 2026-01-31: 2 days left"
    md = describe_for_reviewer(title="t", manifest_sha256="a" * 64, deadline=line)
    assert "**Deadline (Art. 3(1)(g)(vii)):** due 2026-01-31: 2 days left" in md
    assert "Deadline" not in describe_for_reviewer(title="t", manifest_sha256="a" * 64)


def test_status_shows_days_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    log = AuditLog.open(url)
    at = datetime(2026, 1, 20, 9)
    log.record_run(provider="Example", period="2025-01-01/2025-12-31", as_of=at, status="staged", at=at)
    log.record_run(provider="Example", period="2026-01-01/2026-12-31", as_of=at, status="blocked", at=at)
    log.record_run(
        provider="Example", period="2024-01-01/2024-12-31", as_of=at, status="submitted", at=datetime(2025, 2, 1, 10)
    )
    monkeypatch.setattr(period_mod, "utc_now", lambda: datetime(2026, 2, 3, 8))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["status", "--audit-db", url]) == 0
    out = capsys.readouterr().out
    assert "deadline: due 2026-01-31: 3 days late" in out
    assert "deadline: due 2025-01-31: 1 day late" in out  # submitted: measured at its submission
    assert (
        "deadline: due 2027-01-31: 362 days left (deadline under Regulation (EU) 2026/1881 not confirmed)"
        in " ".join(out.split())
    )
