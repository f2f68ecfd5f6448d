"""The sign-off step as the flow runs it (workflow.md step 5): the approval given up front, or the reviewer asked
in the Prefect UI, each refused answer recorded, the accepted one recorded once. The rule is the library's
(csa_report/filing/approval.py), the request's content too (csa_report/filing/review.py); the asking and waiting
are csa_report/tasks/signoff.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import get_run_logger
from prefect.client.schemas.objects import State
from prefect.exceptions import CancelledRun
from prefect.runtime import flow_run
from prefect.states import Cancelled

from csa_report.artefacts import MANIFEST, MANIFEST_SIG
from csa_report.audit import SignoffRecord
from csa_report.audit.records import FilingRecord
from csa_report.checks import CheckResult
from csa_report.deadline import deadline_for
from csa_report.errors import SignOffMissing, SignOffTimeout
from csa_report.filing.approval import Refusal, command_line_approval, signature_check
from csa_report.filing.guard import Correction
from csa_report.filing.notify import Kind
from csa_report.filing.review import Review, describe_for_reviewer, signing_instructions, verification_text
from csa_report.filing.seal import describe_seal, load_signer, seal_configured
from csa_report.filing.sshsig import NAMESPACE
from csa_report.indicators import Indicators
from csa_report.letters.signoff import RefusedAnswer, SignoffNotice, review_link_lifetime
from csa_report.letters.submission import CorrectionNote
from csa_report.period import Period, format_instant, utc_now
from csa_report.policies.models import PolicySet
from csa_report.render.model import HUMAN_SIGNOFF, ReportContext
from csa_report.settings import SealSettings, SignoffSettings
from csa_report.summary import key_figures, report_summary, summary_text
from csa_report.tasks.audit import audit_log, first_seen_at, prior_approval, record_signoff, set_run_status
from csa_report.tasks.context import automatic_signoff
from csa_report.tasks.links import run_url, ui_base
from csa_report.tasks.notify import emit_chat_event, mail_of, notify_approvers
from csa_report.tasks.orientation import run_name
from csa_report.tasks.retry import step
from csa_report.tasks.signoff import DEFAULT_MAX_REFUSALS, request_signoff, signoff_key, signoff_timeout
from csa_report.tasks.stage import StagedReport, links_for

__all__ = [
    "SIGNED_SIGNOFF",
    "UNSIGNED_SIGNOFF",
    "approval_of",
    "human_signoff",
    "rejected",
    "signoff_mode_of",
    "signoff_wording",
]

#: Manifest/annex wording of the two human sign-off modes (docs/workflow.md, step 5).
SIGNED_SIGNOFF = (
    f"signed: a listed approver other than the preparer signs {MANIFEST} with their OpenSSH key "
    f"(ssh-keygen -Y sign -n {NAMESPACE}); the signature is archived beside it as {MANIFEST_SIG}"
)
UNSIGNED_SIGNOFF = f"unsigned sign-off (the approvers have no keys in provider.md): {HUMAN_SIGNOFF}"


def signoff_wording(policies: PolicySet, approve_as: str | None, seal: SealSettings) -> tuple[str, str | None]:
    """The sign-off mode the manifest and annex print, and the annex's note on how to verify the report. A seal
    certificate that expired or does not match its key stops the run here (exit 2), not after sign-off."""
    load_signer(seal, utc_now())
    provider = policies.provider
    mode = f"{signoff_mode_of(policies, approve_as)}; PDF {describe_seal(seal)}"
    return mode, verification_text(provider.provider, bool(provider.approver_keys()), seal_configured(seal))


def signoff_mode_of(policies: PolicySet, approve_as: str | None) -> str:
    """How this report is signed off, in the manifest's and the annex's words."""
    if approve_as:
        return automatic_signoff(approve_as) + ("; SSH-signed" if policies.provider.approver_keys() else "")
    return SIGNED_SIGNOFF if policies.provider.approver_keys() else UNSIGNED_SIGNOFF


def human_signoff(
    policies: PolicySet,
    staged: StagedReport,
    indicators: Indicators,
    result: CheckResult,
    run_id: int,
    settings: SignoffSettings,
    manifest: bytes = b"",
    summary: str = "",
    correction: Correction | None = None,
) -> SignoffRecord:
    """Ask a reviewer in the Prefect UI (suspend from a deployment, pause otherwise); refused answers are
    recorded and asked again. Runs in the flow body: on resume it replays the stored answer. The approvers
    are e-mailed once per request; the review links are issued afresh whenever the form is shown."""
    p = policies.provider
    timeout_s = signoff_timeout(settings)
    findings = [f"{f.severity} {f.rule}: {f.message} ({f.count})" for f in result.findings]
    check = signature_check(policies, manifest)

    links_s = review_link_lifetime(settings.review_link_seconds, timeout_s)
    summary_lines = tuple(summary.splitlines())

    def describe() -> str:
        expire = utc_now() + timedelta(seconds=links_s)
        text = describe_for_reviewer(
            title=f"{p.provider}, {staged.period}, report {staged.report_id}",
            manifest_sha256=staged.manifest_sha256,
            key_figures=key_figures(indicators),
            findings=findings,
            links=links_for(staged, links_s),
            preparer=p.preparer,
            approvers=p.approvers,
            links_expire=format_instant(expire),
            deadline=deadline_for(result.period).describe(utc_now()),
            summary=summary_lines,
            signed=check is not None,
        )
        if check is None:
            return text
        signers = [a for a in p.approvers if a in check.approver_keys]
        without_key = [a for a in p.approvers if a not in check.approver_keys]
        return text + signing_instructions(manifest, signers, without_key)

    def notice(key: str, now: datetime, refused: RefusedAnswer | None = None, last: bool = False) -> SignoffNotice:
        fr_id = str(flow_run.get_id() or "")
        return SignoffNotice(
            provider=p.provider,
            period=staged.period,
            report_id=staged.report_id,
            manifest_sha256=staged.manifest_sha256,
            run_name=run_name(p.provider, Period.parse(staged.period)),
            run_url=(run_url(fr_id, ui_base(settings.ui_url)) if fr_id else "") or fr_id,
            request_key=key,
            approvers=tuple(p.approvers),
            signers=tuple(a for a in p.approvers if check is not None and a in check.approver_keys),
            summary=summary_lines,
            links=() if last else tuple(sorted(links_for(staged, links_s).items())),
            links_valid_s=links_s,
            links_expire=now + timedelta(seconds=links_s),
            deadline=now + timedelta(seconds=timeout_s),
            correction=CorrectionNote(correction.supersedes, correction.reason) if correction is not None else None,
            refused=refused,
            last=last,
        )

    def send(n: SignoffNotice, key: str, kind: Kind, now: datetime) -> None:
        fr_id = str(flow_run.get_id() or "")
        step(notify_approvers)(mail_of(n, key=key, flow_run_id=fr_id, kind=kind, at=now))
        emit_chat_event(n, fr_id)

    def notify(key: str) -> None:
        # After a refused answer the refusal notice (below) already asked again, with fresh links: one e-mail
        # per refused answer, not a second, identical request.
        if key != signoff_key(1):
            return
        now = utc_now()
        send(notice(key, now), key, "request", now)

    def on_refusal(refusal: Refusal) -> None:
        audit_log().record_signoff(
            SignoffRecord(
                report_id=staged.report_id,
                decision=refusal.decision,  # type: ignore[arg-type]
                reviewer=refusal.reviewer,
                manifest_sha256=refusal.manifest_sha256,
                decided_at=utc_now(),
                comment=refusal.comment or None,
                refused_reason=refusal.reason,
                run_id=run_id,
                signature=refusal.signature,
            )
        )
        refused = RefusedAnswer.of(
            reviewer=refusal.reviewer,
            decision=refusal.decision,
            manifest_sha256=refusal.manifest_sha256,
            reason=refusal.reason,
            preparer=p.preparer,
            approvers=p.approvers,
            staged_sha256=staged.manifest_sha256,
        )
        now = utc_now()
        # Sent once under the refused answer's key; it names the next request, its links and its deadline.
        last = refusal.attempt >= DEFAULT_MAX_REFUSALS
        n = notice(refusal.key if last else signoff_key(refusal.attempt + 1), now, refused, last)
        send(n, refusal.key, "refusal", now)

    verdict = request_signoff(
        describe,
        approvers=p.approvers,
        preparer=p.preparer,
        manifest_sha256=staged.manifest_sha256,
        on_refusal=on_refusal,
        on_request=notify,
        timeout_s=timeout_s,
        poll_interval_s=settings.signoff_poll_s,
        signature_check=check,
        max_refusals=DEFAULT_MAX_REFUSALS,
        review=Review(
            report_id=staged.report_id,
            manifest_sha256=staged.manifest_sha256,
            manifest=manifest.decode("utf-8") if check is not None else None,
            key_figures=tuple(key_figures(indicators)),
        ),
    )
    # The time of the decision as first seen: a resumed or retried run replays the same answer and must record
    # (and date its e-mails) the same instant, so the audit row and the submission stay exactly-once.
    decided_at = first_seen_at(f"signoff-{staged.report_id}-{verdict.answer.decision}-{verdict.answer.reviewer}")
    record = SignoffRecord(
        report_id=staged.report_id,
        decision=verdict.answer.decision,
        reviewer=verdict.answer.reviewer,
        manifest_sha256=verdict.answer.manifest_sha256,
        decided_at=decided_at,
        comment=verdict.answer.comment or None,
        run_id=run_id,
        signature=verdict.verified.signature if verdict.verified else None,
        key_fingerprint=verdict.verified.fingerprint if verdict.verified else None,
    )
    step(record_signoff)(record)
    return record


def approval_of(
    policies: PolicySet,
    staged: StagedReport,
    indicators: Indicators,
    result: CheckResult,
    run_id: int,
    settings: SignoffSettings,
    manifest: bytes,
    as_of: datetime,
    approve_as: str | None,
    approve_key: str | None,
    filing: FilingRecord | None = None,
    context: ReportContext | None = None,
    correction: Correction | None = None,
) -> SignoffRecord:
    """The sign-off of the staged report: one this flow run recorded already (a Retry, a resume), the one of the
    unfinished ``filing`` this run finishes, the one given up front (``--approve-as``), or the reviewer's answer
    in the Prefect UI, shown the summary the report opens with (``context``'s, as the approvers are e-mailed it).
    A missing one is recorded on the run and re-raised: the run fails, the staged copy stays."""
    unfinished = filing.run_id if filing is not None and not filing.complete else None
    approval = step(prior_approval)(staged.report_id, staged.manifest_sha256, unfinished)
    if approval is not None:
        if approval.run_id == run_id:
            get_run_logger().info(
                "report %s was already approved by %s in this run: not asking again",
                staged.report_id,
                approval.reviewer,
            )
        else:
            get_run_logger().info(
                "finishing the unfinished filing of report %s claimed by audit run %s (approved there by %s)",
                staged.report_id,
                approval.run_id,
                approval.reviewer,
            )
        return approval
    if approve_as is not None:
        approval = command_line_approval(
            approve_as,
            policies,
            staged.report_id,
            staged.manifest_sha256,
            run_id,
            decided_at=as_of,
            manifest=manifest,
            approve_key=approve_key,
        )
        step(record_signoff)(approval)
        return approval
    try:
        summary = summary_text(report_summary(context)) if context is not None else ""
        return human_signoff(policies, staged, indicators, result, run_id, settings, manifest, summary, correction)
    except SignOffMissing as exc:
        status = "signoff-timeout" if isinstance(exc, SignOffTimeout) else "signoff-refused"
        step(set_run_status)(run_id, status)
        raise


def rejected(staged: StagedReport, approval: SignoffRecord, run_id: int) -> State:
    """The end of a rejected run, recorded: a Cancelled-type state named Rejected. The UI shows it apart from
    Completed (grey, not a green check), nothing was submitted, and Retry stays available; Completed with a
    name would look like success."""
    step(set_run_status)(run_id, "rejected")
    get_run_logger().warning(
        "report %s rejected by %s: %s; the staged copy is kept",
        staged.report_id,
        approval.reviewer,
        approval.comment or "no reason given",
    )
    message = f"rejected by {approval.reviewer}"
    # The data is the exception a caller of the flow gets (prefect.exceptions.CancelledRun, as `csa-report run`
    # expects): anything else (a dict) makes Prefect fail to resolve the state and log a TypeError traceback.
    return Cancelled(name="Rejected", message=message, data=CancelledRun(message))
