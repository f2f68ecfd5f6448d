"""The whole annual_report flow through the Prefect engine, against a real SeaweedFS and a real SMTP server."""

from __future__ import annotations

import email
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from email.header import decode_header, make_header
from pathlib import Path
from uuid import UUID

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import BlockingFindings, InputError
from csa_report.extract import extract_indicators
from csa_report.filing.guard import filings
from csa_report.period import Period, format_instant
from csa_report.seed import seed
from tests.flows.flow_helpers import AUTHORITY, COMMISSION, seeded_annual_report

CLI = Path(sys.executable).with_name("csa-report")
PROVIDER = "Example Communications Ireland Ltd"
PERIOD = "2025-01-01/2025-12-31"
KEY = "example-communications-ireland-ltd-2025"


def test_flow_submits_once_and_another_run_of_the_filed_period_stops_already_filed(
    prefect_server, env, seaweed, smtp, tmp_path
):
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

    # The same period again, identical inputs: the same bytes, but another run. It stops before staging as
    # AlreadyFiled, sends nothing, reuses no approval and publishes no sign-off or receipts of its own.
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    [filing] = filings(audit, PROVIDER, PERIOD)
    assert (filing.report_id, filing.status, filing.seq) == (report_id, "submitted", 0)
    [first_run] = [r for r in audit.status() if r.status == "submitted"]
    assert filing.flow_run_id == first_run.flow_run_id is not None
    second = annual_report(
        period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly", return_state=True
    )
    assert filing.filed_at is not None
    assert (second.type.value, second.name) == ("FAILED", "AlreadyFiled")
    assert second.message == (
        f"{PROVIDER}, period {PERIOD}: already filed as report {report_id} (filed "
        f"{format_instant(filing.filed_at)}, submitted); nothing is staged or sent again. To file a correction, "
        f"run again with --supersedes {report_id} --reason TEXT"
    )
    assert len(handler.messages) == before + 2  # nothing delivered twice
    second_id = str(second.state_details.flow_run_id)
    blocked = [r for r in audit.status() if r.status == "already-filed"]
    assert [(r.report_id, r.flow_run_id, r.signoffs) for r in blocked] == [(report_id, second_id, ())]
    assert run_artifacts(second_id) == {f"{KEY}-findings"}  # what it checked; nothing staged, signed or sent
    assert {f"{KEY}-signoff", f"{KEY}-delivery-receipts"} <= run_artifacts(str(first_run.flow_run_id))
    sent = [d for d in audit.deliveries(report_id) if d.status == "sent"]
    assert sorted(d.recipient for d in sent) == sorted([AUTHORITY, COMMISSION])
    assert all(d.attempts == 1 for d in sent)
    approvals = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    assert [(s.reviewer, s.automatic) for s in approvals] == [("Dara Kelly", True)]  # recorded once, as such

    # `csa-report run` of the filed period: exit 2, the one line naming the filing, nothing sent.
    cli = subprocess.run(
        [
            str(CLI),
            "run",
            "--period",
            "2025",
            "--as-of",
            "2026-01-15T00:00:00Z",
            "--db",
            url,
            "--approve-as",
            "Dara Kelly",
        ],
        env={**os.environ, **prefect_server.env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    said = " ".join((cli.stdout + cli.stderr).split())
    assert cli.returncode == 2, said[-3000:]
    assert f"already filed as report {report_id}" in said and f"--supersedes {report_id}" in said
    assert "Traceback" not in said
    assert len(handler.messages) == before + 2
    assert [r.report_id for r in audit.status() if r.status == "already-filed"] == [report_id, report_id]


def run_artifacts(flow_run_id: str) -> set[str]:
    """The keys of the artifacts a flow run published."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]))
        )
    return {a.key for a in found if a.key}


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

    from csa_report.flows.annual_report import AnnualReportResult

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    handler = smtp
    before = len(handler.messages)
    _url, flow = seeded_annual_report(tmp_path, 6)
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


def test_a_rejection_ends_the_run_rejected_with_one_log_line_and_no_traceback(
    prefect_server, env, smtp, tmp_path, monkeypatch
):
    """The caller of the flow gets CancelledRun (what `csa-report run` turns into its exit-6 message), not the
    TypeError Prefect raised for a Cancelled state carrying a dict; the run's logs hold no ERROR and no traceback,
    and say it once."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.exceptions import CancelledRun
    from prefect.flow_runs import resume_flow_run
    from prefect.logging.handlers import APILogWorker

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    before = len(smtp.messages)
    _url, flow = seeded_annual_report(tmp_path, 8)
    run_id, _key = flow.wait_paused()
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    [staged] = [r for r in audit.status() if r.status == "staged"]
    sha = staged.manifest_sha256
    assert sha is not None
    resume_flow_run(
        run_id,
        run_input={"decision": "reject", "reviewer": "Dara Kelly", "manifest_sha256": sha, "comment": "figures off"},
    )
    flow.thread.join(180)
    assert not flow.thread.is_alive()
    error = flow.outcome.get("error")
    assert isinstance(error, CancelledRun) and str(error) == "rejected by Dara Kelly", repr(error)
    assert len(smtp.messages) == before  # nothing sent
    [run] = [r for r in audit.status() if r.run_id == staged.run_id]
    assert run.status == "rejected"

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    assert state is not None and (state.type.value, state.name, state.message) == (
        "CANCELLED",
        "Rejected",
        "rejected by Dara Kelly",
    )
    assert [m.message for m in logs if m.level >= 40] == []  # no ERROR
    assert not any("Traceback" in m.message or "TypeError" in m.message for m in logs)
    said = [m.message for m in logs if " rejected by " in m.message and m.level == 30]
    assert said == [f"report {sha[:16]} rejected by Dara Kelly: figures off; the staged copy is kept"]
