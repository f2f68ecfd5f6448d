"""Human sign-off (workflow.md step 5): the form, its rules and the description shown above it. No Prefect here.

The flow stops and shows a form (:class:`SignOff`) with a markdown description (:func:`describe_for_reviewer`);
the stopping, waiting and asking again live in the task layer (csa_report/tasks/signoff.py), which turns the
form into a Prefect ``RunInput``.

Every constraint of the form is part of its JSON schema, so the Prefect server refuses malformed answers
(empty reviewer, malformed hash, unknown decision) and the run keeps waiting. The rules the schema cannot
express (allow-list, four-eyes, hash of the staged manifest) are checked by :func:`evaluate` in the flow; a
refused answer is recorded as a :class:`Refusal` and the flow asks again under a new key (``signoff-2``, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pydantic
from pydantic import ConfigDict, Field

from csa_report.filing.sshsig import NAMESPACE, REJECT_NAMESPACE, SignatureRefused, Verified, namespace_of, verify
from csa_report.policies.models import person_key

__all__ = [
    "REVIEWER_PATTERN",
    "SHA256_PATTERN",
    "UNVERIFIED_SIGNER",
    "Decision",
    "Refusal",
    "SignOff",
    "SignatureCheck",
    "SignedSignOff",
    "describe_for_reviewer",
    "evaluate",
    "evaluate_signed",
    "explain_refusal",
]

#: At least two visible characters on one line; spaces or tabs around the name are allowed (a pasted name often
#: carries them) and ignored by :func:`evaluate` (JSON-schema regex, understood by the server and the UI).
REVIEWER_PATTERN = r"^[ \t]*\S.*\S[ \t]*$"
#: 64 hex digits in either case (Windows tools print upper case), spaces or tabs around them allowed; compared
#: lower-cased.
SHA256_PATTERN = r"^[ \t]*[0-9a-fA-F]{64}[ \t]*$"


class SignOff(pydantic.BaseModel):
    """The sign-off form. Only JSON-schema constraints here (the server checks them on submit): a pydantic validator
    would be checked after the server accepted the answer and would fail the run instead of asking again."""

    # As Prefect's RunInput: an unknown field is a malformed answer (``additionalProperties: false``).
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"] = Field(
        description="approve: submit this exact report to the authorities. reject: stop; the staged copy is kept."
    )
    reviewer: str = Field(
        min_length=2,
        max_length=200,
        pattern=REVIEWER_PATTERN,
        description="Your name as listed among the provider's approvers (not the preparer of the report). "
        "Case and spaces around or between words do not matter; the name is recorded as listed.",
    )
    manifest_sha256: str = Field(
        pattern=SHA256_PATTERN,
        title="Manifest SHA-256",
        description="SHA-256 of the manifest.json you reviewed, as shown above: 64 hex digits, upper or lower "
        "case (`sha256sum`, `certutil` and `Get-FileHash` output all work).",
    )
    comment: str = Field("", max_length=4000, description="Why you approve or reject; recorded in the audit trail.")


class SignedSignOff(SignOff):
    """The sign-off form when the approvers have OpenSSH keys: the armoured SSH signature over manifest.json
    replaces the typed hash, and the approver is whoever owns the key that verifies it, so the name and hash
    fields are filled in by the flow and hidden behind their defaults."""

    reviewer: str = Field(
        "(from the signing key)",
        min_length=2,
        max_length=200,
        pattern=REVIEWER_PATTERN,
        description="Ignored: the approver recorded is the owner of the key that made the signature.",
    )
    manifest_sha256: str = Field(
        "0" * 64,
        pattern=SHA256_PATTERN,
        title="Manifest SHA-256",
        description="Ignored: the signature covers the manifest's exact bytes.",
    )
    signature: str = Field(
        min_length=40,
        max_length=20000,
        title="SSH signature",
        description="Output of `csa-report sign --manifest manifest.json --key ~/.ssh/id_ed25519` (or "
        f"`ssh-keygen -Y sign -n {NAMESPACE} -f KEY manifest.json`): the whole block from "
        "-----BEGIN SSH SIGNATURE----- to -----END SSH SIGNATURE-----. A rejection is signed "
        f"apart, with `csa-report sign --reject` (`-n {REJECT_NAMESPACE}`): a signature counts "
        "only for the decision it was made for.",
    )


@dataclass(frozen=True)
class Decision:
    """What the flow makes of one answer: ``accepted`` answers end the sign-off (approve or reject);
    refused ones are recorded and asked again."""

    accepted: bool
    reason: str
    answer: SignOff
    #: The verified SSH signature of a signed sign-off (None for the typed form).
    verified: Verified | None = None

    @property
    def approved(self) -> bool:
        return self.accepted and self.answer.decision == "approve"

    @property
    def rejected(self) -> bool:
        return self.accepted and self.answer.decision == "reject"


@dataclass(frozen=True)
class Refusal:
    """One refused answer, handed to the flow's callback (e.g. to write the audit trail)."""

    attempt: int
    key: str
    reviewer: str
    decision: str
    manifest_sha256: str
    comment: str
    reason: str
    #: Id of the stored flow-run input (unique per answer; lets a callback stay idempotent).
    input_id: str | None = None
    #: The refused SSH signature as given (signed sign-off), kept for the record.
    signature: str | None = None


#: What each field accepts, in words: the server's refusal quotes a regular expression, which helps nobody.
ACCEPTED = {
    "manifest_sha256": "the manifest SHA-256 is 64 hex digits, upper or lower case",
    "reviewer": "the reviewer is your name as listed among the approvers, at least 2 characters on one line",
    "decision": "the decision is approve or reject",
    "comment": "the comment is at most 4000 characters",
}


def explain_refusal(reason: str) -> str:
    """The server's validation message with what the field accepts, in words, appended."""
    for name, words in ACCEPTED.items():
        if f"'{name}'" in reason or f"field {name}" in reason:
            return f"{reason} ({words})"
    return reason


#: Recorded as the reviewer of a refused signed answer whose key is none of provider.md's: the typed name is
#: ignored in signed mode and must not be recorded as if someone had signed.
UNVERIFIED_SIGNER = "(unverified signature)"


def evaluate(answer: SignOff, *, approvers: Iterable[str], preparer: str, manifest_sha256: str) -> Decision:
    """Apply the rules the form cannot: the reviewer is an approver, is not the preparer (names compared
    trimmed and case-insensitively) and confirms the hash of the staged manifest. Same rules for both decisions:
    a rejection is an official act too."""
    reviewer = person_key(answer.reviewer)
    allowed = {person_key(a) for a in approvers if a.strip()}
    if not allowed:
        return Decision(False, "no approvers are configured for this provider", answer)
    if reviewer not in allowed:
        return Decision(False, f"reviewer {answer.reviewer!r} is not among the provider's approvers", answer)
    if reviewer == person_key(preparer):
        return Decision(
            False,
            f"reviewer {answer.reviewer!r} prepared this report; the four-eyes rule needs another approver",
            answer,
        )
    expected = manifest_sha256.strip().lower()
    if answer.manifest_sha256.strip().lower() != expected:
        return Decision(
            False,
            f"manifest SHA-256 {answer.manifest_sha256[:12]}… does not match the staged "
            f"manifest {expected[:12]}…; review the current version",
            answer,
        )
    # Recorded canonically: the name as provider.md lists it, the hash in lower case.
    canonical = next(a.strip() for a in approvers if a.strip() and person_key(a) == reviewer)
    answer = answer.model_copy(
        update={"reviewer": canonical, "manifest_sha256": expected, "comment": answer.comment.strip()}
    )
    verb = "approved" if answer.decision == "approve" else "rejected"
    return Decision(True, f"{verb} by {canonical}", answer)


@dataclass(frozen=True)
class SignatureCheck:
    """What a signed sign-off is verified against: the staged manifest's exact bytes and the keys of
    provider.md (approvers' keys may sign; the preparer's never)."""

    manifest: bytes
    approver_keys: Mapping[str, str]
    preparer_keys: Mapping[str, str]
    #: The preparer's name: refused as a signer by name too (compared like the typed form's names), even when
    #: provider.md lists no key for them.
    preparer: str = ""


def evaluate_signed(answer: SignOff, check: SignatureCheck, *, manifest_sha256: str) -> Decision:
    """A signed answer: accepted when its signature verifies over the manifest with an approver's key, in the
    namespace of the answer's decision (an approval's signature never stands for a rejection, nor the reverse).
    The answer is rewritten with the key owner's canonical name and the manifest's hash, whatever was typed; a
    refused answer carries the key owner's name when the key is known, else :data:`UNVERIFIED_SIGNER`."""
    text = getattr(answer, "signature", "")
    try:
        found = verify(
            check.manifest,
            text,
            approvers=check.approver_keys,
            preparer_keys=check.preparer_keys,
            namespace=namespace_of(answer.decision),
        )
    except SignatureRefused as exc:
        return Decision(False, str(exc), answer.model_copy(update={"reviewer": exc.signer or UNVERIFIED_SIGNER}))
    if check.preparer.strip() and person_key(found.signer) == person_key(check.preparer):
        return Decision(
            False,
            f"the signature was made with the key of {found.signer}, who prepared this report; "
            "the four-eyes rule needs another approver",
            answer.model_copy(update={"reviewer": found.signer}),
        )
    canonical = SignOff(
        decision=answer.decision, reviewer=found.signer, manifest_sha256=manifest_sha256, comment=answer.comment
    )
    verb = "approved" if answer.decision == "approve" else "rejected"
    return Decision(True, f"{verb} by {found.signer} (SSH key {found.fingerprint})", canonical, found)


# --- the description shown above the form ------------------------------------------------------------------


def _cell(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def describe_for_reviewer(
    *,
    title: str,
    manifest_sha256: str,
    key_figures: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    findings: Sequence[str] = (),
    links: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    preparer: str | None = None,
    approvers: Sequence[str] = (),
    links_expire: str | None = None,
    deadline: str | None = None,
) -> str:
    """The markdown shown above the sign-off form. Plain inputs only: ``key_figures`` as (label, value) pairs,
    ``findings`` as one line each, ``links`` as (file name, presigned URL), ``deadline`` as one line (DEADLINE-1,
    see csa_report.deadline)."""
    lines = [f"## Sign-off: {title}", ""]
    if deadline:
        lines += [f"**Deadline (Art. 3(1)(g)(vii)):** {_cell(deadline)}", ""]
    figures = list(key_figures.items()) if isinstance(key_figures, Mapping) else list(key_figures)
    if figures:
        lines += ["| Key figure | Value |", "|---|---:|"]
        lines += [f"| {_cell(label)} | {_cell(value)} |" for label, value in figures]
        lines.append("")
    if findings:
        lines += [f"**Findings ({len(findings)}):**", ""]
        lines += [f"- {_cell(f)}" for f in findings]
    else:
        lines.append("No findings.")
    lines.append("")
    pairs = list(links.items()) if isinstance(links, Mapping) else list(links)
    if pairs:
        expiry = f" (links valid until {links_expire})" if links_expire else ""
        lines += [
            f"**Review the staged files{expiry}:** "
            + " · ".join(f"[{_cell(name)}]({_url(url)})" for name, url in pairs),
            "",
        ]
    lines += [
        "**Confirm the manifest you reviewed.** Its SHA-256 (`sha256sum manifest.json`) must be:",
        "",
        "```",
        manifest_sha256,
        "```",
        "",
        f"(in groups: {' '.join(manifest_sha256[i : i + 16] for i in range(0, len(manifest_sha256), 16))})",
        "",
    ]
    who = []
    if approvers:
        who.append("approvers: " + ", ".join(approvers))
    if preparer:
        who.append(f"prepared by {preparer}, who cannot sign off")
    if who:
        text = "; ".join(who)
        lines += [text[0].upper() + text[1:] + ".", ""]
    return "\n".join(lines)
