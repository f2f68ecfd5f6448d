"""The submit step (workflow.md steps 6 and 7) as one function with every dependency passed in.

verify → archive → deliver → publish. Each step is idempotent, so a re-run after any interruption completes
without duplicates:

- verify reads every staged object by its version id and checks its SHA-256, and checks that the staged
  manifest is the one signed off (and that it lists the artefacts' hashes): a difference stops everything as
  tampered (recorded in the audit DB; nothing is archived or sent);
- archive is a create-only PUT of the verified bytes into the Object-Lock bucket: same bytes again are a no-op;
- each delivery is claimed in the audit DB first (once per provider, period, report id, recipient) and moves
  claimed → accepted (the server answered 250 to the message) → sent, or → failed (nothing was handed over; retried
  on the next run), or → unknown (the message went out and no answer was recorded: never counted as sent, never
  sent again on its own; the run stops as ``delivery-unknown`` until an operator confirms or resends it);
- publish is a create-only PUT of HTML and PDF, done once every delivery went through.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NoReturn

from csa_report.audit.log import AuditLog, FindingRecord
from csa_report.errors import DeliveryError, DeliveryUnknown, InputError, RefusedError, TamperedError
from csa_report.filing.guard import Correction
from csa_report.filing.mail.ledgers import ReportLedger
from csa_report.filing.mail.machine import claim_owner, deliver_once
from csa_report.filing.mail.message import Attachment, build_message, message_id
from csa_report.filing.mail.transport import Delivered, Outgoing, Transport, transport_for
from csa_report.period import format_instant, utc_now
from csa_report.settings import Settings
from csa_report.storage.objects import S3Store, StoredObject
from csa_report.storage.report import Publication, ReportRef, archive, archive_key, publish, verify_staged

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ARTEFACT_SECTIONS = ("artefacts", "artifacts", "files")
ATTACHMENTS = (("report.pdf", "application/pdf"), ("report.json", "application/json"))


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
) -> SubmissionResult:
    """Submit the signed-off report ``ref`` whose staged versions are ``staged`` and whose manifest has the
    signed SHA-256 ``manifest_sha256``, to ``recipients`` as (role, address) pairs.

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

    sent, skipped, failed = _deliver_all(
        audit,
        settings,
        ref,
        contents,
        manifest_sha256,
        recipients,
        message_date,
        clock,
        transport or transport_for(settings.smtp),
        run_id,
        correction,
        sealed_pdf,
    )
    if failed:
        audit.set_run_status(run_id, "delivery-incomplete", clock())
        names = ", ".join(f"{r} ({why})" for r, why in failed)
        raise DeliveryError(
            f"report {ref.report_id}: {len(failed)} of {len(_unique(recipients))} deliveries did not go through: "
            f"{names}. Those the server could not take for now are retried (retry this run; only the deliveries "
            "not yet made are sent); those it refused for good are not"
        )

    bucket = settings.publication_bucket or settings.staging_bucket
    publication = publish(
        store,
        staged,
        bucket=bucket,
        prefix=settings.publication_prefix,
        contents=contents,
        public_base_url=public_base_url,
    )
    audit.record_objects(ref.report_id, "publication", publication.objects, clock())
    audit.set_run_status(run_id, "submitted", clock(), publication_url=publication.url)
    log.info(
        "report %s submitted: %d archived, %d sent now, %d sent before, published at %s",
        ref.report_id,
        len(archived),
        len(sent),
        len(skipped),
        publication.url,
    )
    return SubmissionResult(tuple(archived), tuple(sent), tuple(skipped), (), publication)


# -- verify ------------------------------------------------------------------------------------------------


def _archive_sealed(
    store: S3Store, settings: Settings, staged: Sequence[StoredObject], contents: Mapping[str, bytes], sealed: bytes
) -> StoredObject:
    """Archive the PAdES-sealed PDF beside the approved one, after proving it begins with exactly the bytes the
    signed manifest lists for report.pdf (an incremental update appends; it never rewrites)."""
    from csa_report.filing.seal import SEALED_NAME, check_prefix

    approved = contents["report.pdf"]
    check_prefix(
        sealed,
        manifest_hashes(contents[MANIFEST]).get("report.pdf", hashlib.sha256(approved).hexdigest()),
        len(approved),
    )
    pdf = next(o for o in staged if o.name == "report.pdf")
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
    for name, data in sorted(contents.items()):
        if name == MANIFEST:
            continue
        expected = listed.get(name)
        if expected is None:
            raise TamperedError(f"{by_name[name].uri} is not listed in the signed manifest")
        if hashlib.sha256(data).hexdigest() != expected:
            raise TamperedError(f"{by_name[name].uri} does not match the SHA-256 the signed manifest lists")
    missing = sorted(set(listed) - set(contents))
    if missing:
        raise TamperedError(f"artefacts listed in the signed manifest were not staged: {', '.join(missing)}")
    return contents


def manifest_hashes(manifest: bytes) -> dict[str, str]:
    """Artefact name → SHA-256 from the manifest's top-level ``artefacts`` (or ``artifacts`` / ``files``)
    section, listed as ``{name: {"sha256": …}}`` or as ``[{"name"|"file"|"path": …, "sha256": …}]``. Other
    sections (e.g. the policy documents' hashes) are provenance, not artefacts, and are not read."""
    try:
        doc = json.loads(manifest)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TamperedError(f"the signed {MANIFEST} is not valid JSON") from None
    if not isinstance(doc, dict):
        return {}
    section = next((doc[k] for k in ARTEFACT_SECTIONS if k in doc), None)
    found: dict[str, str] = {}
    for name, sha in _entries(section):
        found[name.rsplit("/", 1)[-1]] = sha.lower()
    return found


def _entries(section: Any) -> Iterator[tuple[str, str]]:
    if isinstance(section, dict):
        for key, value in section.items():
            if isinstance(value, dict) and isinstance(value.get("sha256"), str):
                yield str(key), value["sha256"]
            elif isinstance(value, str) and len(value) == 64:
                yield str(key), value
    elif isinstance(section, list):
        for item in section:
            if not isinstance(item, dict) or not isinstance(item.get("sha256"), str):
                continue
            name = next((item[k] for k in ("name", "file", "filename", "path") if isinstance(item.get(k), str)), None)
            if name is not None:
                yield name, item["sha256"]


# -- deliver -----------------------------------------------------------------------------------------------


def _unique(recipients: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for role, address in recipients:
        key = address.strip().lower()
        if key not in seen:
            seen.add(key)
            out.append((role, address.strip()))
    return out


def message_text(ref: ReportRef, manifest_sha256: str, correction: Correction | None = None) -> tuple[str, str]:
    subject = f"Transparency report {ref.provider} {ref.period} (report {ref.report_id})"
    corrected = ""
    if correction is not None:
        # A correction says so first, in the subject and the opening of the body, so nobody files it as a duplicate.
        subject = (
            f"Corrected transparency report {ref.provider} {ref.period} (report {ref.report_id}, "
            f"supersedes {correction.supersedes})"
        )
        corrected = (
            f"This is a corrected version: it supersedes report {correction.supersedes}, which was sent "
            f"to you earlier for the same period, because: {correction.reason}\n\n"
        )
    body = (
        f"Dear Sir or Madam,\n\n"
        f"{corrected}"
        f"Please find attached the transparency report of {ref.provider} for the period {ref.period} "
        f"under Regulation (EU) 2021/1232, as a PDF and as machine-readable JSON.\n\n"
        f"Report id: {ref.report_id}\nManifest SHA-256: {manifest_sha256}\n\n"
        f"This message was sent once to each recipient by csa-report.\n"
    )
    return subject, body


def raise_unknown(
    audit: AuditLog, ref: ReportRef, run_id: int, recipients: Sequence[str], clock: Callable[[], datetime]
) -> NoReturn:
    """Stop the run as ``delivery-unknown`` with the two commands that settle each such delivery."""
    audit.set_run_status(run_id, "delivery-unknown", clock())
    first = recipients[0]
    raise DeliveryUnknown(
        f"report {ref.report_id}: the outcome of the delivery to {', '.join(recipients)} is unknown (claimed, no "
        f"answer recorded); nothing was marked submitted. Ask the recipient, then either `csa-report delivery "
        f"confirm {run_id} {first} --evidence TEXT` if it arrived, or `csa-report delivery resend {run_id} "
        f"{first}` to send it again with the same Message-ID"
    )


def _deliver_all(
    audit: AuditLog,
    settings: Settings,
    ref: ReportRef,
    contents: Mapping[str, bytes],
    manifest_sha256: str,
    recipients: Sequence[tuple[str, str]],
    message_date: datetime,
    clock: Callable[[], datetime],
    transport: Transport,
    run_id: int,
    correction: Correction | None = None,
    sealed_pdf: bytes | None = None,
) -> tuple[list[Delivered], list[str], list[tuple[str, str]]]:
    missing = [name for name, _ in ATTACHMENTS if name not in contents]
    if missing:
        raise InputError(f"report {ref.report_id}: {', '.join(missing)} not staged; nothing can be delivered")
    # The sealed PDF goes out under the approved file's name; its prefix was checked against the manifest.
    body_of = {**contents, **({"report.pdf": sealed_pdf} if sealed_pdf is not None else {})}
    attachments = [Attachment(name, ctype, body_of[name]) for name, ctype in ATTACHMENTS]
    subject, body = message_text(ref, manifest_sha256, correction)
    unique = _unique(recipients)
    ledger = ReportLedger(audit, ref.provider, ref.period, ref.report_id, transport.channel, {a: r for r, a in unique})
    sent: list[Delivered] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    me = claim_owner()
    for role, address in unique:
        msg = build_message(
            report_id=ref.report_id,
            sender=settings.smtp_from,
            recipient=address,
            subject=subject,
            body=body,
            attachments=attachments,
            date=message_date,
        )
        done = deliver_once(
            ledger,
            address,
            message_id(ref.report_id, address),
            partial(transport.send, Outgoing(ref.report_id, address, msg)),
            owner=me,
            wait_s=settings.delivery_claim_wait_s,
            clock=clock,
            # The outbox write is create-only and compares bytes, so writing again cannot make a second copy.
            retake_unknown=transport.channel == "outbox",
        )
        if done.status == "skipped":
            skipped.append(address)
        elif done.status == "unknown":
            unknown.append((address, done.detail))
        elif done.status == "refused":
            refused.append((address, done.detail))
            log.error(
                "delivery of report %s to %s (%s) refused for good: %s", ref.report_id, address, role, done.detail
            )
        elif done.status == "failed":
            failed.append((address, done.detail))
            log.warning("delivery of report %s to %s (%s) failed: %s", ref.report_id, address, role, done.detail)
        else:
            assert done.delivered is not None
            sent.append(done.delivered)
            log.info(
                "report %s delivered to %s (%s) via %s message_id=%s at %s",
                ref.report_id,
                address,
                role,
                done.delivered.channel,
                done.delivered.message_id,
                format_instant(message_date),
            )
    if unknown:
        raise_unknown(audit, ref, run_id, [r for r, _ in unknown], clock)
    if refused and not failed:
        audit.set_run_status(run_id, "delivery-incomplete", clock())
        raise RefusedError(_refused_text(ref, run_id, refused, len(unique)))
    return sent, skipped, failed + refused


def _refused_text(ref: ReportRef, run_id: int, refused: Sequence[tuple[str, str]], total: int) -> str:
    """Says what the server answered, what to fix, and that nothing will retry it on its own."""
    lines = "; ".join(why for _, why in refused)
    first = refused[0][0]
    return (
        f"report {ref.report_id}: {len(refused)} of {total} deliveries refused for good and not retried "
        f"(the others were made): {lines}. Fix what it names, then `csa-report delivery resend {run_id} {first}`"
    )
