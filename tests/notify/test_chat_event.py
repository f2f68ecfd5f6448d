"""The chat automation against a real Prefect server: the flow's sign-off event fires it, and the message the
server renders into the webhook carries the report id, the manifest's SHA-256, the deadline and the run's link."""

from __future__ import annotations

import json
from datetime import datetime

from csa_report.letters.signoff import SignoffNotice, review_link_lifetime
from tests.ui.webhook import WebhookReceiver

SHA = "3f" * 32


def test_the_chat_message_names_report_hash_and_deadline(prefect_server) -> None:
    from prefect import flow
    from prefect.runtime import flow_run

    from csa_report.tasks.automation import ensure_signoff_automation
    from csa_report.tasks.notify import emit_chat_event

    webhook = WebhookReceiver().start()
    try:
        made = ensure_signoff_automation(webhook_url=webhook.url, flow_name="chat_event_probe")
        assert made["targets"] == ["webhook"]

        @flow(name="chat_event_probe")
        def probe() -> str:
            run_id = str(flow_run.get_id())
            notice = SignoffNotice(
                provider="Example Communications Ireland Ltd",
                period="2025-01-01/2025-12-31",
                report_id="r-2025-chat",
                manifest_sha256=SHA,
                run_name="annual-report-2025",
                run_url=run_id,
                request_key="signoff-1",
                approvers=("Dara Kelly",),
                signers=(),
                summary=(),
                links=(),
                links_valid_s=review_link_lifetime(7 * 86400, 14 * 86400),
                links_expire=datetime(2026, 1, 22),
                deadline=datetime(2026, 1, 29, 12, 0),
            )
            emit_chat_event(notice, run_id)
            return run_id

        run_id = probe()
        call = json.dumps(webhook.wait_for("r-2025-chat", timeout=120))
        assert "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report r-2025-chat)" in call
        assert (
            "Report r-2025-chat of Example Communications Ireland Ltd for 2025-01-01/2025-12-31 waits for sign-off. "
            f"manifest.json SHA-256: {SHA}. Deadline: 2026-01-29T12:00:00Z. Open the run, choose Resume and answer: "
            in call
        )
        assert f"/runs/flow-run/{run_id}" in call
    finally:
        webhook.stop()
        # Not left on the session's server for other tests (the UI test makes its own).
        from prefect.automations import Automation

        from csa_report.tasks.automation import AUTOMATION_NAME

        Automation.read(name=AUTOMATION_NAME).delete()  # type: ignore[union-attr]
