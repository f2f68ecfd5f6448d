"""The ``annual_report`` flow (workflow.md): extract → check → render → stage → sign-off → submit → publish.

Each step is a task an operator can see and retry in the Prefect UI. Everything before sign-off is pure and
persisted (a retry or a resumed suspension reuses it); everything after happens exactly once. The flow body
itself has no side effects of its own, because Prefect runs it again from the top when a suspended run resumes:
every write happens inside an idempotent task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from prefect import Task, flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from csa_report.artefacts import MANIFEST, REPORT_PDF
from csa_report.checks import CheckResult, raise_for_errors
from csa_report.errors import BlockingFindings, InputError
from csa_report.filing.guard import AlreadyFiled, Correction, correction_of
from csa_report.filing.manifest import read_manifest
from csa_report.filing.review import verification_text
from csa_report.filing.seal import describe_seal, load_signer, seal_configured
from csa_report.filing.submit import SubmissionResult
from csa_report.indicators import Indicators
from csa_report.period import Period, format_instant, parse_as_of, utc_now
from csa_report.pipeline import (
    ReportInputs,
    previous_figures,
    publication_date_of,
    refuse_incomplete_period,
    report_inputs,
)
from csa_report.policies.published_keys import refuse_published_keys
from csa_report.render.report import RenderResult
from csa_report.services import Services, bound, current
from csa_report.settings import Settings, load_settings
from csa_report.storage import slugify
from csa_report.summary import report_summary, summary_text
from csa_report.tasks.approval import approval_of, rejected, signoff_mode_of
from csa_report.tasks.artifacts import artifact_key, delivery_receipts, review_artifacts, signoff_artifact
from csa_report.tasks.audit import record_findings, record_run, set_run_status
from csa_report.tasks.check import blocking, check
from csa_report.tasks.context import context
from csa_report.tasks.credentials import install as install_credential_blocks
from csa_report.tasks.extract import extract
from csa_report.tasks.filing import claim_period, filed, period_guard, recipients_of, seal_report, store_signature
from csa_report.tasks.orientation import explain_failure, label_run, resume_note
from csa_report.tasks.render import render
from csa_report.tasks.retry import retry_options
from csa_report.tasks.signoff import refuse_up_front_approval_in_deployment
from csa_report.tasks.stage import links_for, stage_report
from csa_report.tasks.submit import signer_of, submission_letter, submit
from csa_report.tasks.versions import log_code_versions

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


@dataclass(frozen=True)
class AnnualReportResult:
    """What a submitted run returns (the CLI and the demo read it; Prefect persists it)."""

    period: str
    as_of: str
    indicators: Indicators
    findings: CheckResult
    rendered: RenderResult
    report_id: str
    manifest_sha256: str
    submission: SubmissionResult


@dataclass(frozen=True)
class ProvisionalResult:
    """What a run of an incomplete period (``allow_incomplete_period``) returns: the report rendered and marked
    provisional, and nothing staged, signed, claimed, archived or sent. Filing it would take the period's one
    filing slot with a report of part of the period, and the real report would then be refused as a second
    filing."""

    period: str
    as_of: str
    report_id: str
    rendered: RenderResult
    provisional: str


def _provisional(rendered: RenderResult) -> str | None:
    """The provisional text the rendered manifest carries (render wrote it from the run's period and as-of)."""
    import json

    text = json.loads(rendered.paths[MANIFEST].read_text("utf-8")).get("provisional")
    return str(text) if text else None


def _produce(
    *,
    settings: Settings,
    inputs: ReportInputs,
    correction: Correction | None,
    publication_date: str | None,
    out_dir: str | None,
    approve_as: str | None,
    approve_key: str | None,
) -> AnnualReportResult | ProvisionalResult | State:
    """extract → check → context → render → stage → sign-off → submit, on the run's bound Services."""
    logger = get_run_logger()
    db_url, p, at, policy_set = inputs.source_db, inputs.period, inputs.as_of, inputs.policies
    provider = policy_set.provider.provider
    indicators = step(extract)(db_url, str(p), at, inputs.tuning)
    # check and render read the source DB and write local files only: retried with the same schedule, since a
    # source database that is briefly unreachable raises UnreachableError there too.
    previous = previous_figures(settings.audit, settings.s3, provider, p)
    result = step(check)(db_url, str(p), at, policy_set, inputs.waivers, indicators, previous)
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
        verification_text(provider, bool(policy_set.provider.approver_keys()), seal_configured(settings.seal)),
    )
    target = Path(out_dir) if out_dir else settings.output_dir / slugify(provider) / p.slug
    rendered = step(render)(ctx, target, settings.templates)
    provisional = _provisional(rendered)
    if provisional:
        # Stopped before the period guard: a provisional report never takes the period's filing slot.
        note = (
            f"report {rendered.report_id} rendered to {rendered.out_dir}: {provisional}; nothing staged, signed or sent"
        )
        logger.warning("%s", note)
        return Completed(
            name="Provisional",
            message=note,
            data=ProvisionalResult(str(p), format_instant(at), rendered.report_id, rendered, provisional),
        )
    # One filing per period: stop here, before anything is staged, when the period was filed and this is not
    # its correction, whatever the bytes. Only the flow run that filed it (a Retry, a resume) goes on with a
    # completed filing, and a re-run of the same report finishes an unfinished one (deliveries stay once-only).
    guard = step(period_guard)(provider, str(p), at, rendered.report_id, rendered.sha256[MANIFEST], correction)
    if isinstance(guard, InputError):
        logger.warning("%s", guard)
        return Failed(
            name="AlreadyFiled" if isinstance(guard, AlreadyFiled) else "BadCorrection", message=str(guard), data=guard
        )
    refuse_published_keys(policy_set, demo=settings.demo)  # again just before staging: nothing staged with them
    recipients = recipients_of(policy_set)
    letter = submission_letter(policy_set, p, rendered.report_id, correction, [a for _, a in recipients])
    staged = step(stage_report)(rendered, provider, str(p))
    run_id = step(record_run)(provider, str(p), at, "staged", staged.report_id, staged.manifest_sha256)
    step(record_findings)(run_id, result)
    logger.info("report %s staged for sign-off (manifest sha256 %s)", staged.report_id, staged.manifest_sha256)

    manifest = read_manifest(rendered.paths[MANIFEST], staged.manifest_sha256)
    review_artifacts(staged, indicators, links_for(staged))
    # The summary the report opens with, as text: the approvers are e-mailed and shown the very same.
    summary = summary_text(report_summary(ctx))
    approval = approval_of(
        policy_set,
        staged,
        indicators,
        result,
        run_id,
        settings.signoff,
        manifest,
        at,
        approve_as,
        approve_key,
        guard,
        summary=summary,
        correction=correction,
    )
    signoff_artifact(staged, approval)
    if approval.decision == "reject":
        return rejected(staged, approval, run_id)
    step(set_run_status)(run_id, "approved")

    # The guard itself: the audit DB's unique constraint gives the period's filing slot to one report only.
    step(claim_period)(provider, str(p), staged.report_id, staged.manifest_sha256, correction, run_id)
    # Archived only once the slot is this report's (definitions.md §26: the loser stops before archiving). A
    # resumed or retried run finds its own claim and stores again: create-only, identical bytes are success.
    if approval.signature:
        step(store_signature)(staged, approval.signature)
    sealed = step(seal_report)(
        staged,
        str(rendered.paths[REPORT_PDF]),
        f"transparency report {staged.report_id} approved by {approval.reviewer}",
    )
    submission = step(submit)(
        staged,
        run_id,
        recipients,
        message_date=approval.decided_at,
        correction=correction,
        sealed_pdf=sealed,
        letter=letter,
        signer=signer_of(policy_set, approval.reviewer, approval.signature),
    )
    step(filed)(provider, str(p), staged.report_id)
    delivery_receipts(staged, submission, recipients)
    return AnnualReportResult(
        str(p), format_instant(at), indicators, result, rendered, staged.report_id, staged.manifest_sha256, submission
    )


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
    allow_incomplete_period: bool = False,
) -> AnnualReportResult | ProvisionalResult | State:
    """Produce, check, render, stage and (once signed off) submit the report of ``period`` as of ``as_of``.

    Database URL, policy folder and storage come from the settings (``CSA_*``) unless given, so that credentials
    need not appear among the run's parameters in the UI. A period that was filed is filed again only as a
    correction: ``supersedes`` (the report id of its latest filing) and ``reason``. An as-of before the period's
    end or in the future is refused (exit 2) unless ``allow_incomplete_period``: then the report is rendered as
    provisional and the run stops there, filing nothing.
    """
    # The first line of a resumed or retried run says where it picks up (the UI opens the logs at the top).
    logger = get_run_logger()
    note = resume_note()
    if note:
        logger.info(note)
    log_code_versions()
    label: tuple[str, str] | None = None
    try:
        refuse_up_front_approval_in_deployment(approve_as, approve_key)
        # Read once for the whole run and passed down (steps reach them through the run's Services).
        settings = load_settings(source_db=source_db, policies=policies, waivers=waivers)
        at = parse_as_of(as_of) if as_of else run_started_at()
        p = resolve_period(period, at)
        # Here, not only in the CLI: a deployment's run (a custom as_of in the UI) is held to the same rule.
        refuse_incomplete_period(p, at, allow_incomplete_period)
        correction = correction_of(supersedes, reason)
        inputs = report_inputs(settings.source, p, at)
        refuse_published_keys(inputs.policies, demo=settings.demo)
        provider = inputs.policies.provider.provider
        label_run(provider, p)
        label = (provider, str(p))
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
        explain_failure(exc, label)
        raise
