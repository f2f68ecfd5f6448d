"""The ``annual_report`` flow (workflow.md): extract → check → render → stage → sign-off → submit → publish.

Each step is a task an operator can see and retry in the Prefect UI. Everything before sign-off is pure and
persisted (a retry or a resumed suspension reuses it); everything after happens exactly once. The flow body
itself has no side effects of its own, because Prefect runs it again from the top when a suspended run resumes:
every write happens inside an idempotent task. What is not orientation lives in the tasks it names.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State

from csa_report.artefacts import MANIFEST, REPORT_PDF
from csa_report.errors import InputError
from csa_report.filing.guard import Correction, correction_of
from csa_report.filing.manifest import read_manifest
from csa_report.lake import object_store_settings
from csa_report.period import format_instant
from csa_report.pipeline import ReportInputs, previous_figures, publication_date_of
from csa_report.policies.published_keys import refuse_published_keys
from csa_report.services import Services, bound
from csa_report.settings import Settings, load_settings
from csa_report.storage import slugify
from csa_report.tasks.approval import approval_of, rejected, signoff_wording
from csa_report.tasks.artifacts import delivery_receipts, review_artifacts, signoff_artifact
from csa_report.tasks.audit import record_findings, record_run, set_run_status
from csa_report.tasks.check import check, stop_if_blocked
from csa_report.tasks.context import context
from csa_report.tasks.credentials import install as install_credential_blocks
from csa_report.tasks.extract import extract
from csa_report.tasks.filing import (
    claim_period,
    filed,
    period_guard,
    recipients_of,
    refused_filing,
    seal_report,
    store_signature,
)
from csa_report.tasks.orientation import explain_failure, label_run
from csa_report.tasks.outcome import AnnualReportResult, ProvisionalResult, provisional_stop
from csa_report.tasks.render import render
from csa_report.tasks.retry import step
from csa_report.tasks.signoff import refuse_up_front_approval_in_deployment
from csa_report.tasks.stage import links_for, stage_report
from csa_report.tasks.start import log_first_lines, run_inputs, run_started_at
from csa_report.tasks.submit import signer_of, submission_letter, submit

__all__ = ["AnnualReportResult", "ProvisionalResult", "annual_report"]

# The S3 and SMTP credentials may be Prefect blocks the settings name: let the library read them (a deployed run
# starts here, not in the CLI).
install_credential_blocks()


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
    db_url, p, at, policy_set = inputs.source_db, inputs.period, inputs.as_of, inputs.policies
    provider = policy_set.provider.provider
    indicators = step(extract)(db_url, str(p), at, inputs.tuning)
    # check and render read the source DB and write local files only: retried with the same schedule, since a
    # source database that is briefly unreachable raises UnreachableError there too.
    previous = previous_figures(settings.audit, settings.s3, provider, p)
    result = step(check)(db_url, str(p), at, policy_set, inputs.waivers, indicators, previous)
    stop_if_blocked(result, provider, p, at)

    pub_date = publication_date_of(publication_date, run_started_at().date())
    signoff_mode, verification = signoff_wording(policy_set, approve_as, settings.seal)
    ctx = step(context)(db_url, indicators, policy_set, result, pub_date, signoff_mode, correction, verification)
    target = Path(out_dir) if out_dir else settings.output_dir / slugify(provider) / p.slug
    rendered = step(render)(ctx, target, settings.templates)
    provisional = provisional_stop(rendered, ctx.provenance.provisional, p, at)
    if provisional is not None:
        return provisional
    # One filing per period: stop here, before anything is staged, when the period was filed and this is not
    # its correction, whatever the bytes. Only the flow run that filed it (a Retry, a resume) goes on with a
    # completed filing, and a re-run of the same report finishes an unfinished one (deliveries stay once-only).
    guard = step(period_guard)(provider, str(p), at, rendered.report_id, rendered.sha256[MANIFEST], correction)
    if isinstance(guard, InputError):
        return refused_filing(guard)
    refuse_published_keys(policy_set, demo=settings.demo)  # again just before staging: nothing staged with them
    recipients = recipients_of(policy_set)
    letter = submission_letter(policy_set, p, rendered.report_id, correction, [a for _, a in recipients])
    staged = step(stage_report)(rendered, provider, str(p))
    run_id = step(record_run)(provider, str(p), at, "staged", staged.report_id, staged.manifest_sha256)
    step(record_findings)(run_id, result)
    get_run_logger().info(
        "report %s staged for sign-off (manifest sha256 %s)", staged.report_id, staged.manifest_sha256
    )

    manifest = read_manifest(rendered.paths[MANIFEST], staged.manifest_sha256)
    review_artifacts(staged, indicators, links_for(staged))
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
        context=ctx,
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
    reason = f"transparency report {staged.report_id} approved by {approval.reviewer}"
    sealed = step(seal_report)(staged, str(rendered.paths[REPORT_PDF]), reason)
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
    log_first_lines()
    label: tuple[str, str] | None = None
    try:
        refuse_up_front_approval_in_deployment(approve_as, approve_key)
        # Read once for the whole run and passed down (steps reach them through the run's Services).
        settings = load_settings(source_db=source_db, policies=policies, waivers=waivers)
        correction = correction_of(supersedes, reason)
        inputs = run_inputs(settings, period, as_of, allow_incomplete_period)
        provider, p = inputs.policies.provider.provider, inputs.period
        label_run(provider, p)
        label = (provider, str(p))
        get_run_logger().info("annual report of %s for %s as of %s", provider, p, format_instant(inputs.as_of))
        # The run's resources, built once: the audit database is migrated here and every step shares one S3 store
        # and one audit log; a source of DuckDB views over Parquet on S3 reads it with the run's S3 settings.
        with bound(Services.start(settings)), object_store_settings(settings.s3):
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
