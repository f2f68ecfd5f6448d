"""The ``annual_report`` flow (workflow.md): extract → check → render → stage → sign-off → submit → publish.

Each step is a task an operator can see and retry in the Prefect UI. Everything before sign-off is pure and
persisted (a retry or a resumed suspension reuses it); everything after happens exactly once. The flow body
itself has no side effects of its own, because Prefect runs it again from the top when a suspended run resumes:
every write happens inside an idempotent task.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prefect import Task, flow, get_run_logger
from prefect.exceptions import MissingContextError
from prefect.runtime import flow_run
from prefect.states import Cancelled, Failed

from csa_report.audit import SignoffRecord
from csa_report.checks import CheckResult, raise_for_errors
from csa_report.deadline import deadline_for
from csa_report.errors import BlockingFindings, InputError, SignOffMissing, SignOffTimeout, TamperedError
from csa_report.filing.approval import Refusal, SignatureCheck, describe_for_reviewer
from csa_report.filing.guard import AlreadyFiled, Correction, correction_of
from csa_report.filing.notify import SignoffRequest
from csa_report.filing.seal import describe_seal, load_signer, seal_configured
from csa_report.filing.sshsig import REJECT_NAMESPACE, sign, verify
from csa_report.indicators import Indicators
from csa_report.period import Period, format_instant, parse_as_of, utc_now
from csa_report.pipeline import ReportInputs, publication_date_of, report_inputs
from csa_report.policies.models import PolicySet, person_key
from csa_report.render.model import HUMAN_SIGNOFF
from csa_report.render.report import RenderResult
from csa_report.services import Services, bound, current
from csa_report.settings import Settings, SignoffSettings, load_settings
from csa_report.storage import slugify
from csa_report.summary import key_figures
from csa_report.tasks.artifacts import artifact_key, delivery_receipts, review_artifacts, signoff_artifact
from csa_report.tasks.audit import (
    audit_log,
    first_seen_at,
    prior_approval,
    record_findings,
    record_run,
    record_signoff,
    set_run_status,
)
from csa_report.tasks.check import blocking, check
from csa_report.tasks.context import automatic_signoff, context
from csa_report.tasks.credentials import install as install_credential_blocks
from csa_report.tasks.extract import extract
from csa_report.tasks.filing import claim_period, filed, period_guard, seal_report, store_signature
from csa_report.tasks.links import run_url, ui_base
from csa_report.tasks.notify import notify_approvers
from csa_report.tasks.orientation import explain_failure, label_run, resume_note, run_name
from csa_report.tasks.render import render
from csa_report.tasks.retry import retry_options
from csa_report.tasks.signoff import request_signoff
from csa_report.tasks.stage import StagedReport, links_for, stage_report
from csa_report.tasks.submit import submit

# The S3 and SMTP credentials may be Prefect blocks the settings name: let the library read them (a deployed run
# starts here, not in the CLI).
install_credential_blocks()

P = ParamSpec("P")
R = TypeVar("R")


def step(task: Task[P, R]) -> Task[P, R]:
    """``task`` with the run's retry schedule (``CSA_TASK_RETRY_DELAYS_S``, the one source of retry delays)."""
    return task.with_options(**retry_options(current().settings.retries.task_retry_delays_s))


def run_started_at() -> datetime:
    """The as-of instant of a run that was given none: its scheduled start, which stays the same when Prefect
    runs the flow body again after a suspension or a retry (``utc_now()`` would not, and every resume would
    then compute, render and ask about a different report)."""
    scheduled: datetime | None = flow_run.scheduled_start_time
    if scheduled is None:
        return utc_now()
    return scheduled.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def resolve_period(period: str | None, as_of: datetime) -> Period:
    """``None`` or ``previous-year`` (the scheduled January run) means the calendar year before the as-of date."""
    if period in (None, "", "previous-year"):
        year = as_of.year - 1
        return Period(date(year, 1, 1), date(year, 12, 31))
    return Period.parse(period)


def recipients_of(policies: PolicySet) -> list[tuple[str, str]]:
    """(role, address) of the report's addressees: the supervisory authority and the Commission."""
    p = policies.provider
    return [("supervisory_authority", p.supervisory_authority.email), ("commission", p.commission_email)]


#: Manifest/annex wording of the two human sign-off modes (docs/workflow.md, step 5).
SIGNED_SIGNOFF = (
    "signed: a listed approver other than the preparer signs manifest.json with their OpenSSH key "
    "(ssh-keygen -Y sign -n csa-report); the signature is archived beside it as manifest.json.sig"
)
UNSIGNED_SIGNOFF = f"unsigned sign-off (the approvers have no keys in provider.md): {HUMAN_SIGNOFF}"


def signoff_mode_of(policies: PolicySet, approve_as: str | None) -> str:
    if approve_as:
        return automatic_signoff(approve_as) + ("; SSH-signed" if policies.provider.approver_keys() else "")
    return SIGNED_SIGNOFF if policies.provider.approver_keys() else UNSIGNED_SIGNOFF


def verification_text(policies: PolicySet, sealed: bool) -> str | None:
    """The annex's note on how a recipient checks the two signatures, in their own tools."""
    parts = []
    if policies.provider.approver_keys():
        parts.append(
            "The approval is an SSH signature over manifest.json, kept as manifest.json.sig with the archived report. "
            "Put the approver's public key in a file allowed_signers as a line 'NAME namespaces=\"csa-report\" "
            "ssh-ed25519 AAAA…', then 'ssh-keygen -Y verify -f allowed_signers -I NAME -n csa-report -s "
            "manifest.json.sig < manifest.json' prints 'Good signature'; manifest.json lists the SHA-256 of every "
            "other file."
        )
    if sealed:
        parts.append(
            f"The PDF carries a PAdES signature (seal) of {policies.provider.provider}: a PDF reader's signature "
            "panel, or 'pyhanko sign validate --trust CA.pem report.pdf', checks it against the provider's "
            "certificate; its signed first revision is byte for byte the report.pdf whose SHA-256 manifest.json "
            "lists."
        )
    return " ".join(parts) or None


def signature_check(policies: PolicySet, manifest: bytes) -> SignatureCheck | None:
    p = policies.provider
    keys = p.approver_keys()
    return SignatureCheck(manifest, keys, p.preparer_keys(), p.preparer) if keys else None


def refuse_up_front_approval_in_deployment(approve_as: str | None, approve_key: str | None) -> None:
    """``approve_key`` is for ``csa-report run --approve-as … --key`` and the demo, which run the flow in their own
    process. A deployment run is started by whoever can use the UI or API, so a key path there would let anyone
    sign as someone else with a key file that happens to be on the worker: refused. ``approve_as`` alone stays
    allowed (an unsigned installation's automatic sign-off, recorded as such): it gives nobody more than the
    typed form already does, and with keys it is refused anyway for want of a signature."""
    if approve_key is None:
        return
    from prefect.context import FlowRunContext
    from prefect.runtime import deployment

    ctx = FlowRunContext.get()
    in_deployment = (
        ctx is not None and ctx.flow_run is not None and ctx.flow_run.deployment_id is not None
    ) or deployment.id is not None
    if in_deployment:
        raise InputError(
            "approve_key cannot be given to a deployment run: a signed sign-off of a deployment run "
            "is given in the Prefect UI's form or with `csa-report approve RUN --key KEY`"
        )


def command_line_approval(
    reviewer: str,
    policies: PolicySet,
    report_id: str,
    manifest_sha256: str,
    run_id: int,
    decided_at: datetime,
    manifest: bytes = b"",
    approve_key: str | None = None,
) -> SignoffRecord:
    """An approval given up front (``--approve-as``, the demo's ``demo-reviewer``), held to the same rules as a
    form: the reviewer must be an approver and must not be the preparer. Recorded as automatic. When the
    approvers have keys it must be signed too (``approve_key``), and the key must be the reviewer's."""
    p = policies.provider
    check = signature_check(policies, manifest)
    if check is not None:
        if not approve_key:
            raise InputError(
                f"--approve-as {reviewer!r}: provider.md lists the approvers' SSH keys, so an approval "
                "must be signed: give --key with the reviewer's private key"
            )
        found = verify(
            manifest,
            sign(manifest, Path(approve_key)),
            approvers=check.approver_keys,
            preparer_keys=check.preparer_keys,
        )
        if person_key(found.signer) != person_key(reviewer):
            raise InputError(f"--approve-as {reviewer!r}: the key given belongs to {found.signer}")
        if person_key(found.signer) == person_key(p.preparer):
            raise InputError(f"--approve-as {reviewer!r}: the preparer cannot sign off their own report (four eyes)")
        return SignoffRecord(
            report_id=report_id,
            decision="approve",
            reviewer=found.signer,
            manifest_sha256=manifest_sha256,
            decided_at=decided_at,
            comment="approved up front on the command line (--approve-as, signed)",
            automatic=True,
            run_id=run_id,
            signature=found.signature,
            key_fingerprint=found.fingerprint,
        )
    # Same leniency as the form: case and spaces do not matter; the name is recorded as provider.md lists it.
    listed = [a.strip() for a in p.approvers if person_key(a) == person_key(reviewer)]
    if not listed:
        allowed = ", ".join(p.approvers)
        raise InputError(f"--approve-as {reviewer!r}: not among the approvers of provider.md ({allowed})")
    reviewer = listed[0]
    if person_key(reviewer) == person_key(p.preparer):
        raise InputError(f"--approve-as {reviewer!r}: the preparer cannot sign off their own report (four eyes)")
    return SignoffRecord(
        report_id=report_id,
        decision="approve",
        reviewer=reviewer,
        manifest_sha256=manifest_sha256,
        decided_at=decided_at,
        comment="approved up front on the command line (--approve-as)",
        automatic=True,
        run_id=run_id,
    )


def signoff_timeout(settings: SignoffSettings) -> int:
    """The time-out of one sign-off request, capped to the review links' lifetime (at most 7 days, the limit of
    S3 presigned URLs): the links in the form are issued when it is shown and must not expire before it."""
    timeout = min(settings.signoff_timeout_s, settings.review_link_seconds)
    if timeout < settings.signoff_timeout_s:
        try:
            logger: Any = get_run_logger()
        except MissingContextError:  # called outside a run (tests, tools)
            logger = logging.getLogger(__name__)
        logger.info(
            "sign-off time-out %d s capped to the review-link lifetime %d s (CSA_REVIEW_LINK_SECONDS), "
            "so the links never expire before the form does",
            settings.signoff_timeout_s,
            timeout,
        )
    return timeout


def staged_manifest(rendered: RenderResult, manifest_sha256: str) -> bytes:
    """The exact manifest bytes a signature must cover: the rendered file, checked against the staged hash."""
    data = rendered.paths["manifest.json"].read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest_sha256:
        raise TamperedError(f"{rendered.paths['manifest.json']} changed since it was staged; run again")
    return data


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text`` (CommonMark allows any length of 3 or more), so
    that a correction reason holding ``` cannot end the block early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def signing_instructions(manifest: bytes, signers: Sequence[str] = (), without_key: Sequence[str] = ()) -> str:
    """How to sign, who can, and the manifest itself (``csa-report approve RUN --key`` signs exactly this block;
    csa_report.commands.signoff.manifest_in_description reads it back)."""
    text = manifest.decode("utf-8")
    fence = fence_for(text)
    who = ""
    if signers:
        who = "Who can sign: " + ", ".join(signers) + " (approvers with a key in provider.md)"
        if without_key:
            who += "; " + ", ".join(without_key) + " cannot sign off: provider.md lists no key for them"
        who += ".\n\n"
    return (
        "\n**Sign off with your SSH key.** Either run `csa-report approve RUN --key ~/.ssh/id_ed25519` "
        "(or `csa-report reject RUN --key …`), or sign the reviewed manifest.json with `csa-report sign "
        "--manifest manifest.json --key ~/.ssh/id_ed25519` and paste the whole signature block into the form. "
        f"A rejection is signed apart (`csa-report sign --reject`, namespace {REJECT_NAMESPACE}): a signature "
        "counts only for the decision it was made for.\n\n"
        + who
        + f"manifest.json:\n\n{fence}json\n"
        + text
        + f"{fence}\n"
    )


def human_signoff(
    policies: PolicySet,
    staged: StagedReport,
    indicators: Indicators,
    result: CheckResult,
    links: dict[str, str],
    run_id: int,
    settings: SignoffSettings,
    manifest: bytes = b"",
) -> SignoffRecord:
    """Ask a reviewer in the Prefect UI (suspend from a deployment, pause otherwise); refused answers are
    recorded and asked again. Runs in the flow body: on resume it replays the stored answer. The approvers
    are e-mailed once per request; the review links are issued afresh whenever the form is shown."""
    p = policies.provider
    timeout_s = signoff_timeout(settings)
    findings = [f"{f.severity} {f.rule}: {f.message} ({f.count})" for f in result.findings]

    def describe() -> str:
        fresh = links_for(staged)
        expire = utc_now() + timedelta(seconds=settings.review_link_seconds)
        return describe_for_reviewer(
            title=f"{p.provider}, {staged.period}, report {staged.report_id}",
            manifest_sha256=staged.manifest_sha256,
            key_figures=key_figures(indicators),
            findings=findings,
            links=fresh,
            preparer=p.preparer,
            approvers=p.approvers,
            links_expire=format_instant(expire),
            deadline=deadline_for(result.period).describe(utc_now()),
        )

    def notify(key: str) -> None:
        now = utc_now()
        fr_id = str(flow_run.get_id() or "")
        step(notify_approvers)(
            SignoffRequest(
                provider=p.provider,
                period=staged.period,
                report_id=staged.report_id,
                manifest_sha256=staged.manifest_sha256,
                flow_run_id=fr_id,
                flow_run_name=run_name(p.provider, Period.parse(staged.period)),
                key=key,
                run_url=run_url(fr_id, ui_base(settings.ui_url)) if fr_id else None,
                links=tuple(sorted(links_for(staged).items())),
                links_expire=now + timedelta(seconds=settings.review_link_seconds),
                deadline=now + timedelta(seconds=timeout_s),
                approvers=tuple(p.approvers),
                requested_at=now,
            )
        )

    check = signature_check(policies, manifest)
    if check is not None:
        plain = describe

        signers = [a for a in p.approvers if a in check.approver_keys]
        without_key = [a for a in p.approvers if a not in check.approver_keys]

        def describe() -> str:
            return plain() + signing_instructions(manifest, signers, without_key)

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

    decision = request_signoff(
        describe,
        approvers=p.approvers,
        preparer=p.preparer,
        manifest_sha256=staged.manifest_sha256,
        on_refusal=on_refusal,
        on_request=notify,
        timeout_s=timeout_s,
        poll_interval_s=settings.signoff_poll_s,
        signature_check=check,
    )
    # The time of the decision as first seen: a resumed or retried run replays the same answer and must record
    # (and date its e-mails) the same instant, so the audit row and the submission stay exactly-once.
    decided_at = first_seen_at(f"signoff-{staged.report_id}-{decision.answer.decision}-{decision.answer.reviewer}")
    record = SignoffRecord(
        report_id=staged.report_id,
        decision=decision.answer.decision,
        reviewer=decision.answer.reviewer,
        manifest_sha256=decision.answer.manifest_sha256,
        decided_at=decided_at,
        comment=decision.answer.comment or None,
        run_id=run_id,
        signature=decision.verified.signature if decision.verified else None,
        key_fingerprint=decision.verified.fingerprint if decision.verified else None,
    )
    step(record_signoff)(record)
    return record


def _produce(
    *,
    settings: Settings,
    inputs: ReportInputs,
    correction: Correction | None,
    publication_date: str | None,
    out_dir: str | None,
    approve_as: str | None,
    approve_key: str | None,
) -> dict[str, Any] | Any:
    """extract → check → context → render → stage → sign-off → submit, on the run's bound Services."""
    logger = get_run_logger()
    db_url, p, at, policy_set = inputs.source_db, inputs.period, inputs.as_of, inputs.policies
    provider = policy_set.provider.provider
    indicators = step(extract)(db_url, str(p), at, inputs.tuning)
    result = check(db_url, str(p), at, policy_set, inputs.waivers, indicators)
    raise_for_errors(result)
    stop = blocking(result)
    if stop:
        run_id = step(record_run)(provider, str(p), at, "blocked")
        step(record_findings)(run_id, result)
        rules = ", ".join(sorted({f.rule for f in stop}))
        raise BlockingFindings(
            f"{len(stop)} blocking finding(s) ({rules}): the report cannot go to sign-off; "
            f"see the '{artifact_key(provider, p, 'findings')}' artifact"
        )

    pub_date = publication_date_of(publication_date, run_started_at().date())
    # A seal certificate that expired or does not match its key stops the run now (exit 2), not after sign-off.
    load_signer(settings.seal, utc_now())
    signoff_mode = f"{signoff_mode_of(policy_set, approve_as)}; PDF {describe_seal(settings.seal)}"
    ctx = step(context)(
        db_url,
        indicators,
        policy_set,
        result,
        pub_date,
        signoff_mode,
        correction,
        verification_text(policy_set, seal_configured(settings.seal)),
    )
    target = Path(out_dir) if out_dir else settings.output_dir / slugify(provider) / p.slug
    rendered = render(ctx, target, settings.templates)
    # One filing per period: stop here, before anything is staged, when the period was filed and this is not
    # its correction (the same report again is a re-run and goes on; its deliveries stay once-only).
    guard = step(period_guard)(provider, str(p), at, rendered.report_id, rendered.sha256["manifest.json"], correction)
    if isinstance(guard, InputError):
        logger.warning("%s", guard)
        return Failed(
            name="AlreadyFiled" if isinstance(guard, AlreadyFiled) else "BadCorrection", message=str(guard), data=guard
        )
    staged = step(stage_report)(rendered, provider, str(p))
    run_id = step(record_run)(provider, str(p), at, "staged", staged.report_id, staged.manifest_sha256)
    step(record_findings)(run_id, result)
    logger.info("report %s staged for sign-off (manifest sha256 %s)", staged.report_id, staged.manifest_sha256)

    manifest = staged_manifest(rendered, staged.manifest_sha256)
    links = links_for(staged)
    review_artifacts(staged, indicators, links)
    approval = step(prior_approval)(staged.report_id, staged.manifest_sha256)
    if approval is not None:
        logger.info("report %s was already approved by %s: not asking again", staged.report_id, approval.reviewer)
    elif approve_as is not None:
        approval = command_line_approval(
            approve_as,
            policy_set,
            staged.report_id,
            staged.manifest_sha256,
            run_id,
            decided_at=at,
            manifest=manifest,
            approve_key=approve_key,
        )
        step(record_signoff)(approval)
    else:
        try:
            approval = human_signoff(policy_set, staged, indicators, result, links, run_id, settings.signoff, manifest)
        except SignOffMissing as exc:
            # Recorded, then re-raised: the run fails, the staged copy stays for a new run.
            step(set_run_status)(run_id, "signoff-timeout" if isinstance(exc, SignOffTimeout) else "signoff-refused")
            raise
    signoff_artifact(staged, approval)
    if approval.decision == "reject":
        step(set_run_status)(run_id, "rejected")
        logger.warning(
            "report %s rejected by %s: %s; the staged copy is kept",
            staged.report_id,
            approval.reviewer,
            approval.comment or "no reason given",
        )
        # A Cancelled-type state named Rejected: the UI shows it apart from Completed (grey, not a green check),
        # nothing was submitted, and Retry stays available. Completed + a name would look like success.
        return Cancelled(
            name="Rejected",
            message=f"rejected by {approval.reviewer}",
            data={
                "period": str(p),
                "report_id": staged.report_id,
                "decision": "reject",
                "reviewer": approval.reviewer,
                "comment": approval.comment,
            },
        )
    step(set_run_status)(run_id, "approved")

    recipients = recipients_of(policy_set)
    # The guard itself: the audit DB's unique constraint gives the period's filing slot to one report only.
    step(claim_period)(provider, str(p), staged.report_id, staged.manifest_sha256, correction, run_id)
    # Archived only once the slot is this report's (definitions.md §26: the loser stops before archiving). A
    # resumed or retried run finds its own claim and stores again: create-only, identical bytes are success.
    if approval.signature:
        step(store_signature)(staged, approval.signature)
    sealed = step(seal_report)(
        staged,
        str(rendered.paths["report.pdf"]),
        f"transparency report {staged.report_id} approved by {approval.reviewer}",
    )
    submission = step(submit)(
        staged, run_id, recipients, message_date=approval.decided_at, correction=correction, sealed_pdf=sealed
    )
    step(filed)(provider, str(p), staged.report_id)
    delivery_receipts(staged, submission, recipients)
    return {
        "period": str(p),
        "as_of": format_instant(at),
        "indicators": indicators,
        "findings": result,
        "rendered": rendered,
        "report_id": staged.report_id,
        "manifest_sha256": staged.manifest_sha256,
        "submission": submission,
    }


@flow(name="annual_report", persist_result=True, log_prints=False)
def annual_report(
    period: str | None = "previous-year",
    as_of: str | None = None,
    source_db: str | None = None,
    policies: str | None = None,
    waivers: str | None = None,
    publication_date: str | None = None,
    out_dir: str | None = None,
    approve_as: str | None = None,
    approve_key: str | None = None,
    supersedes: str | None = None,
    reason: str | None = None,
) -> dict[str, Any] | Any:
    """Produce, check, render, stage and (once signed off) submit the report of ``period`` as of ``as_of``.

    Database URL, policy folder and storage come from the settings (``CSA_*``) unless given, so that credentials
    need not appear among the run's parameters in the UI. A period that was filed is filed again only as a
    correction: ``supersedes`` (the report id of its latest filing) and ``reason``.
    """
    # The first line of a resumed or retried run says where it picks up (the UI opens the logs at the top).
    logger = get_run_logger()
    note = resume_note()
    if note:
        logger.info(note)
    try:
        refuse_up_front_approval_in_deployment(approve_as, approve_key)
        # Read once for the whole run and passed down (steps reach them through the run's Services).
        settings = load_settings(source_db=source_db, policies=policies, waivers=waivers)
        at = parse_as_of(as_of) if as_of else run_started_at()
        p = resolve_period(period, at)
        correction = correction_of(supersedes, reason)
        inputs = report_inputs(settings.source, p, at)
        provider = inputs.policies.provider.provider
        label_run(provider, p)
        logger.info("annual report of %s for %s as of %s", provider, p, format_instant(at))
        # The run's resources, built once: the audit database is migrated here and every step shares one S3 store
        # and one audit log.
        with bound(Services.start(settings)):
            return _produce(
                settings=settings,
                inputs=inputs,
                correction=correction,
                publication_date=publication_date,
                out_dir=out_dir,
                approve_as=approve_as,
                approve_key=approve_key,
            )
    except Exception as exc:
        # The run's Failed message is built from this error: make it name the step, cause and setting.
        explain_failure(exc)
        raise
