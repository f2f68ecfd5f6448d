"""Prefect task ``notify-approvers``: the sign-off request e-mail (csa_report/notify.py), visible as a step in
the UI and retried while the SMTP server or the audit DB is unreachable."""

from __future__ import annotations

from prefect import task

from csa_report.audit import AuditLog
from csa_report.notify import SignoffRequest, notify_signoff_request
from csa_report.settings import load_settings
from csa_report.tasks.retry import retry_options


@task(name="notify-approvers", **retry_options((5, 30)))
def notify_approvers(request: SignoffRequest) -> dict[str, str]:
    settings = load_settings()
    return notify_signoff_request(settings, AuditLog.open(settings.audit_db), request)
