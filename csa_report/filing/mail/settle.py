"""The operator's two ways to settle a delivery whose outcome is unknown (audit state ``unknown``, run state
``delivery-unknown``): ``confirm`` it with evidence that it arrived (a reply from the authority), or ``resend`` it.
A resend builds the very same message (same Message-ID, Date and bytes) from the archived, verified artefacts, so
a receiver that got the first copy can de-duplicate. Both are recorded in the audit DB's delivery history."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from csa_report.artefacts import REPORT_PDF
from csa_report.audit.log import AuditLog, DeliverySummary, RunSummary
from csa_report.audit.records import DELIVERED, OUTCOME_OPEN
from csa_report.errors import DeliveryError, DeliveryUnknown, InputError, UnreachableError
from csa_report.filing.mail.transport import Attachment, Delivered, DeliveryProgress, deliver, message_id
from csa_report.filing.submit import ATTACHMENTS, claim_owner, message_text
from csa_report.period import Period, utc_now
from csa_report.settings import Settings
from csa_report.storage.objects import S3Store
from csa_report.storage.report import ReportRef, verify_staged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settled:
    run: RunSummary
    recipient: str
    status: str
    message_id: str
    all_done: bool  # every delivery of the report is now sent or confirmed


def find(audit: AuditLog, run_id: int, recipient: str) -> tuple[RunSummary, DeliverySummary]:
    run = audit.run(run_id)
    if run is None or not run.report_id:
        raise InputError(f"run {run_id} is not in the audit database (see `csa-report status`)")
    wanted = recipient.strip().lower()
    row = next((d for d in run.deliveries if d.recipient.strip().lower() == wanted), None)
    if row is None:
        known = ", ".join(d.recipient for d in run.deliveries) or "none"
        raise InputError(f"run {run_id} has no delivery to {recipient} (deliveries: {known})")
    if row.status not in OUTCOME_OPEN:
        raise InputError(
            f"run {run_id}: the delivery to {row.recipient} is {row.status}, not of unknown outcome; nothing to settle"
        )
    return run, row


def confirm(audit: AuditLog, run_id: int, recipient: str, evidence: str) -> Settled:
    if not evidence.strip():
        raise InputError("--evidence is empty: say how you know the report arrived (e.g. the authority's reply)")
    run, row = find(audit, run_id, recipient)
    assert run.report_id is not None
    if not audit.confirm_delivery(
        run.provider, run.period, run.report_id, row.recipient, evidence=" ".join(evidence.split()), at=utc_now()
    ):
        raise InputError(f"run {run_id}: the delivery to {row.recipient} changed meanwhile; see `csa-report status`")
    log.info("delivery to %s of report %s confirmed by the operator", row.recipient, run.report_id)
    return _settled(audit, run, row.recipient, "confirmed")


def resend(audit: AuditLog, settings: Settings, store: S3Store, run_id: int, recipient: str) -> Settled:
    run, row = find(audit, run_id, recipient)
    assert run.report_id is not None
    # The approval the run's message was dated with: the first valid one of exactly this report version.
    approval = audit.approval_for(run.report_id, run.manifest_sha256) if run.manifest_sha256 else None
    if approval is None or not run.manifest_sha256:
        raise InputError(f"run {run_id} has no valid approval recorded; its message cannot be rebuilt")
    archived = audit.stored_objects(run.report_id, "archive")
    contents = verify_staged(store, archived)
    missing = [name for name, _ in ATTACHMENTS if name not in contents]
    if missing:
        raise InputError(f"run {run_id}: {', '.join(missing)} not archived; the message cannot be rebuilt")
    ref = ReportRef(run.provider, Period.parse(run.period), run.report_id)
    # The same message as the run built: a correction says so, and the sealed PDF (when the run sealed one) goes
    # out under the approved file's name.
    from csa_report.filing.guard import Correction, filings
    from csa_report.filing.seal import SEALED_NAME

    period_filings = filings(audit, run.provider, run.period)
    filed = next((f for f in period_filings if f.report_id == run.report_id), None)
    if filed is not None and period_filings[-1].seq > filed.seq:
        raise InputError(
            f"run {run_id}: report {run.report_id} was superseded by report "
            f"{period_filings[-1].report_id}; sending it again would deliver the wrong version after "
            "its correction (settle it with `csa-report delivery confirm` if it arrived)"
        )
    correction = Correction(filed.supersedes, filed.reason or "") if filed is not None and filed.supersedes else None
    if SEALED_NAME in contents:
        contents = {**contents, REPORT_PDF: contents[SEALED_NAME]}
    subject, body = message_text(ref, run.manifest_sha256, correction)
    key = (run.provider, run.period, run.report_id, row.recipient)
    if not audit.begin_resend(*key, owner=claim_owner(), at=utc_now()):
        raise InputError(f"run {run_id}: the delivery to {row.recipient} changed meanwhile; see `csa-report status`")
    mid = message_id(run.report_id, row.recipient)
    progress = DeliveryProgress(
        on_accepted=lambda reply: audit.mark_accepted(*key, message_id=mid, detail=reply, at=utc_now())
    )
    try:
        done: Delivered = deliver(
            settings.smtp,
            report_id=run.report_id,
            recipient=row.recipient,
            subject=subject,
            body=body,
            attachments=[Attachment(n, t, contents[n]) for n, t in ATTACHMENTS],
            date=approval.decided_at,
            progress=progress,
        )
    except DeliveryUnknown as exc:
        audit.mark_unknown(*key, detail=str(exc), at=utc_now())
        raise
    except (DeliveryError, UnreachableError) as exc:
        audit.mark_failed(*key, detail=f"resend failed: {exc}", at=utc_now())
        raise
    audit.mark_delivered(
        *key, message_id=done.message_id, detail=f"resent: {done.detail}", at=utc_now(), channel=done.channel
    )
    return _settled(audit, run, row.recipient, "sent")


def _settled(audit: AuditLog, run: RunSummary, recipient: str, status: str) -> Settled:
    assert run.report_id is not None
    rows = audit.deliveries(run.report_id)
    return Settled(
        run, recipient, status, message_id(run.report_id, recipient), all(d.status in DELIVERED for d in rows)
    )
