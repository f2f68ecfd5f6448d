"""The real annual_report flow as a served deployment on a real Prefect server: it suspends at sign-off, a
reviewer approves it by filling in the form in the Prefect UI (headless Chromium), and the report is submitted
exactly once — checked in SeaweedFS, the SMTP server and the audit DB. A run whose staging fails (S3 behind the
fault-injection proxy) and is retried the way the UI does it re-runs staging and what follows, nothing before.
With approvers' SSH keys in a policy copy, the reviewer pastes a real ``ssh-keygen`` signature into the form."""

from __future__ import annotations

import email
import email.policy
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

from csa_report.audit import AuditLog
from csa_report.local.processes import start_group, stop_group
from csa_report.local.seaweed import S3Endpoint
from csa_report.period import Period
from csa_report.seed import seed
from tests.support.example_policies import unsigned_example
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.services import PrefectServer, SmtpController, start_smtp
from tests.support.storage import CollectingHandler
from tests.ui.conftest import CHROMIUM_ARGS, REPO
from tests.ui.form_layout import FormView, figures_overflow, form_views
from tests.ui.ui_helpers import (
    final,
    open_ui,
    read_input,
    state_names,
    submit_resume_dialog,
    task_states,
    wait_run,
    waiting_for,
)
from tests.ui.webhook import WebhookReceiver

DEPLOYMENT = "annual_report/ui-test"
POLICIES = unsigned_example()  # the typed form; the signed one is test_ui_signed_signoff
AUTHORITY = "supervisory-authority@example.org"
COMMISSION = "commission-csa@example.org"
APPROVER_INBOX = "approvers@example.ie"
RUN_NAME = "annual-report-2025-example-communications-ireland-ltd"
KEY = "example-communications-ireland-ltd-2025"
#: Screenshots are CI output: test-output/ (git-ignored) unless CSA_TEST_SCREENSHOTS names another folder.
SHOTS = Path(os.environ.get("CSA_TEST_SCREENSHOTS", REPO / "test-output" / "screenshots"))


@dataclass
class Stack:
    env: dict[str, str]
    proxy: FaultProxy
    smtp: CollectingHandler
    audit_url: str
    s3: S3Endpoint  # direct, not through the proxy
    workdir: Path
    webhook: WebhookReceiver
    smtp_controller: SmtpController


@pytest.fixture(scope="module")
def stack(prefect_server, seaweed: S3Endpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The served annual_report deployment with the session's SeaweedFS (behind a fault proxy), an SMTP server of
    its own (a test stops and restarts it) and an audit DB."""
    workdir = tmp_path_factory.mktemp("annual-ui")
    handler = CollectingHandler()
    smtp = start_smtp(handler)
    with nullcontext(seaweed) as s3:
        proxy = FaultProxy(s3.url.removeprefix("http://")).start()
        audit_url = f"sqlite:///{workdir / 'audit.db'}"
        csa = {f"CSA_{k.upper()}": str(v) for k, v in s3.settings_overrides().items()}
        csa.update(
            {
                "CSA_S3_ENDPOINT": proxy.url,  # every S3 call of the flow goes through the fault proxy
                "CSA_S3_MAX_ATTEMPTS": "2",
                "CSA_TASK_RETRY_DELAYS_S": "[1]",
                "CSA_AUDIT_DB": audit_url,
                "CSA_POLICIES": str(POLICIES),
                "CSA_OUTPUT_DIR": str(workdir / "work"),
                "CSA_SMTP_HOST": "127.0.0.1",
                "CSA_SMTP_FROM": "transparency@example-communications.ie",
                "CSA_SMTP_PORT": str(smtp.port),
                "CSA_SMTP_TLS": "none",
                "CSA_OBJECT_LOCK_DAYS": "1",
                "CSA_SIGNOFF_NOTIFY": json.dumps([APPROVER_INBOX]),
                "CSA_UI_URL": prefect_server.url,
            }
        )
        # The chat notification: the deployment step's automation, pointed at a local webhook receiver.
        webhook = WebhookReceiver().start()
        from csa_report.tasks.automation import ensure_signoff_automation

        assert ensure_signoff_automation(webhook_url=webhook.url)["targets"] == ["webhook"]
        env = {
            **prefect_server.env,
            **csa,
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PYTHONPATH": str(REPO),
        }
        log_path = workdir / "serve.log"
        log = log_path.open("wb")
        built: Stack | None = None
        proc = start_group(
            [sys.executable, "tests/ui/serve_annual_report.py"], env=env, cwd=REPO, log_file=log, bind_to_parent=True
        )
        try:
            with prefect_server.client() as api:
                deadline = time.monotonic() + 90
                while api.get(f"/deployments/name/{DEPLOYMENT}").status_code != 200:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{DEPLOYMENT} not served: {log_path.read_text()[-3000:]}")
                    time.sleep(0.5)
            built = Stack(
                env=csa,
                proxy=proxy,
                smtp=handler,
                audit_url=audit_url,
                s3=s3,
                workdir=workdir,
                webhook=webhook,
                smtp_controller=smtp,
            )
            yield built
        finally:
            stop_group(proc)
            log.close()
            proxy.stop()
            webhook.stop()
            (built.smtp_controller if built is not None else smtp).stop()  # a test may have restarted it


@pytest.fixture(autouse=True)
def fresh_filings(stack: Stack) -> None:
    """Each test files the example's 2025 report from its own source; one filing per period (tested in
    tests/integrity and tests/flows) would otherwise stop every test after the first that submits. The module
    shares one audit DB, so each test starts with no filing recorded."""
    import sqlite3

    path = stack.audit_url.removeprefix("sqlite:///")
    if Path(path).exists():
        with sqlite3.connect(path) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'filings'").fetchone():
                conn.execute("DELETE FROM filings")


def source(stack: Stack, name: str, seed_value: int) -> str:
    url = f"sqlite:///{stack.workdir / name}"
    seed(url, Period.parse("2025"), scale=300, seed=seed_value)
    return url


def staged_sha(stack: Stack, flow_run_id: str) -> str:
    runs = [r for r in AuditLog.open(stack.audit_url).status() if r.flow_run_id == flow_run_id and r.manifest_sha256]
    assert runs, "the run recorded no staged report"
    return str(runs[0].manifest_sha256)


def review_figures(api, run_id: str) -> list[str]:
    """The key figures of the waiting request as "label: value", from its structured copy (the Review input)."""
    value = read_input(api, run_id, "suspended-signoff-1-review")
    review = json.loads(value) if isinstance(value, str) else value
    return [f"{label}: {figure}" for label, figure in review["key_figures"]]


def check_form_in_both_uis(views: dict[str, FormView], figures: list[str], labels: list[str]) -> None:
    """At 1280 px, V2 and V1 show every key figure within the dialog (no box scrolling sideways), only the fields
    the installation uses, none pre-filled, and the button docs/operators.md §6 names."""
    assert sorted(views) == ["v1", "v2"]
    for ui, view in views.items():
        assert figures_overflow(view) == [], (ui, view.shot)
        assert [item for item, _right in view.figures["items"]] == figures, ui
        assert view.labels == labels, ui
        assert set(view.filled) == {""}, (ui, view.filled)
        assert "0" * 64 not in view.text and "from the signing key" not in view.text, ui
        assert view.shot.stat().st_size > 10_000, view.shot
    assert "Resume" in views["v2"].buttons and "Submit" not in views["v2"].buttons, views["v2"].buttons
    assert "Submit" in views["v1"].buttons and "Resume" not in views["v1"].buttons, views["v1"].buttons
    doc = (REPO / "docs" / "operators.md").read_text(encoding="utf-8")
    assert "Click **Resume** (in the V1 dialog the same button reads **Submit**)." in doc


def approve_in_ui(
    server: PrefectServer,
    flow_run_id: str,
    chromium: str,
    reviewer: str,
    sha: str,
    shot: Path,
    run_page_shot: Path | None = None,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            open_ui(page, server.url, server.auth, f"/runs/flow-run/{flow_run_id}")
            if run_page_shot is not None:
                page.get_by_text(RUN_NAME).first.wait_for()
                page.screenshot(path=str(run_page_shot), full_page=True)
            page.get_by_role("button", name="Open menu").click()
            page.get_by_role("menuitem", name="Resume").click()
            dialog = page.get_by_role("dialog")
            select = dialog.get_by_role("button", name="Select")
            select.wait_for()
            dialog.get_by_text(sha).first.wait_for()  # the description shows the hash to confirm
            text = dialog.inner_text()
            assert "Reports sent, known CSAM (all regions)" in text and "Example Communications Ireland Ltd" in text
            assert "links valid until" in text  # the expiry is printed beside the review links
            assert "upper or lower case" in text  # the form says what it accepts
            select.click()
            page.get_by_role("option", name="approve").click()
            boxes = dialog.locator("textarea")  # reviewer, manifest_sha256, comment
            boxes.nth(0).fill(reviewer)
            boxes.nth(1).fill(sha)
            boxes.nth(2).fill("figures checked against the source; approved in the UI")
            page.screenshot(path=str(shot), full_page=True)
            submit_resume_dialog(dialog)
        finally:
            browser.close()


def artifacts_of(api, run_id: str) -> list[dict]:
    r = api.post("/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}})
    r.raise_for_status()
    return list(r.json())


def logs_of(api, run_id: str) -> list[str]:
    """Every log line of the flow run, oldest first (the API pages at 200)."""
    out: list[str] = []
    while True:
        r = api.post(
            "/logs/filter",
            json={
                "logs": {"flow_run_id": {"any_": [run_id]}},
                "sort": "TIMESTAMP_ASC",
                "limit": 200,
                "offset": len(out),
            },
        )
        r.raise_for_status()
        page = [entry["message"] for entry in r.json()]
        out += page
        if len(page) < 200:
            return out


def logs_with(api, run_id: str, prefix: str, timeout: float = 30.0) -> list[str]:
    """The run's log lines once one starting with ``prefix`` has arrived: the run's process ships its logs in
    batches, so the last ones can reach the server after the run's final state. Gives up at the deadline and
    returns what there is (the caller's assertion then names what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        logs = logs_of(api, run_id)
        if any(m.startswith(prefix) for m in logs) or time.monotonic() > deadline:
            return logs
        time.sleep(0.5)


def screenshot_artifacts(server: PrefectServer, run_id: str, chromium: str, shot: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            open_ui(page, server.url, server.auth, f"/runs/flow-run/{run_id}")
            page.get_by_text(RUN_NAME).first.wait_for()
            page.get_by_role("tab", name="Artifacts").click()
            page.get_by_text(f"{KEY}-signoff").first.wait_for()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()


def test_ui_signoff_of_the_real_flow_submits_once(prefect_server, stack, chromium_path):
    db = source(stack, "ui.db", 11)
    before = len(stack.smtp.messages)
    run = run_deployment(
        DEPLOYMENT, parameters={"period": "2025", "as_of": "2026-01-15T00:00:00Z", "source_db": db}, timeout=0
    )
    run_id = str(run.id)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with prefect_server.client() as api:
        waiting = wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended for sign-off")
        # Orientation: the run is named after its report and tagged with the period.
        assert waiting["name"] == RUN_NAME
        assert {"period:2025", "provider:example-communications-ireland-ltd"} <= set(waiting["tags"])
        # Notified: one e-mail to the approvers' address (nothing to the authorities before sign-off) …
        deadline = time.monotonic() + 30
        while len(stack.smtp.messages) == before:
            assert time.monotonic() < deadline, "no sign-off request e-mail to the approvers within 30 s"
            time.sleep(0.5)
        new = stack.smtp.messages[before:]
        assert [m.recipients for m in new] == [[APPROVER_INBOX]]
        mail = email.message_from_bytes(new[0].data, policy=email.policy.default)
        assert (
            mail["Subject"] == "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 "
            f"(report {staged_sha(stack, run_id)[:16]})"
        )
        body = mail.get_content()  # type: ignore[attr-defined]
        assert f"{prefect_server.url}/v2/runs/flow-run/{run_id}" in body and "Deadline: " in body
        # … and the chat automation called the webhook with the report id, the manifest's hash and the deadline.
        sha = staged_sha(stack, run_id)
        call = json.dumps(stack.webhook.wait_for(f"manifest.json SHA-256: {sha}"))
        assert f"Report {sha[:16]} of Example Communications Ireland Ltd" in call and "Deadline: " in call
        views = form_views(prefect_server, run_id, chromium_path, SHOTS, "annual-report-typed-form")
        check_form_in_both_uis(
            views, review_figures(api, run_id), ["Decision", "Reviewer", "Manifest SHA-256", "Comment (Optional)"]
        )
        # Forgiving validation: the hash in upper case (Windows tools), the name in another case with spaces.
        approve_in_ui(
            prefect_server,
            run_id,
            chromium_path,
            "  dara KELLY ",
            sha.upper(),
            SHOTS / "annual-report-signoff-form.png",
            run_page_shot=SHOTS / "annual-report-run-page.png",
        )
        done = wait_run(api, run_id, final, timeout=180, what="final")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        history = state_names(api, run_id)
        tasks = task_states(api, run_id)
        artifacts = artifacts_of(api, run_id)
        logs = logs_with(api, run_id, "resuming after the answer")
        screenshot_artifacts(prefect_server, run_id, chromium_path, SHOTS / "annual-report-artifacts.png")
    assert history.count("Suspended") == 1 and "Resuming" in history, history
    # After the resume the flow ran again from the top: everything before sign-off came from its persisted result.
    for name in ("extract", "check", "context", "render", "stage"):
        assert tasks[name] == ["Completed", "Cached"], (name, tasks)
    assert tasks["submit"] == ["Completed"], tasks
    assert tasks["notify-approvers"] == ["Completed"], tasks  # not again after the resume
    # One artifact per key, though the flow body ran twice; the sign-off artifact says who, when and why.
    unkeyed = [(a["type"], str(a["data"])[:80]) for a in artifacts if not a["key"]]
    print("artifacts without a key (Prefect's own):", unkeyed)
    assert not [u for u in unkeyed if u[0] in ("markdown", "table")], unkeyed
    keys = sorted(a["key"] for a in artifacts if a["key"])
    # No publication bucket is set for this stack: no publication artifact (publishing is only where configured).
    assert keys == sorted(
        f"{KEY}-{n}" for n in ("findings", "key-figures", "staged-report", "signoff", "delivery-receipts")
    ), keys
    signoff = next(a for a in artifacts if a["key"] == f"{KEY}-signoff")
    assert "| Reviewer | Dara Kelly |" in signoff["data"] and "approved in the UI" in signoff["data"]
    figures = next(a for a in artifacts if a["key"] == f"{KEY}-key-figures")
    assert figures["type"] == "markdown" and "No previous submitted report was found" in figures["data"]
    # Logs: the resumed execution says where it resumes, and the request is not logged again.
    resumed_at = next(i for i, m in enumerate(logs) if m.startswith("resuming after the answer"))
    assert "signoff-1" in logs[resumed_at]
    starts = [i for i, m in enumerate(logs) if m.startswith("annual report of")]
    assert len(starts) == 2 and starts[0] < resumed_at < starts[1], logs
    assert not any(m.startswith(("annual report", "sign-off", "report ")) for m in logs[resumed_at - 1 : resumed_at])
    assert sum(m.startswith("sign-off requested") for m in logs) == 1, logs
    assert not any("Suspending flow run" in m for m in logs[resumed_at:]), logs
    # Exactly one e-mail per addressee, with the PDF and JSON; no second notification.
    new = stack.smtp.messages[before:]
    assert sorted(r for m in new for r in m.recipients) == sorted([APPROVER_INBOX, AUTHORITY, COMMISSION])
    audit = AuditLog.open(stack.audit_url)
    report_id = sha[:16]
    assert sorted((d.recipient, d.status, d.attempts) for d in audit.deliveries(report_id)) == sorted(
        [(AUTHORITY, "sent", 1), (COMMISSION, "sent", 1)]
    )
    signoffs = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    # Recorded canonically: the name as provider.md spells it, the hash in lower case.
    assert [(s.decision, s.reviewer, s.manifest_sha256, s.automatic) for s in signoffs] == [
        ("approve", "Dara Kelly", sha, False)
    ]
    from csa_report.filing.notify import notifications

    assert notifications(audit, run_id) == [("signoff-1", APPROVER_INBOX, "sent")]
    # Archived in SeaweedFS under COMPLIANCE lock: the six artefacts, one version each.
    archived = audit.stored_objects(report_id, "archive")
    assert sorted(o.name for o in archived) == [
        "manifest.json",
        "report.csv",
        "report.html",
        "report.json",
        "report.md",
        "report.pdf",
    ]
    client = stack.s3.client()
    for o in archived:
        head = client.head_object(Bucket=o.bucket, Key=o.key, VersionId=o.version_id)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        versions = client.list_object_versions(Bucket=o.bucket, Prefix=o.key).get("Versions", [])
        assert len(versions) == 1
    manifest = json.loads(
        client.get_object(Bucket=archived[0].bucket, Key=next(o for o in archived if o.name == "manifest.json").key)[
            "Body"
        ].read()
    )
    # The example approvers have no SSH keys, so the typed form was used and the manifest says so.
    assert manifest["inputs"]["signoff"].startswith(
        "unsigned sign-off (the approvers have no keys in provider.md): human: "
    )


def test_rejected_run_ends_in_a_state_distinct_from_completed(prefect_server, stack, chromium_path):
    db = source(stack, "reject.db", 15)
    run = run_deployment(
        DEPLOYMENT, parameters={"period": "2025", "as_of": "2026-01-15T00:00:00Z", "source_db": db}, timeout=0
    )
    run_id = str(run.id)
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended for sign-off")
        sha = staged_sha(stack, run_id)
        resume_flow_run(
            run_id,
            run_input={
                "decision": "reject",
                "reviewer": "Dara Kelly",
                "manifest_sha256": sha,
                "comment": "figures to be re-checked",
            },
        )
        done = wait_run(api, run_id, final, timeout=180, what="final")
        artifacts = artifacts_of(api, run_id)
    # Not the green Completed: a Cancelled-type state named Rejected, with who rejected it.
    assert (done["state"]["type"], done["state"]["name"]) == ("CANCELLED", "Rejected"), done["state"]
    assert done["state"]["message"] == "rejected by Dara Kelly"
    signoff = next(a for a in artifacts if a["key"] == f"{KEY}-signoff")
    assert "| Decision | reject |" in signoff["data"] and "figures to be re-checked" in signoff["data"]
    assert not any(a["key"] == f"{KEY}-delivery-receipts" for a in artifacts)
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_ui(page, prefect_server.url, prefect_server.auth, f"/runs/flow-run/{run_id}")
            page.get_by_text("Rejected").first.wait_for()
            page.screenshot(path=str(SHOTS / "annual-report-rejected.png"), full_page=True)
        finally:
            browser.close()


def test_failed_submission_names_the_smtp_settings(prefect_server, stack):
    """SMTP is down when the approved report is submitted: the run's message names the step and the CSA_*
    settings; once SMTP is back, a retry completes it."""
    db = source(stack, "smtp-down.db", 16)
    port = stack.smtp_controller.port
    stack.smtp_controller.stop()
    try:
        run = run_deployment(
            DEPLOYMENT,
            parameters={"period": "2025", "as_of": "2026-01-15T00:00:00Z", "source_db": db, "approve_as": "Dara Kelly"},
            timeout=0,
        )
        run_id = str(run.id)
        with prefect_server.client() as api:
            failed = wait_run(api, run_id, final, timeout=240, what="failed at submit")
    finally:  # SMTP back on the same port, as an operator would fix it
        stack.smtp_controller = start_smtp(stack.smtp, port=port)
    message = failed["state"]["message"]
    assert failed["state"]["type"] == "FAILED", failed["state"]
    assert "step submit failed" in message and "CSA_SMTP_HOST" in message and "CSA_SMTP_PORT" in message, message
    assert "smtp_host" not in message
    with prefect_server.client() as api:
        api.post(
            f"/flow_runs/{run_id}/set_state",
            json={
                "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"},
                "force": True,
            },
        ).raise_for_status()
        done = wait_run(api, run_id, lambda r: final(r) and r["run_count"] > 1, timeout=240, what="retried")
        logs = logs_of(api, run_id)
    assert done["state"]["type"] == "COMPLETED", done["state"]
    retry_line = next(m for m in logs if m.startswith("retrying this run"))
    assert "at step submit" in retry_line, retry_line


def test_failed_staging_retried_like_the_ui_reruns_staging_only(prefect_server, stack):
    db = source(stack, "retry.db", 12)
    # Every write to the staging bucket fails (503) until the fault is cleared.
    stack.proxy.arm(Rule(action="503", count=10_000, method="PUT", path=r"^/csa-staging/"))
    run = run_deployment(
        DEPLOYMENT, parameters={"period": "2025", "as_of": "2026-01-15T00:00:00Z", "source_db": db}, timeout=0
    )
    run_id = str(run.id)
    with prefect_server.client() as api:
        failed = wait_run(api, run_id, final, timeout=180, what="failed at staging")
        assert failed["state"]["type"] == "FAILED", failed["state"]
        first = task_states(api, run_id)
        assert first["stage"][-1] == "Failed" and "submit" not in first, first
        stack.proxy.disarm()
        # What the UI's Retry does: the same flow run, rescheduled.
        r = api.post(
            f"/flow_runs/{run_id}/set_state",
            json={
                "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"},
                "force": True,
            },
        )
        r.raise_for_status()
        wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended after the retry")
        sha = staged_sha(stack, run_id)
        resume_flow_run(
            run_id,
            run_input={
                "decision": "approve",
                "reviewer": "Dara Kelly",
                "manifest_sha256": sha,
                "comment": "approved after the staging retry",
            },
        )
        done = wait_run(api, run_id, final, timeout=180, what="final")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        tasks = task_states(api, run_id)
    # Before staging: computed once, reused on the retry (and again after the resume).
    for name in ("extract", "check", "context", "render"):
        assert tasks[name][0] == "Completed" and set(tasks[name][1:]) == {"Cached"}, (name, tasks)
    # Staging: failed on the first attempt, ran again on the retry, then reused after the resume.
    assert tasks["stage"][0] == "Failed" and tasks["stage"][1] == "Completed", tasks
    assert tasks["submit"] == ["Completed"], tasks


def test_scheduled_style_run_without_as_of_resumes_and_retries_without_duplicates(prefect_server, stack):
    """A run given no as-of (as the yearly schedule runs) reads the instant once: the resumed run renders the
    same report, accepts the same answer, and a UI retry of the completed run records and sends nothing again."""
    url = f"sqlite:///{stack.workdir / 'recent.db'}"
    seed(url, Period.parse("2026-10-01/2026-11-20"), scale=200, seed=13)
    before = len(stack.smtp.messages)
    run = run_deployment(DEPLOYMENT, parameters={"period": "2026-10-01/2026-11-20", "source_db": url}, timeout=0)
    run_id = str(run.id)
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended for sign-off")
        sha = staged_sha(stack, run_id)
        resume_flow_run(
            run_id,
            run_input={"decision": "approve", "reviewer": "Dara Kelly", "manifest_sha256": sha, "comment": "approved"},
        )
        done = wait_run(api, run_id, final, timeout=180, what="final")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        # The UI's Retry on the completed run: everything replays from persisted results.
        r = api.post(
            f"/flow_runs/{run_id}/set_state",
            json={
                "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"},
                "force": True,
            },
        )
        r.raise_for_status()
        deadline = time.monotonic() + 180
        while True:
            history = state_names(api, run_id)
            if "AwaitingRetry" in history and history[-1] in ("Completed", "Failed", "Crashed"):
                break
            assert time.monotonic() < deadline, f"the retry did not finish: {history}"
            time.sleep(1)
        assert history[-1] == "Completed", history
        assert history.count("Suspended") == 1  # the stored answer was reused, not asked again
    audit = AuditLog.open(stack.audit_url)
    report_id = sha[:16]
    signoffs = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    assert [(s.decision, s.reviewer, s.refused_reason) for s in signoffs] == [("approve", "Dara Kelly", None)]
    assert sorted((d.recipient, d.attempts) for d in audit.deliveries(report_id)) == [(COMMISSION, 1), (AUTHORITY, 1)]
    # The two report e-mails and the one sign-off request to the approvers; none again on the retry.
    sent = [r for m in stack.smtp.messages[before:] for r in m.recipients]
    assert (sent.count(AUTHORITY), sent.count(COMMISSION)) == (1, 1), sent


def test_status_records_a_suspension_the_server_expired(prefect_server, stack, monkeypatch):
    """Nobody answered: the server fails the suspended run (its pause_expirations service), and no process of
    ours is left to notice. `csa-report status` asks Prefect and records the time-out in the audit trail."""
    from csa_report.commands.runs import reconcile_expired_signoffs

    db = source(stack, "expired.db", 14)
    run = run_deployment(
        DEPLOYMENT, parameters={"period": "2025", "as_of": "2026-01-15T00:00:00Z", "source_db": db}, timeout=0
    )
    run_id = str(run.id)
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended for sign-off")
        # What the server's pause_expirations service does when the time-out passes.
        api.post(
            f"/flow_runs/{run_id}/set_state",
            json={
                "state": {"type": "FAILED", "name": "Failed", "message": "The flow was suspended and never resumed."},
                "force": True,
            },
        ).raise_for_status()
    audit = AuditLog.open(stack.audit_url)
    assert [r.status for r in audit.status() if r.flow_run_id == run_id] == ["staged"]
    monkeypatch.setenv("PREFECT_API_URL", prefect_server.api_url)
    reconcile_expired_signoffs(audit)
    assert [r.status for r in audit.status() if r.flow_run_id == run_id] == ["signoff-timeout"]


def paste_signature_in_ui(
    server: PrefectServer, flow_run_id: str, chromium: str, signature: str, comment: str, shot: Path
) -> str:
    """Open the run's Resume form as a reviewer would, choose approve and paste the armoured signature from the
    clipboard into the SSH signature field (Ctrl+V, as from a terminal), then Resume. Returns the dialog's text."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
            page = context.new_page()
            open_ui(page, server.url, server.auth, f"/runs/flow-run/{flow_run_id}")
            page.get_by_role("button", name="Open menu").click()
            page.get_by_role("menuitem", name="Resume").click()
            dialog = page.get_by_role("dialog")
            select = dialog.get_by_role("button", name="Select")
            select.wait_for()
            dialog.get_by_text("SSH signature").first.wait_for()
            text = dialog.inner_text()
            select.click()
            page.get_by_role("option", name="approve").click()
            page.evaluate("text => navigator.clipboard.writeText(text)", signature)
            field = signature_field(dialog)
            field.click()
            page.keyboard.press("Control+V")
            pasted = field.input_value()
            assert pasted.split() == signature.split(), f"the paste did not land in the field: {pasted[:200]!r}"
            comment_field(dialog).fill(comment)
            page.screenshot(path=str(shot), full_page=True)
            submit_resume_dialog(dialog)
            return text
        finally:
            browser.close()


def signature_field(dialog):  # type: ignore[no-untyped-def]
    """The form's SSH signature box (the last field of SignedSignOff's schema)."""
    return dialog.locator("textarea").last


def comment_field(dialog):  # type: ignore[no-untyped-def]
    """The comment box: the signed form asks for the decision, the comment and the signature, nothing else."""
    return dialog.locator("textarea").first


def test_ui_signed_signoff_pastes_a_real_ssh_signature(prefect_server, stack, chromium_path, tmp_path):
    """The approvers have OpenSSH keys (a policy copy with ``signing_keys``): the form asks for a signature.
    A signature by an approver's key over other bytes, pasted in the UI, is refused and asked again; the
    approver's signature over the exact staged manifest.json, made with ssh-keygen and pasted in the UI, is
    accepted under the key owner's canonical name, and `ssh-keygen -Y verify` accepts what the audit DB kept."""
    import hashlib
    import subprocess

    from tests.integrity.keys import keyed_policies, make_key, ssh_keygen_verify

    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    keys = {"Dara Kelly": make_key(keys_dir, "dara"), "Aoife Byrne": make_key(keys_dir, "preparer")}
    policies = keyed_policies(tmp_path, keys)
    out_dir = tmp_path / "out"
    db = source(stack, "signed.db", 17)
    before = len(stack.smtp.messages)
    run = run_deployment(
        DEPLOYMENT,
        parameters={
            "period": "2025",
            "as_of": "2026-01-15T00:00:00Z",
            "source_db": db,
            "policies": str(policies),
            "out_dir": str(out_dir),
        },
        timeout=0,
    )
    run_id = str(run.id)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with prefect_server.client() as api:
        wait_run(api, run_id, waiting_for("signoff-1"), timeout=180, what="suspended for sign-off")
        # The signed form asks for no name and no hash: neither field is shown, nor pre-filled, in either UI.
        views = form_views(prefect_server, run_id, chromium_path, SHOTS, "annual-report-signed-form")
        check_form_in_both_uis(views, review_figures(api, run_id), ["Decision", "Comment (Optional)", "SSH signature"])
        sha = staged_sha(stack, run_id)
        manifest_path = next(out_dir.rglob("manifest.json"))
        manifest = manifest_path.read_bytes()
        assert hashlib.sha256(manifest).hexdigest() == sha  # the exact bytes the flow staged
        # 1. Dara's real key, but over other bytes (a manifest of another version): refused, asked again.
        other = tmp_path / "other-manifest.json"
        other.write_bytes(manifest.replace(b"{", b"{ ", 1))
        subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", "csa-report", "-f", str(keys["Dara Kelly"].private), str(other)],
            check=True,
            capture_output=True,
        )
        wrong = (tmp_path / "other-manifest.json.sig").read_text()
        form = paste_signature_in_ui(
            prefect_server,
            run_id,
            chromium_path,
            wrong,
            "signed the wrong file",
            SHOTS / "annual-report-signed-form.png",
        )
        assert "SSH signature" in form and "csa-report sign" in form
        wait_run(api, run_id, waiting_for("signoff-2"), timeout=180, what="asked again (signoff-2)")
        description = read_input(api, run_id, "suspended-signoff-2-description")
        assert "Previous answers were refused" in description and "does not verify" in description
        # 2. The signature over the exact staged bytes, as the reviewer makes it: `csa-report sign`.
        made = subprocess.run(
            [
                str(Path(sys.executable).with_name("csa-report")),
                "sign",
                "--manifest",
                str(manifest_path),
                "--key",
                str(keys["Dara Kelly"].private),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        good = made.stdout
        assert good.startswith("-----BEGIN SSH SIGNATURE-----")
        paste_signature_in_ui(
            prefect_server, run_id, chromium_path, good, "signed in the UI", SHOTS / "annual-report-signed-form-2.png"
        )
        done = wait_run(api, run_id, final, timeout=180, what="final")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        artifacts = artifacts_of(api, run_id)
    report_id = sha[:16]
    audit = AuditLog.open(stack.audit_url)
    signoffs = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    refused = [s for s in signoffs if s.refused_reason]
    assert [s.comment for s in refused] == ["signed the wrong file"]
    assert "does not verify over this manifest.json" in (refused[0].refused_reason or "")
    assert refused[0].signature == wrong
    [accepted] = [s for s in signoffs if not s.refused_reason]
    # The approver recorded is the owner of the key that verified, spelled as provider.md lists it.
    assert (accepted.decision, accepted.reviewer, accepted.manifest_sha256, accepted.key_fingerprint) == (
        "approve",
        "Dara Kelly",
        sha,
        keys["Dara Kelly"].fingerprint,
    )
    assert accepted.signature is not None and accepted.signature.split() == good.split()
    # Anyone can re-check it with OpenSSH alone (an allowed_signers file with Dara's public key).
    check = tmp_path / "verify"
    check.mkdir()
    assert (
        ssh_keygen_verify(check, manifest, accepted.signature, "dara.kelly@example.ie", keys["Dara Kelly"].public) == 0
    )
    assert (
        ssh_keygen_verify(check, manifest, accepted.signature, "dara.kelly@example.ie", keys["Aoife Byrne"].public) != 0
    )  # and only with Dara's key
    signoff = next(a for a in artifacts if a["key"] == f"{KEY}-signoff")
    assert "| Reviewer | Dara Kelly |" in signoff["data"] and "BEGIN SSH SIGNATURE" in signoff["data"]
    assert not json.loads(manifest)["inputs"]["signoff"].startswith("unsigned")
    assert sorted((d.recipient, d.status) for d in audit.deliveries(report_id)) == sorted(
        [(AUTHORITY, "sent"), (COMMISSION, "sent")]
    )
    sent = [r for m in stack.smtp.messages[before:] for r in m.recipients]
    assert (sent.count(AUTHORITY), sent.count(COMMISSION)) == (1, 1), sent
