"""Prefect task ``submit`` (workflow.md steps 6 and 7): verify the staged bytes are the signed ones, archive them
under Object Lock, deliver the PDF and JSON once per recipient, publish. Every part is idempotent (create-only
writes, once-only delivery claims in the audit DB), so a retry or a re-run completes without duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import task

from csa_report.filing.guard import Correction
from csa_report.filing.submit import SubmissionResult, submit_report
from csa_report.letters.submission import LetterFacts, Signer, letter_composer
from csa_report.services import current
from csa_report.tasks.retry import retry_options
from csa_report.tasks.stage import StagedReport


@task(name="submit", persist_result=True, **retry_options())
def submit(
    staged: StagedReport,
    run_id: int,
    recipients: Sequence[tuple[str, str]],
    message_date: datetime,
    correction: Correction | None = None,
    sealed_pdf: bytes | None = None,
    letter: LetterFacts | None = None,
    signer: Signer | None = None,
) -> SubmissionResult:
    """``letter``: the formal submission e-mail's facts (csa_report/letters); without them the plain message."""
    services = current()
    settings = services.settings
    compose = (
        letter_composer(letter, sender=settings.smtp_from, signer=signer, sealed=sealed_pdf is not None)
        if letter is not None
        else None
    )
    return submit_report(
        store=services.store,
        audit=services.audit,
        settings=settings,
        ref=staged.ref,
        run_id=run_id,
        staged=staged.objects,
        manifest_sha256=staged.manifest_sha256,
        recipients=recipients,
        message_date=message_date,
        public_base_url=settings.publication_base_url,
        correction=correction,
        sealed_pdf=sealed_pdf,
        letter=compose,
    )
