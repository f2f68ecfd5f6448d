"""Prefect tasks of the one-filing-per-period guard (csa_report.filing.guard): the check before staging, the claim
before archiving, and marking the filing complete once every delivery went out."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed

from csa_report.artefacts import MANIFEST, REPORT_PDF
from csa_report.errors import InputError, TamperedError
from csa_report.filing.guard import AlreadyFiled, Correction, FilingRecord, check_not_filed, claim_filing, mark_filed
from csa_report.filing.sshsig import SIGNATURE_FILE
from csa_report.period import utc_now
from csa_report.policies.models import PolicySet
from csa_report.services import current
from csa_report.storage.report import archive_key, verify_staged
from csa_report.tasks.audit import audit_log
from csa_report.tasks.retry import retry_options
from csa_report.tasks.stage import StagedReport


def this_flow_run() -> str | None:
    """The identity a filing records for the run that claimed it: the Prefect flow run id (the same for a Retry
    and a resumed execution of that run; a plain ``csa-report run`` has one from its ephemeral API too)."""
    found = flow_run.get_id()
    return str(found) if found else None


@task(name="period-guard", **retry_options())
def period_guard(
    provider: str, period: str, as_of: datetime, report_id: str, manifest_sha256: str, correction: Correction | None
) -> FilingRecord | InputError | None:
    """Whether this run may go on to staging: the run's own earlier filing, None (not filed), or the reason to
    stop (the period was filed and this is not its correction, or the correction names the wrong report).
    The reason is returned, not raised, so the flow can end Failed with it as the UI-visible message without
    an engine traceback for what is a user's mistake. An ``already-filed`` stop is recorded as a run."""
    audit = audit_log()
    me = this_flow_run()
    try:
        return check_not_filed(audit, provider, period, report_id, correction, me)
    except AlreadyFiled as exc:
        audit.record_run(
            provider=provider,
            period=period,
            as_of=as_of,
            status="already-filed",
            at=utc_now(),
            report_id=report_id,
            manifest_sha256=manifest_sha256,
            flow_run_id=me,
        )
        return exc
    except InputError as exc:
        return exc


def refused_filing(reason: InputError) -> State:
    """The end of a run the period guard stopped: Failed, named for why (the period was filed, or the correction
    names the wrong report), with the reason as the message the UI shows and no engine traceback."""
    get_run_logger().warning("%s", reason)
    name = "AlreadyFiled" if isinstance(reason, AlreadyFiled) else "BadCorrection"
    return Failed(name=name, message=str(reason), data=reason)


@task(name="claim-filing", **retry_options())
def claim_period(
    provider: str, period: str, report_id: str, manifest_sha256: str, correction: Correction | None, run_id: int
) -> FilingRecord:
    """Take the period's filing slot for this report (the unique constraint decides between concurrent runs)."""
    audit = audit_log()
    try:
        return claim_filing(
            audit,
            provider=provider,
            period=period,
            report_id=report_id,
            manifest_sha256=manifest_sha256,
            correction=correction,
            run_id=run_id,
            at=utc_now(),
            flow_run_id=this_flow_run(),
        )
    except AlreadyFiled:
        audit.set_run_status(run_id, "already-filed", utc_now())
        raise


@task(name="mark-filed", **retry_options())
def filed(provider: str, period: str, report_id: str) -> None:
    mark_filed(audit_log(), provider, period, report_id, utc_now())


@task(name="store-signature", **retry_options())
def store_signature(staged: StagedReport, signature: str) -> list[str]:
    """Keep the approver's SSH signature beside the staged report and in the Object-Lock archive (create-only,
    as ``manifest.json.sig``), so anyone can re-verify it later with ``ssh-keygen -Y verify``."""
    services = current()
    settings, store = services.settings.s3, services.store
    # Under Object Lock only for bytes still as signed: a tampered run leaves no WORM object behind.
    verify_staged(store, staged.objects)
    data = signature.encode("ascii")
    staged_obj = store.put_create_only(
        settings.staging_bucket, staged.ref.key(settings.staging_prefix, SIGNATURE_FILE), data, "text/plain"
    )
    archived = store.put_create_only(
        settings.archive_bucket, archive_key(staged_obj, settings.archive_prefix), data, "text/plain"
    )
    audit_log().record_objects(staged.report_id, "staging", [staged_obj], utc_now())
    audit_log().record_objects(staged.report_id, "archive", [archived], utc_now())
    return [staged_obj.uri, archived.uri]


@task(name="seal-pdf", persist_result=True, **retry_options())
def seal_report(staged: StagedReport, approved_pdf: str, reason: str) -> bytes | None:
    """The PAdES-sealed report.pdf, or None when no certificate is configured. The approved bytes are the
    rendered file, checked against the SHA-256 the signed manifest lists; a sealed copy already in the archive
    (an earlier run of this report) is reused, since a seal carries its own signing time and would differ."""
    from csa_report.filing.manifest import manifest_hashes
    from csa_report.filing.seal import SEALED_NAME, check_prefix, load_signer, seal_pdf

    services = current()
    loaded = load_signer(services.settings.seal, utc_now())
    if loaded is None:
        return None
    data = Path(approved_pdf).read_bytes()
    by_name = {o.name: o for o in staged.objects}
    store = services.store
    listed = manifest_hashes(store.read_verified(by_name[MANIFEST])).get(REPORT_PDF)
    if listed is None or hashlib.sha256(data).hexdigest() != listed:
        raise TamperedError(f"{approved_pdf} is not the report.pdf the signed manifest lists; not sealed")
    settings = services.settings.s3
    key = archive_key(by_name[REPORT_PDF], settings.archive_prefix).rsplit("/", 1)[0] + "/" + SEALED_NAME
    existing = store.head(settings.archive_bucket, key)
    if existing is not None:
        sealed = store.read_verified(existing)
        check_prefix(sealed, listed, len(data))
        return sealed
    signer, _info = loaded
    return seal_pdf(data, signer, reason=reason, location=None)


def recipients_of(policies: PolicySet) -> list[tuple[str, str]]:
    """(role, address) of the report's addressees: the supervisory authority and the Commission."""
    p = policies.provider
    return [("supervisory_authority", p.supervisory_authority.email), ("commission", p.commission_email)]
