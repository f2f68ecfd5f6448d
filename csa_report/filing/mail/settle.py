"""The operator's two ways to settle a delivery whose outcome is unknown (audit state ``unknown``, run state
``delivery-unknown``): ``confirm`` it with evidence that it arrived (a reply from the authority), or ``resend`` it.
A resend builds the very same message (same Message-ID, Date and bytes) from the archived, verified artefacts, so
a receiver that got the first copy can de-duplicate. Both are recorded in the audit DB's delivery history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from csa_report.artefacts import REPORT_PDF
from csa_report.audit.log import AuditLog, DeliverySummary, RunSummary
from csa_report.audit.records import DELIVERED, OUTCOME_OPEN, REFUSED
from csa_report.errors import InputError
from csa_report.filing.guard import Correction
from csa_report.filing.mail.ledgers import ReportLedger
from csa_report.filing.mail.machine import claim_owner, owner_alive, send_claimed
from csa_report.filing.mail.message import Composer, message_id
from csa_report.filing.mail.report import ATTACHMENTS, plain_message
from csa_report.filing.mail.transport import Outgoing, Transport, transport_for
from csa_report.period import Period, utc_now
from csa_report.settings import Settings
from csa_report.storage.objects import S3Store
from csa_report.storage.report import ReportRef, verify_staged

log = logging.getLogger(__name__)


class LetterFor(Protocol):
    """Builds the formal letter of an archived report (csa_report.letters.resend): what the flow sent."""

    def __call__(
        self,
        *,
        period: str,
        report_id: str,
        correction: tuple[str, str] | None,
        reviewer: str,
        signature: str | None,
        sealed: bool,
    ) -> Composer: ...


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
    if row.status not in OUTCOME_OPEN and not refused(row):
        raise InputError(
            f"run {run_id}: the delivery to {row.recipient} is {row.status}, not of unknown outcome; nothing to settle"
        )
    if row.status == "pending":
        assert run.report_id is not None
        owner = audit.claim_owner_of(run.provider, run.period, run.report_id, row.recipient)
        if owner_alive(owner):
            holders = [r.run_id for r in audit.status() if r.report_id == run.report_id and r.status == "archived"]
            held_by = f"run {', '.join(map(str, holders))}" if holders else "a run"
            raise InputError(
                f"run {run_id}: the delivery to {row.recipient} is being sent right now by {held_by} (process "
                f"{owner}, still alive); nothing done. Wait for it to end, then see `csa-report status`"
            )
    return run, row


def refused(row: DeliverySummary) -> bool:
    """The server refused this delivery for good: only an operator's resend sends it again."""
    return row.status == "failed" and (row.detail or "").startswith(REFUSED)


def confirm(audit: AuditLog, run_id: int, recipient: str, evidence: str) -> Settled:
    if not evidence.strip():
        raise InputError("--evidence is empty: say how you know the report arrived (e.g. the authority's reply)")
    run, row = find(audit, run_id, recipient)
    assert run.report_id is not None
    if refused(row):
        raise InputError(
            f"run {run_id}: the mail server refused the delivery to {row.recipient} for good ({row.detail}); it did "
            f"not arrive. Fix what it names, then `csa-report delivery resend {run_id} {row.recipient}`"
        )
    if not audit.confirm_delivery(
        run.provider, run.period, run.report_id, row.recipient, evidence=" ".join(evidence.split()), at=utc_now()
    ):
        raise InputError(f"run {run_id}: the delivery to {row.recipient} changed meanwhile; see `csa-report status`")
    log.info("delivery to %s of report %s confirmed by the operator", row.recipient, run.report_id)
    return _settled(audit, run, row.recipient, "confirmed")


def resend(
    audit: AuditLog,
    settings: Settings,
    store: S3Store,
    run_id: int,
    recipient: str,
    transport: Transport | None = None,
    letter: LetterFor | None = None,
) -> Settled:
    """Send the delivery again, as the run built it: the formal letter when ``letter`` is given (what the flow
    sends), else the plain message; same Message-ID, same Date, the archived and verified bytes attached."""
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
    from csa_report.filing.guard import filings
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
    sealed = SEALED_NAME in contents
    if sealed:
        contents = {**contents, REPORT_PDF: contents[SEALED_NAME]}
    # Built before the delivery is claimed again: a letter that cannot be written leaves the delivery as it was.
    if letter is not None:
        compose = letter(
            period=run.period,
            report_id=run.report_id,
            correction=(correction.supersedes, correction.reason) if correction is not None else None,
            reviewer=approval.reviewer,
            signature=approval.signature,
            sealed=sealed,
        )
        # Dated as the flow dated it: the moment this delivery was first claimed (kept across resends).
        sent_at = audit.first_claimed_at(run.provider, run.period, run.report_id, row.recipient)
        msg = compose(row.recipient, contents, sent_at or approval.decided_at)
    else:
        # The plain message the flow sends without a letter, composed by the same code.
        plain = plain_message(ref, settings.smtp_from, run.manifest_sha256, approval.decided_at, correction)
        msg = plain(row.recipient, contents, approval.decided_at)
    if not audit.begin_resend(
        run.provider, run.period, run.report_id, row.recipient, owner=claim_owner(), at=utc_now(), refused=refused(row)
    ):
        raise InputError(f"run {run_id}: the delivery to {row.recipient} changed meanwhile; see `csa-report status`")
    transport = transport or transport_for(settings.smtp)
    ledger = ReportLedger(audit, run.provider, run.period, run.report_id, transport.channel)
    done = send_claimed(
        ledger,
        row.recipient,
        message_id(run.report_id, row.recipient),
        partial(transport.send, Outgoing(run.report_id, row.recipient, msg)),
        utc_now,
    )
    if done.error is not None:
        raise done.error
    return _settled(audit, run, row.recipient, "sent")


def _settled(audit: AuditLog, run: RunSummary, recipient: str, status: str) -> Settled:
    assert run.report_id is not None
    rows = audit.deliveries(run.report_id)
    return Settled(
        run, recipient, status, message_id(run.report_id, recipient), all(d.status in DELIVERED for d in rows)
    )
