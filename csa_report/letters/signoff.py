"""The sign-off request the approvers receive, by e-mail and in chat: what they are asked to approve (the same
summary the report opens with), whether it corrects an earlier filing and why, how to answer in this
installation's mode (sign manifest.json with an SSH key, or confirm its SHA-256 in the form: never both), how
long the review links work, and, after a refused answer, who tried what and why it was refused.

Pure: the mail package sends what :func:`signoff_message` builds; the chat automation (a Prefect automation)
renders :data:`CHAT_SUBJECT` and :data:`CHAT_BODY` itself, from the payload of :func:`chat_payload`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from csa_report.filing.approval import UNVERIFIED_SIGNER
from csa_report.letters.submission import CorrectionNote
from csa_report.letters.text import as_sentence, clean_line
from csa_report.period import format_instant
from csa_report.policies.models import person_key

Cause = Literal["preparer", "not-an-approver", "other-manifest", "signature", "other"]


@dataclass(frozen=True)
class RefusedAnswer:
    """An answer the sign-off refused, in the terms the notification states it."""

    reviewer: str
    decision: str  # approve | reject
    cause: Cause
    detail: str

    @classmethod
    def of(
        cls,
        *,
        reviewer: str,
        decision: str,
        manifest_sha256: str,
        reason: str,
        preparer: str,
        approvers: Iterable[str],
        staged_sha256: str,
    ) -> RefusedAnswer:
        """Classified by the names and hashes themselves (as the sign-off compares them), not by the wording
        of ``reason``, which is kept as the detail."""
        who = person_key(reviewer)
        cause: Cause
        if reviewer == UNVERIFIED_SIGNER:
            cause = "signature"
        elif who == person_key(preparer):
            cause = "preparer"
        elif who not in {person_key(a) for a in approvers}:
            cause = "not-an-approver"
        elif manifest_sha256.strip() and manifest_sha256.strip().lower() != staged_sha256.strip().lower():
            cause = "other-manifest"
        else:
            cause = "other"
        return cls(reviewer=reviewer, decision=decision, cause=cause, detail=reason)

    def sentence(self) -> str:
        """'Aoife Byrne, the preparer, tried to approve: refused (four eyes).'"""
        name, verb = clean_line(self.reviewer), "reject" if self.decision == "reject" else "approve"
        if self.cause == "preparer":
            return f"{name}, the preparer, tried to {verb}: refused (four eyes)."
        if self.cause == "not-an-approver":
            return f"{name}, who is not among the approvers, tried to {verb}: refused (not an approver)."
        if self.cause == "other-manifest":
            return (
                f"{name} tried to {verb} another version of manifest.json: refused (its SHA-256 is not the "
                "staged manifest's)."
            )
        if self.cause == "signature":
            return f"An answer to {verb} was refused: {clean_line(self.detail)}."
        return f"{name} tried to {verb}: refused ({clean_line(self.detail)})."


@dataclass(frozen=True)
class SignoffNotice:
    """One sign-off request (``signoff-1``, ``signoff-2`` after a refusal, …) as the approvers are told of it."""

    provider: str
    period: str
    report_id: str
    manifest_sha256: str
    run_name: str
    #: The run's page in the Prefect UI (or its id when no UI address is known).
    run_url: str
    request_key: str
    approvers: tuple[str, ...]
    #: Approvers with an OpenSSH key in provider.md: non-empty means the sign-off is signed.
    signers: tuple[str, ...]
    #: The report's summary as plain-text lines (the summary page's, csa_report.summary).
    summary: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    links_valid_s: int
    links_expire: datetime
    deadline: datetime
    correction: CorrectionNote | None = None
    #: The figures that changed against the corrected filing, as plain-text lines.
    changed: tuple[str, ...] = ()
    refused: RefusedAnswer | None = None
    #: The refused answer was the last one this run takes: it fails, nothing is asked again.
    last: bool = False


def review_link_lifetime(review_link_seconds: int, signoff_timeout_s: int) -> int:
    """How long the presigned review links live: the setting, never longer than the sign-off may wait."""
    return max(1, min(review_link_seconds, signoff_timeout_s))


def duration_text(seconds: int) -> str:
    """'7 days', '36 hours', '1 day', '45 minutes': the largest unit the lifetime is a whole number of."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = max(1, seconds // 60)
    return f"{n} minute{'s' if n != 1 else ''}"


def subject_of(n: SignoffNotice) -> str:
    what = f"{clean_line(n.provider)}, {clean_line(n.period)} (report {clean_line(n.report_id)})"
    if n.refused is not None and n.last:
        return f"Sign-off refused, nothing is submitted: {what}"
    if n.refused is not None:
        return f"Sign-off still needed, an answer was refused: {what}"
    if n.correction is not None:
        return f"Sign-off needed: correction of report {clean_line(n.correction.supersedes)}, {what}"
    return f"Sign-off needed: {what}"


def signoff_message(n: SignoffNotice) -> tuple[str, str]:
    """Subject and plain-text body of the notification."""
    lines: list[str] = []
    if n.refused is not None and n.last:
        lines += [
            n.refused.sentence(),
            f"That was the last answer run {clean_line(n.run_name)} takes: it fails and nothing is submitted. "
            "Start a new run of the period to ask for the sign-off again.",
            "",
            f"Approvers: {', '.join(clean_line(a) for a in n.approvers)}. Request: {clean_line(n.request_key)}.",
        ]
        return subject_of(n), "\n".join(lines) + "\n"
    if n.refused is not None:
        lines += [n.refused.sentence(), "The report still waits for the sign-off of an approver.", ""]
    lines.append(
        f"The report of {clean_line(n.provider)} for {clean_line(n.period)} (report {clean_line(n.report_id)}) "
        "waits for your sign-off."
    )
    if n.correction is not None:
        sup = clean_line(n.correction.supersedes)
        lines.append(f"It is a correction of report {sup} because {as_sentence(n.correction.reason)}")
        if n.changed:
            lines += ["", f"Figures that changed against report {sup}:", *[f"  {clean_line(c)}" for c in n.changed]]
    lines += [
        "",
        "What the authority will read first (the report's summary):",
        # The summary's blank lines stay blank: they part its paragraphs as on the report's first page.
        *[f"  {clean_line(s)}" if s.strip() else "" for s in n.summary],
    ]
    lines += [
        "",
        f"Answer in the Prefect UI, run {clean_line(n.run_name)}: {clean_line(n.run_url)}",
        "(open the run, choose Resume, and fill in the form)",
        "",
    ]
    if n.signers:
        run = clean_line(n.run_name)
        lines += [
            "Sign manifest.json with your key:",
            f"  csa-report approve {run} --key ~/.ssh/id_ed25519 --sha256 {n.manifest_sha256}",
            "or sign the manifest.json you reviewed with `csa-report sign --manifest manifest.json --key",
            "~/.ssh/id_ed25519` and paste the whole signature block into the form. A rejection is signed",
            f"too (`csa-report reject {run} --key …`).",
            f"Who can sign: {', '.join(clean_line(s) for s in n.signers)}.",
        ]
    else:
        lines += ["Confirm the SHA-256 of manifest.json in the form; it must be:", f"  {n.manifest_sha256}"]
    lines += [
        "",
        f"Review the staged files. The links work for {duration_text(n.links_valid_s)}, until "
        f"{format_instant(n.links_expire)}, for anyone who has them: do not forward this e-mail.",
        *[f"  {clean_line(name)}: {url}" for name, url in n.links],
        "",
        f"Deadline: {format_instant(n.deadline)}. Without an answer by then the run fails and nothing is submitted.",
        "",
        f"Approvers: {', '.join(clean_line(a) for a in n.approvers)}. Request: {clean_line(n.request_key)}.",
    ]
    return subject_of(n), "\n".join(lines) + "\n"


# -- chat (a Prefect automation renders these on the server) --------------------------------------------------

#: The event the flow emits when it asks for a sign-off (resource: the flow run); the automation fires on it.
CHAT_EVENT: Final = "csa-report.signoff.requested"
#: Jinja rendered by the Prefect server, never by csa-report: ``event.payload`` is :func:`chat_payload`.
CHAT_SUBJECT: Final = (
    "Sign-off needed{{ event.payload.refused }}: {{ event.payload.provider }}, {{ event.payload.period }} "
    "(report {{ event.payload.report_id }})"
)
CHAT_BODY: Final = (
    "Report {{ event.payload.report_id }} of {{ event.payload.provider }} for {{ event.payload.period }}"
    "{{ event.payload.correction }} waits for sign-off. manifest.json SHA-256: {{ event.payload.manifest_sha256 }}. "
    "Deadline: {{ event.payload.deadline }}. Open the run, choose Resume and answer: {{ flow_run|ui_url }}"
)


def chat_payload(n: SignoffNotice) -> dict[str, str]:
    """The event payload :data:`CHAT_SUBJECT` and :data:`CHAT_BODY` read: plain strings, cleaned."""
    return {
        "provider": clean_line(n.provider),
        "period": clean_line(n.period),
        "report_id": clean_line(n.report_id),
        "manifest_sha256": clean_line(n.manifest_sha256),
        "deadline": format_instant(n.deadline),
        "request": clean_line(n.request_key),
        "correction": (
            f" (correction of report {clean_line(n.correction.supersedes)})" if n.correction is not None else ""
        ),
        "refused": " again (an answer was refused)" if n.refused is not None else "",
    }
