"""Prefect task ``notify-approvers``: a sign-off notification e-mail (csa_report/filing/notify.py), visible as a
step in the UI and retried while the SMTP server or the audit DB is unreachable; and the event the chat
automation (csa_report/tasks/automation.py) fires on, carrying the report id, the manifest's hash and the
deadline. The words are the letters' (csa_report/letters/signoff.py): the filing code is handed text."""

from __future__ import annotations

import logging
from datetime import datetime

from prefect import task

from csa_report.filing.notify import Kind, SignoffRequest, notify_signoff_request
from csa_report.letters.signoff import CHAT_EVENT, SignoffNotice, chat_payload, signoff_message
from csa_report.services import current
from csa_report.tasks.retry import retry_options

log = logging.getLogger(__name__)


@task(name="notify-approvers", **retry_options())
def notify_approvers(request: SignoffRequest) -> dict[str, str]:
    services = current()
    return notify_signoff_request(services.settings, services.audit, request)


def mail_of(notice: SignoffNotice, *, key: str, flow_run_id: str, kind: Kind, at: datetime) -> SignoffRequest:
    """The notification e-mail of ``notice`` about request ``key``, as the filing code sends it (once per
    notification and recipient)."""
    subject, body = signoff_message(notice)
    return SignoffRequest(
        report_id=notice.report_id,
        flow_run_id=flow_run_id,
        key=key,
        subject=subject,
        body=body,
        requested_at=at,
        kind=kind,
    )


def emit_chat_event(notice: SignoffNotice, flow_run_id: str) -> None:
    """Tell the chat automation: the event's resource is the flow run (its ``ui_url`` is the link); Prefect adds
    the flow and deployment as related resources from the run context. A lost event loses a chat line, never
    the sign-off: the e-mail and the UI still tell the approvers."""
    if not flow_run_id:
        return
    from prefect.events import emit_event

    try:
        emit_event(
            event=CHAT_EVENT,
            resource={"prefect.resource.id": f"prefect.flow-run.{flow_run_id}"},
            payload=chat_payload(notice),
        )
    except Exception:  # the events client is best effort by design
        log.warning("could not emit %s for flow run %s", CHAT_EVENT, flow_run_id, exc_info=True)
