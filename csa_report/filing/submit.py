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
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, Protocol

from csa_report.artefacts import REPORT_PDF
from csa_report.audit.log import AuditLog, FindingRecord
from csa_report.errors import DeliveryError, DeliveryUnknown, InputError, TamperedError, UnreachableError
from csa_report.filing.guard import Correction
from csa_report.filing.mail.transport import Attachment, Delivered, DeliveryProgress, deliver, message_id
from csa_report.filing.manifest import MANIFEST, check_listing, manifest_hashes
from csa_report.period import Period, format_instant, utc_now
from csa_report.settings import Settings, SmtpSettings
from csa_report.storage.objects import S3Store, StoredObject
from csa_report.storage.report import Publication, ReportRef, archive, archive_key, publish, verify_staged

log = logging.getLogger(__name__)

ATTACHMENTS = ((REPORT_PDF, "application/pdf"), ("report.json", "application/json"))


class Sender(Protocol):
    def __call__(
        self,
        settings: SmtpSettings,
        *,
        report_id: str,
        recipient: str,
        subject: str,
        body: str,
        attachments: Sequence[Attachment],
        date: datetime,
        progress: DeliveryProgress | None = None,
    ) -> Delivered: ...


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
    send: Sender = deliver,
    public_base_url: str | None = None,
    correction: Correction | None = None,
    sealed_pdf: bytes | None = None,
) -> SubmissionResult:
    """Submit the signed-off report ``ref`` whose staged versions are ``staged`` and whose manifest has the
    signed SHA-256 ``manifest_sha256``, to ``recipients`` as (role, address) pairs.

    Raises TamperedError (exit 5) when the staged bytes are not the signed ones (nothing is archived or sent);
    DeliveryError (exit 3) when a delivery failed (after the others were made; it is retried on the next run);
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
        send,
        run_id,
        correction,
        sealed_pdf,
    )
    if failed:
        audit.set_run_status(run_id, "delivery-incomplete", clock())
        names = ", ".join(f"{r} ({why})" for r, why in failed)
        raise DeliveryError(
            f"report {ref.report_id}: {len(failed)} of {len(_unique(recipients))} deliveries failed and will be "
            f"retried on the next run: {names}"
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


def claim_owner() -> str:
    """Who holds a claim: host and process id, so a later run on this host can tell a dead claimer."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def _alive(owner: str | None) -> bool:
    """False only when ``owner`` is a process on this host that no longer exists; unknown hosts count as alive."""
    if not owner:
        return False
    host, _, pid_text = owner.partition(" pid ")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _claim(
    audit: AuditLog,
    key: tuple[str, Period, str, str],
    channel: str,
    role: str,
    me: str,
    wait_s: float,
    clock: Callable[[], datetime],
) -> str:
    """``claimed``, ``done`` or ``unknown``. A claim held by a live process (a concurrent run) is waited for, up
    to ``wait_s``; one whose process died, or that outlives the wait, has an unknown outcome."""
    deadline = time.monotonic() + wait_s
    while True:
        claim = audit.claim(*key, channel=channel, at=clock(), role=role, owner=me)
        if claim.outcome != "pending":
            return claim.outcome
        if not _alive(claim.owner) or time.monotonic() >= deadline:
            audit.mark_unknown(
                *key,
                detail=f"claim by {claim.owner or 'an earlier run'} never answered (the "
                "process stopped between claim and answer)",
                at=clock(),
            )
            return "unknown"
        time.sleep(0.1)


def _recorder(
    audit: AuditLog, key: tuple[str, Period, str, str], address: str, clock: Callable[[], datetime]
) -> Callable[[str], None]:
    def accepted(reply: str) -> None:
        audit.mark_accepted(*key, message_id=message_id(key[2], address), detail=reply, at=clock())

    return accepted


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
    send: Sender,
    run_id: int,
    correction: Correction | None = None,
    sealed_pdf: bytes | None = None,
) -> tuple[list[Delivered], list[str], list[tuple[str, str]]]:
    missing = [name for name, _ in ATTACHMENTS if name not in contents]
    if missing:
        raise InputError(f"report {ref.report_id}: {', '.join(missing)} not staged; nothing can be delivered")
    # The sealed PDF goes out under the approved file's name; its prefix was checked against the manifest.
    body_of = {**contents, **({REPORT_PDF: sealed_pdf} if sealed_pdf is not None else {})}
    attachments = [Attachment(name, ctype, body_of[name]) for name, ctype in ATTACHMENTS]
    subject, body = message_text(ref, manifest_sha256, correction)
    channel = "smtp" if settings.smtp_host else "outbox"
    sent: list[Delivered] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    me = claim_owner()
    for role, address in _unique(recipients):
        key = (ref.provider, ref.period, ref.report_id, address)
        claim = _claim(audit, key, channel, role, me, settings.delivery_claim_wait_s, clock)
        if claim == "done":
            skipped.append(address)
            continue
        if claim == "unknown":
            if channel != "outbox" or not audit.begin_resend(*key, owner=me, at=clock()):
                unknown.append((address, "an earlier attempt's outcome is unknown"))
                continue
            # The outbox write is create-only and compares bytes, so writing again cannot make a second copy.
        progress = DeliveryProgress(on_accepted=_recorder(audit, key, address, clock))
        try:
            done = send(
                settings.smtp,
                report_id=ref.report_id,
                recipient=address,
                subject=subject,
                body=body,
                attachments=attachments,
                date=message_date,
                progress=progress,
            )
        except DeliveryUnknown as exc:
            audit.mark_unknown(*key, detail=str(exc), at=clock())
            unknown.append((address, str(exc)))
            continue
        except (DeliveryError, UnreachableError) as exc:
            audit.mark_failed(*key, detail=str(exc), at=clock())
            failed.append((address, str(exc)))
            log.warning("delivery of report %s to %s (%s) failed: %s", ref.report_id, address, role, exc)
            continue
        except BaseException as exc:
            # Interrupted: what the next run may do depends on how far the message got.
            if progress.stage == "connecting":
                audit.mark_failed(*key, detail=f"interrupted before sending: {type(exc).__name__}", at=clock())
            elif progress.stage == "data-sent":
                audit.mark_unknown(
                    *key, detail=f"interrupted awaiting the server's answer: {type(exc).__name__}", at=clock()
                )
            else:
                audit.mark_delivered(
                    *key, message_id=message_id(ref.report_id, address), detail=progress.reply, at=clock()
                )
            raise
        audit.mark_delivered(*key, message_id=done.message_id, detail=done.detail, at=clock(), channel=done.channel)
        sent.append(done)
        log.info(
            "report %s delivered to %s (%s) via %s message_id=%s at %s",
            ref.report_id,
            address,
            role,
            done.channel,
            done.message_id,
            format_instant(message_date),
        )
    if unknown:
        raise_unknown(audit, ref, run_id, [r for r, _ in unknown], clock)
    return sent, skipped, failed
