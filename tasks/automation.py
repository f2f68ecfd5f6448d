"""The chat notification of a run waiting for sign-off: a Prefect automation that fires on the event the flow
emits when it asks for a sign-off (csa_report.letters.signoff.CHAT_EVENT, sent by csa_report/tasks/notify.py)
and sends through Prefect's own notification blocks (a generic webhook, Slack, Microsoft Teams). Its message
carries the report id, the manifest's SHA-256 and the deadline from the event's payload, and the run's link.
Created by the deployment step of ``infra/prefect.yaml`` (``prefect deploy``), or by hand:

    python -m csa_report.tasks.automation --webhook-url URL [--slack-url URL] [--teams-url URL]

Idempotent: deploying again updates the blocks and the automation in place (same names), it never adds a
second one. With no target configured it does nothing and says so. The e-mail to the approvers is separate
(csa_report/filing/notify.py, sent by the flow once per request). It lives among the tasks because it drives
Prefect's API; the library never imports Prefect (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, cast

from csa_report.letters.signoff import CHAT_BODY, CHAT_EVENT, CHAT_SUBJECT

log = logging.getLogger(__name__)

AUTOMATION_NAME = "csa-report: run waiting for sign-off"
BLOCK_NAMES = {"webhook": "csa-signoff-webhook", "slack": "csa-signoff-slack", "teams": "csa-signoff-teams"}
#: Jinja, rendered by the Prefect server with the event (its payload) and its flow run (ui_url gives the link).
SUBJECT = CHAT_SUBJECT
BODY = CHAT_BODY


def _given(value: str | None) -> str | None:
    """An unset ``{{ $VAR }}`` of prefect.yaml may arrive as the empty string or as the template itself."""
    if value is None:
        return None
    value = value.strip()
    return None if not value or value.startswith("{{") else value


def ensure_signoff_automation(
    webhook_url: str | None = None,
    slack_url: str | None = None,
    teams_url: str | None = None,
    flow_name: str = "annual_report",
    **_: Any,
) -> dict[str, Any]:
    """Prefect deployment step (and library function): create or update the notification blocks and the
    automation; returns ``{"automation": name or None, "targets": [...]}`` (step output)."""
    from prefect.automations import Automation
    from prefect.blocks.notifications import (
        CustomWebhookNotificationBlock,
        MicrosoftTeamsWebhook,
        SlackWebhook,
    )
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    blocks: list[tuple[str, Any]] = []
    if url := _given(webhook_url):
        blocks.append(
            (
                "webhook",
                CustomWebhookNotificationBlock(
                    name="csa-report sign-off",
                    url=url,
                    method="POST",
                    json_data={"subject": "{{subject}}", "text": "{{body}}", "title": "{{name}}"},
                ),
            )
        )
    if url := _given(slack_url):
        blocks.append(("slack", SlackWebhook(url=url)))
    if url := _given(teams_url):
        blocks.append(("teams", MicrosoftTeamsWebhook(url=url)))
    if not blocks:
        print(
            "no chat target (CSA_NOTIFY_WEBHOOK_URL, CSA_NOTIFY_SLACK_URL, CSA_NOTIFY_TEAMS_URL): no sign-off "
            "automation created"
        )
        return {"automation": None, "targets": []}
    actions = []
    for kind, block in blocks:
        block_id = block.save(BLOCK_NAMES[kind], overwrite=True)
        actions.append(SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY))
    trigger = EventTrigger(
        expect={CHAT_EVENT},
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "flow", "prefect.resource.name": flow_name},
        posture=Posture.Reactive,
        threshold=1,
    )
    description = (
        f"Tells the chat targets ({', '.join(k for k, _ in blocks)}) when a {flow_name} run waits for "
        "the human sign-off. Managed by csa-report (infra/prefect.yaml); changes here are overwritten."
    )
    try:
        # sync call (async_dispatch runs it synchronously outside an event loop)
        existing: Automation | None = cast(Automation, Automation.read(name=AUTOMATION_NAME))
    except ValueError:  # Prefect raises ValueError when no automation has that name
        existing = None
    if existing is not None:
        existing.trigger = trigger
        existing.actions = actions  # type: ignore[assignment]
        existing.description = description
        existing.enabled = True
        existing.update()
    else:
        Automation(
            name=AUTOMATION_NAME, description=description, enabled=True, trigger=trigger, actions=actions
        ).create()
    targets = [k for k, _ in blocks]
    print(f"automation {AUTOMATION_NAME!r}: {flow_name} runs waiting for sign-off notify {', '.join(targets)}")
    return {"automation": AUTOMATION_NAME, "targets": targets}


def main(argv: list[str] | None = None) -> int:
    """The script's entry point: the chat targets default to the settings ``notify_*`` (``CSA_NOTIFY_*``)."""
    from csa_report.errors import ConfigError
    from csa_report.settings import load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    def secret(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    parser = argparse.ArgumentParser(prog="python -m csa_report.tasks.automation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhook-url", default=secret(settings.notify_webhook_url))
    parser.add_argument("--slack-url", default=secret(settings.notify_slack_url))
    parser.add_argument("--teams-url", default=secret(settings.notify_teams_url))
    parser.add_argument("--flow-name", default="annual_report")
    args = parser.parse_args(argv)
    try:
        ensure_signoff_automation(args.webhook_url, args.slack_url, args.teams_url, args.flow_name)
    except Exception as exc:  # one line for the operator, not a traceback
        print(f"error: could not create the sign-off automation: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3 if "connect" in str(exc).lower() else 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
