"""The sign-off e-mails of a real flow run (Prefect server, SeaweedFS, aiosmtpd), parsed with Python's email
package: the request carries the report's summary with its figures, how long the links work (capped at the
sign-off time-out) and, in a typed sign-off, the hash to confirm; a refused answer sends one notice naming who
tried, not a second identical request; the form's description quotes the same summary."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

from prefect.input.actions import read_flow_run_input

from csa_report.audit import AuditLog
from csa_report.extract import extract_indicators
from csa_report.filing.notify import notifications
from csa_report.indicators import ALL
from csa_report.period import Period
from tests.flows.flow_helpers import seeded_annual_report

APPROVERS = "approvers@example-communications.ie"


def _mail(data: bytes) -> tuple[str, str]:
    msg = email.message_from_bytes(data, policy=policy.default)
    return str(msg["Subject"]), msg.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_request_then_refusal_notice_then_approval(prefect_server, env, smtp, tmp_path, monkeypatch):
    from prefect.flow_runs import resume_flow_run

    from csa_report.flows.annual_report import AnnualReportResult

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    monkeypatch.setenv("CSA_SIGNOFF_NOTIFY", f'["{APPROVERS}"]')
    monkeypatch.setenv("CSA_SIGNOFF_TIMEOUT_S", str(2 * 86400))  # the links (7 days by default) live 2 days
    before = len(smtp.messages)
    url, flow = seeded_annual_report(tmp_path, 6)
    run_id, key = flow.wait_paused()
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    [staged] = [r for r in audit.status() if r.status == "staged"]
    sha = staged.manifest_sha256
    assert sha is not None
    # Counted apart from the report: the indicators of the seeded source, as the summary prints them.
    ind = extract_indicators(url, Period.parse("2025"), datetime(2026, 1, 15))
    known = ind.get("reports", service=ALL, category="known_csam", region="eu").value_text()
    suspended = ind.get("accounts_suspended", service=ALL, category="known_csam", region="eu").value_text()
    assert (known, suspended) == ("90", "37")  # seed 6, scale 200
    figures = (
        "  Key figures (all services):\n"
        f"  - Reports sent concerning EU users — known CSAM: {known} [section 4]\n"
        "  - Reports sent concerning EU users — possible new CSAM: 16 [section 4]\n"
    )
    summary_head = (
        "What the authority will read first (the report's summary):\n"
        "  Example Communications Ireland Ltd: transparency report under Regulation (EU) 2021/1232, as amended by "
        "Regulation (EU) 2024/1307\n\n"
        "  Example Communications Ireland Ltd, established in Ireland (IE), provides the services below; its "
        "competent supervisory authority is Data Protection Commission (Ireland).\n"
        "  The report covers 2 services: Example Chat and Example Mail; figures are given per service and in total.\n"
        "  The reporting period is 2025-01-01 to 2025-12-31; the figures are counted from the data as of "
        "2026-01-15T00:00:00Z.\n"
    )

    [request] = smtp.messages[before:]
    assert request.recipients == [APPROVERS]
    subject, body = _mail(request.data)
    assert subject == f"Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report {sha[:16]})"
    assert summary_head in body and figures in body
    assert f"  - EU user accounts suspended — known CSAM: {suspended} [section 5]\n" in body
    assert "  - Error rate — solicitation of children (EU user accounts): 25.00 % [section 6]\n" in body
    assert "\nReview the staged files. The links work for 2 days, until " in body
    assert body.count("X-Amz-Expires=172800&") == 6  # the six staged files, each link 2 days
    assert f"Confirm the SHA-256 of manifest.json in the form; it must be:\n  {sha}\n" in body
    assert body.endswith("Approvers: Dara Kelly, demo-reviewer. Request: signoff-1.\n")
    # The form's description in the Prefect UI quotes the same summary.
    description = read_flow_run_input(key.replace("-response", "-description"), flow_run_id=run_id)
    assert "**What the authority will read first (the report's summary):**" in description
    assert f"> - Reports sent concerning EU users — known CSAM: {known} \\[section 4\\]\n" in description
    assert (
        "> The report covers 2 services: Example Chat and Example Mail; figures are given per service and in total.\n"
        in description
    )

    # The preparer's answer is refused: one notice says who tried, and the form is shown again.
    resume_flow_run(
        run_id, run_input={"decision": "approve", "reviewer": "Aoife Byrne", "manifest_sha256": sha, "comment": "mine"}
    )
    _, key2 = flow.wait_paused(not_key=key)
    assert key2 != key
    [notice] = smtp.messages[before + 1 :]
    subject, body = _mail(notice.data)
    assert subject == (
        "Sign-off still needed, an answer was refused: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 "
        f"(report {sha[:16]})"
    )
    assert body.startswith(
        "Aoife Byrne, the preparer, tried to approve: refused (four eyes).\n"
        "The report still waits for the sign-off of an approver.\n\n"
        f"The report of Example Communications Ireland Ltd for 2025-01-01/2025-12-31 (report {sha[:16]}) waits for "
        "your sign-off.\n\n" + summary_head
    )
    assert figures in body and body.endswith("Approvers: Dara Kelly, demo-reviewer. Request: signoff-2.\n")

    resume_flow_run(
        run_id,
        run_input={"decision": "approve", "reviewer": "Dara Kelly", "manifest_sha256": sha, "comment": "checked"},
    )
    assert isinstance(flow.result(), AnnualReportResult)
    # No other sign-off e-mail: the request, then the notice of the refused answer, each once.
    assert [m.recipients for m in smtp.messages[before:] if m.recipients == [APPROVERS]] == [[APPROVERS]] * 2
    assert notifications(audit, str(run_id)) == [
        ("signoff-1", APPROVERS, "sent"),
        ("signoff-1-refused", APPROVERS, "sent"),
    ]
