"""Prefect task ``notify-approvers``: the sign-off request e-mail (csa_report/filing/notify.py), visible as a step in
the UI and retried while the SMTP server or the audit DB is unreachable."""

from __future__ import annotations

from prefect import task

from csa_report.filing.notify import SignoffRequest, notify_signoff_request
from csa_report.services import current
from csa_report.tasks.retry import retry_options


@task(name="notify-approvers", **retry_options())
def notify_approvers(request: SignoffRequest) -> dict[str, str]:
    services = current()
    return notify_signoff_request(services.settings, services.audit, request)
