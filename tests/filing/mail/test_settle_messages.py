"""The stop messages name the settling commands of every recipient (issue 24, operator messages; found by the
round-3 replay): with two deliveries of unknown outcome, or two refused, the message named the commands for the
first recipient only. Real components: the scripted SMTP server, the session's SeaweedFS, the audit DB."""

from __future__ import annotations

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import DeliveryUnknown, RefusedError
from csa_report.settings import Settings
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, stage_report, submit


def test_every_unknown_delivery_gets_its_own_commands(settings: Settings, report: FakeReport, audit: AuditLog) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("reset-before-reply") as (port, _script), pytest.raises(DeliveryUnknown) as info:
        submit(settings.model_copy(update={"smtp_port": port}), report, audit, run_id)
    message = str(info.value)
    for recipient in (AUTHORITY, COMMISSION):
        assert (
            f"for {recipient}: `csa-report delivery confirm {run_id} {recipient} --evidence TEXT` if it arrived, "
            f"or `csa-report delivery resend {run_id} {recipient}` to send it again with the same Message-ID"
        ) in message


def test_every_refused_delivery_gets_its_resend_command(
    settings: Settings, report: FakeReport, audit: AuditLog
) -> None:
    run_id, _ = stage_report(settings, report, audit, approved_by="Ann Approver")
    with scripted_smtp("rcpt550") as (port, _script), pytest.raises(RefusedError) as info:
        submit(settings.model_copy(update={"smtp_port": port}), report, audit, run_id)
    message = str(info.value)
    assert "2 of 2 deliveries refused for good" in message
    assert message.endswith(
        f"Fix what it names, then `csa-report delivery resend {run_id} {COMMISSION}`, "
        f"`csa-report delivery resend {run_id} {AUTHORITY}`"
    ) or message.endswith(
        f"Fix what it names, then `csa-report delivery resend {run_id} {AUTHORITY}`, "
        f"`csa-report delivery resend {run_id} {COMMISSION}`"
    )
