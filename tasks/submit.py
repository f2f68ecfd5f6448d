"""Prefect task ``submit`` (workflow.md steps 6 and 7): verify the staged bytes are the signed ones, archive them
under Object Lock, deliver the PDF and JSON once per recipient, publish. Every part is idempotent (create-only
writes, once-only delivery claims in the audit DB), so a retry or a re-run completes without duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import task

from csa_report.filing.guard import Correction
from csa_report.filing.submit import SubmissionResult, submit_report
from csa_report.letters.instruments import instruments_from_reference
from csa_report.letters.sender import check_sender
from csa_report.letters.submission import (
    CorrectionNote,
    LetterFacts,
    Signer,
    letter_composer,
    letter_facts,
    validate_letter_inputs,
)
from csa_report.period import Period
from csa_report.policies import PolicySet
from csa_report.services import current
from csa_report.tasks.retry import retry_options
from csa_report.tasks.stage import StagedReport


def submission_letter(
    policy_set: PolicySet, period: Period, report_id: str, correction: Correction | None, recipients: Sequence[str]
) -> LetterFacts:
    """The formal letter's facts, checked before anything is staged: a sender an authority cannot answer, or a
    provider, contact or DPO that cannot go into a header, stops the run here (exit 2), never after the WORM
    archive. Only `csa-report demo` (``settings.demo``) may keep the demo's sender: a run that writes its e-mails to
    the outbox needs the provider's own too, since whoever forwards them sends them as the provider's submission."""
    settings = current().settings
    sender = check_sender(settings, demo=settings.demo)
    note = CorrectionNote(correction.supersedes, correction.reason) if correction is not None else None
    facts = letter_facts(
        policy_set.provider, period, report_id, instruments=instruments_from_reference(period), correction=note
    )
    validate_letter_inputs(facts, sender=sender, recipients=recipients)
    return facts


def signer_of(policy_set: PolicySet, reviewer: str, signature: str | None) -> Signer | None:
    """Who signed manifest.json, with the key provider.md lists for them (None for a typed sign-off)."""
    key = policy_set.provider.approver_keys().get(reviewer)
    return Signer(reviewer, key) if signature and key else None


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
