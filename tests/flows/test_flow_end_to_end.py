"""The whole annual_report flow through the Prefect engine, against a real SeaweedFS and a real SMTP server."""

from __future__ import annotations

import email
import hashlib
import json
from datetime import datetime
from email.header import decode_header, make_header

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import BlockingFindings, InputError
from csa_report.extract import extract_indicators
from csa_report.period import Period
from csa_report.seed import seed
from tests.flows.flow_helpers import AUTHORITY, COMMISSION, FlowInBackground


def test_flow_submits_once_and_a_rerun_repeats_nothing(prefect_server, env, seaweed, smtp, tmp_path):
    from csa_report.flows.annual_report import annual_report

    handler = smtp
    before = len(handler.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=300, seed=3)
    first = annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly")

    direct = extract_indicators(url, Period.parse("2025"), datetime(2026, 1, 15))
    assert first.indicators.to_csv() == direct.to_csv()
    assert first.findings.blocking == []
    report_id = first.report_id
    assert report_id == first.manifest_sha256[:16]
    manifest = json.loads(first.rendered.paths["manifest.json"].read_bytes())
    assert manifest["inputs"]["signoff"].startswith("automatic: approved up front as Dara Kelly")
    # One formal letter each to the authority and the Commission, with the report's files and their hashes.
    new = handler.messages[before:]
    assert sorted(r for m in new for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
    msg = email.message_from_bytes(new[0].data)
    assert str(make_header(decode_header(msg["Subject"]))) == (
        "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
        "— Example Communications Ireland Ltd — 2025"
    )
    assert msg["From"] == "transparency@example-communications.ie"
    files = {part.get_filename(): part.get_payload(decode=True) for part in msg.walk() if part.get_filename()}
    assert sorted(files) == ["manifest.json", "report.csv", "report.json", "report.pdf"]
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    for name, data in files.items():
        assert hashlib.sha256(data).hexdigest() in body, name
    assert "csa-report" not in body
    assert msg["Message-ID"].startswith(f"<{report_id}.")
    # Archived: six objects, each under COMPLIANCE retention.
    archived = first.submission.archived
    assert sorted(o.name for o in archived) == [
        "manifest.json",
        "report.csv",
        "report.html",
        "report.json",
        "report.md",
        "report.pdf",
    ]
    client = seaweed.client()
    for o in archived:
        head = client.head_object(Bucket=o.bucket, Key=o.key, VersionId=o.version_id)
        assert head["ObjectLockMode"] == "COMPLIANCE"

    second = annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly")
    assert second.report_id == report_id  # same inputs, same bytes, same report
    assert len(handler.messages) == before + 2  # nothing delivered twice
    assert sorted(second.submission.skipped) == sorted([AUTHORITY, COMMISSION])
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    sent = [d for d in audit.deliveries(report_id) if d.status == "sent"]
    assert sorted(d.recipient for d in sent) == sorted([AUTHORITY, COMMISSION])
    assert all(d.attempts == 1 for d in sent)
    approvals = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    assert [(s.reviewer, s.automatic) for s in approvals] == [("Dara Kelly", True)]  # recorded once, as such


def test_blocking_finding_stops_before_staging(prefect_server, env, seaweed, smtp, tmp_path):
    from csa_report.flows.annual_report import annual_report

    handler = smtp
    before = len(handler.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=300, seed=4, violations=("audio",))
    with pytest.raises(BlockingFindings, match="SCOPE-1"):
        annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly")
    assert len(handler.messages) == before
    assert not (tmp_path / "work").exists()  # nothing rendered
    client = seaweed.client()
    listed = client.list_objects_v2(Bucket="csa-staging", Prefix=env["CSA_STAGING_PREFIX"])
    assert listed.get("KeyCount", 0) == 0  # nothing staged
    runs = AuditLog.open(env["CSA_AUDIT_DB"]).status()
    assert [(r.status, [f.rule for f in r.findings if f.severity == "blocking"]) for r in runs] == [
        ("blocked", ["SCOPE-1"])
    ]


def test_preparer_cannot_approve(prefect_server, env, tmp_path):
    from csa_report.flows.annual_report import annual_report

    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=5)
    with pytest.raises(InputError, match="not among the approvers"):
        annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Aoife Byrne")


def test_human_signoff_refuses_the_preparer_then_accepts_an_approver(prefect_server, env, smtp, tmp_path, monkeypatch):
    from prefect.flow_runs import resume_flow_run

    from csa_report.flows.annual_report import AnnualReportResult, annual_report

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    handler = smtp
    before = len(handler.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=6)
    flow = FlowInBackground(
        "annual_report", lambda: annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url)
    )
    run_id, key = flow.wait_paused()
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    staged = [r for r in audit.status() if r.status == "staged"]
    assert len(staged) == 1 and staged[0].manifest_sha256
    sha = staged[0].manifest_sha256
    assert len(handler.messages) == before  # nothing sent while waiting

    # The preparer cannot sign off their own report: refused, recorded, asked again.
    resume_flow_run(
        run_id, run_input={"decision": "approve", "reviewer": "Aoife Byrne", "manifest_sha256": sha, "comment": "mine"}
    )
    run_id2, key2 = flow.wait_paused(not_key=key)
    assert run_id2 == run_id and key2 != key
    resume_flow_run(
        run_id,
        run_input={
            "decision": "approve",
            "reviewer": "Dara Kelly",
            "manifest_sha256": sha,
            "comment": "checked against the source",
        },
    )
    result = flow.result()
    assert isinstance(result, AnnualReportResult) and result.manifest_sha256 == sha
    assert sorted(r for m in handler.messages[before:] for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
    signoffs = [s for r in audit.status() for s in r.signoffs]
    assert [(s.reviewer, s.decision, s.automatic, bool(s.refused_reason)) for s in signoffs] == [
        ("Aoife Byrne", "approve", False, True),
        ("Dara Kelly", "approve", False, False),
    ]
    assert "not among the provider's approvers" in (signoffs[0].refused_reason or "")


def test_unanswered_signoff_times_out_and_is_recorded(prefect_server, env, smtp, tmp_path, monkeypatch):
    from csa_report.errors import SignOffMissing
    from csa_report.flows.annual_report import annual_report

    monkeypatch.setenv("CSA_SIGNOFF_TIMEOUT_S", "3")
    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    handler = smtp
    before = len(handler.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=8)
    with pytest.raises(SignOffMissing):
        annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url)
    assert len(handler.messages) == before
    runs = AuditLog.open(env["CSA_AUDIT_DB"]).status()
    assert [r.status for r in runs] == ["signoff-timeout"]
