"""The submit step (workflow.md steps 6 and 7) as one function with every dependency passed in.

verify → archive → deliver → publish. Each step is idempotent, so a re-run after any interruption completes
without duplicates:

- verify reads every staged object by its version id and checks its SHA-256, and checks that the staged
  manifest is the one signed off (and that it lists the artefacts' hashes): a difference stops everything as
  tampered (recorded in the audit DB; nothing is archived or sent);
- archive is a create-only PUT of the verified bytes into the Object-Lock bucket: same bytes again are a no-op;
- deliver is csa_report/filing/mail/report.py: each delivery is claimed in the audit DB first (once per provider,
  period, report id, recipient) and moves claimed → accepted (the server answered 250 to the message) → sent, or
  → failed (nothing was handed over: retried; or refused for good: never sent again on its own), or → unknown (the
  message went out and no answer was recorded: never counted as sent, never sent again on its own; the run stops
  as ``delivery-unknown`` until an operator confirms or resends it);
- publish is a create-only PUT of HTML and PDF, done once every delivery went through.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from csa_report.artefacts import REPORT_PDF
from csa_report.audit.log import AuditLog, FindingRecord
from csa_report.errors import DeliveryError, InputError, TamperedError
from csa_report.filing.guard import Correction
from csa_report.filing.mail.message import Composer
from csa_report.filing.mail.report import deliver_report, plain_message, unique_recipients
from csa_report.filing.mail.transport import Delivered, Transport, transport_for
from csa_report.filing.manifest import MANIFEST, check_listing, manifest_hashes
from csa_report.period import utc_now
from csa_report.settings import Settings
from csa_report.storage.objects import S3Store, StoredObject
from csa_report.storage.report import Publication, ReportRef, archive, archive_key, publish, verify_staged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmissionResult:
    archived: tuple[StoredObject, ...]
    sent: tuple[Delivered, ...]  # delivered by this run
    skipped: tuple[str, ...]  # recipients served before (or by a concurrent run)
    failed: tuple[tuple[str, str], ...]  # (recipient, reason): retried on the next run
    publication: Publication | None


def submit_report(
    *,
    store: S3Store,
    audit: AuditLog,
    settings: Settings,
    ref: ReportRef,
    run_id: int,
    staged: Sequence[StoredObject],
    manifest_sha256: str,
    recipients: Sequence[tuple[str, str]],
    message_date: datetime,
    clock: Callable[[], datetime] = utc_now,
    transport: Transport | None = None,
    public_base_url: str | None = None,
    correction: Correction | None = None,
    sealed_pdf: bytes | None = None,
    letter: Composer | None = None,
) -> SubmissionResult:
    """Submit the signed-off report ``ref`` whose staged versions are ``staged`` and whose manifest has the
    signed SHA-256 ``manifest_sha256``, to ``recipients`` as (role, address) pairs. ``letter`` builds the
    formal submission e-mail (csa_report/letters); without it the plain message of :func:`plain_message` goes.

    Raises TamperedError (exit 5) when the staged bytes are not the signed ones (nothing is archived or sent);
    DeliveryError (exit 3) when a delivery failed for now (after the others were made; it is retried);
    RefusedError (exit 7) when the mail server refused one for good (never retried; the others were made);
    UnreachableError (exit 3) when S3 or the audit DB stay unreachable."""
    contents = _verify(store, audit, ref, run_id, staged, manifest_sha256, clock)

    archived = archive(store, staged, settings.archive_bucket, settings.archive_prefix, contents)
    if sealed_pdf is not None:
        archived.append(_archive_sealed(store, settings, staged, contents, sealed_pdf))
    audit.record_objects(ref.report_id, "archive", archived, clock())
    audit.set_run_status(run_id, "archived", clock())

    files = {**contents, **({REPORT_PDF: sealed_pdf} if sealed_pdf is not None else {})}
    if letter is not None:
        files.update(_signature(store, audit, ref))
    sent, skipped, failed = deliver_report(
        audit,
        settings.smtp,
        ref,
        files,
        recipients,
        run_id=run_id,
        compose=letter or plain_message(ref, settings.smtp_from, manifest_sha256, message_date, correction),
        clock=clock,
        transport=transport or transport_for(settings.smtp),
    )
    if failed:
        audit.set_run_status(run_id, "delivery-incomplete", clock())
        names = ", ".join(f"{r} ({why})" for r, why in failed)
        raise DeliveryError(
            f"report {ref.report_id}: {len(failed)} of {len(unique_recipients(recipients))} deliveries did not go "
            f"through: {names}. Those the server could not take for now are retried (retry this run; only the "
            "deliveries not yet made are sent); those it refused for good are not"
        )

    # A public copy only where one is configured: the staging bucket is private, a URL into it answers 403.
    publication = (
        publish(
            store,
            staged,
            bucket=settings.publication_bucket,
            prefix=settings.publication_prefix,
            contents=contents,
            public_base_url=public_base_url,
        )
        if settings.publication_bucket
        else None
    )
    if publication is not None:
        audit.record_objects(ref.report_id, "publication", publication.objects, clock())
    audit.set_run_status(run_id, "submitted", clock(), publication_url=publication.url if publication else None)
    log.info(
        "report %s submitted: %d archived, %d sent now, %d sent before, %s",
        ref.report_id,
        len(archived),
        len(sent),
        len(skipped),
        f"published at {publication.url}" if publication else "not published (no publication bucket set)",
    )
    return SubmissionResult(tuple(archived), tuple(sent), tuple(skipped), (), publication)


def _signature(store: S3Store, audit: AuditLog, ref: ReportRef) -> dict[str, bytes]:
    """The approver's signature over manifest.json (kept beside the staged report by the sign-off), when the
    sign-off was signed: it is attached to the letter."""
    from csa_report.filing.sshsig import SIGNATURE_FILE

    found = [o for o in audit.stored_objects(ref.report_id, "staging") if o.name == SIGNATURE_FILE]
    return {SIGNATURE_FILE: store.read_verified(found[-1])} if found else {}


# -- verify ------------------------------------------------------------------------------------------------


def _archive_sealed(
    store: S3Store, settings: Settings, staged: Sequence[StoredObject], contents: Mapping[str, bytes], sealed: bytes
) -> StoredObject:
    """Archive the PAdES-sealed PDF beside the approved one, after proving it begins with exactly the bytes the
    signed manifest lists for report.pdf (an incremental update appends; it never rewrites)."""
    from csa_report.filing.seal import SEALED_NAME, check_prefix

    approved = contents[REPORT_PDF]
    check_prefix(
        sealed,
        manifest_hashes(contents[MANIFEST]).get(REPORT_PDF, hashlib.sha256(approved).hexdigest()),
        len(approved),
    )
    pdf = next(o for o in staged if o.name == REPORT_PDF)
    key = archive_key(pdf, settings.archive_prefix).rsplit("/", 1)[0] + "/" + SEALED_NAME
    return store.put_create_only(settings.archive_bucket, key, sealed, "application/pdf")


def _verify(
    store: S3Store,
    audit: AuditLog,
    ref: ReportRef,
    run_id: int,
    staged: Sequence[StoredObject],
    manifest_sha256: str,
    clock: Callable[[], datetime],
) -> dict[str, bytes]:
    try:
        return verify_signed(store, staged, manifest_sha256)
    except TamperedError as exc:
        audit.add_finding(run_id, FindingRecord("storage.tampered", "blocking", str(exc)))
        audit.set_run_status(run_id, "tampered", clock())
        log.error("report %s: submission stopped, staged objects tampered: %s", ref.report_id, exc)
        raise


def verify_signed(store: S3Store, staged: Sequence[StoredObject], manifest_sha256: str) -> dict[str, bytes]:
    """The staged bytes by artefact name, after checking that every object is exactly its recorded version,
    that the manifest is the signed one, and that every artefact matches the manifest's listing."""
    by_name = {o.name: o for o in staged}
    manifest = by_name.get(MANIFEST)
    if manifest is None:
        raise InputError(f"the staged objects hold no {MANIFEST}; nothing to check the sign-off against")
    if manifest.sha256_hex != manifest_sha256.lower():
        raise TamperedError(
            f"{manifest.uri} (version {manifest.version_id}) is not the signed manifest: SHA-256 "
            f"{manifest.sha256_hex[:16]}… was recorded, {manifest_sha256[:16]}… was signed"
        )
    contents = verify_staged(store, staged)
    listed = manifest_hashes(contents[MANIFEST])
    if not listed:
        log.warning("%s lists no artefact hashes; artefacts verified against their staged records only", MANIFEST)
        return contents
    check_listing(contents, listed, {name: obj.uri for name, obj in by_name.items()})
    return contents
