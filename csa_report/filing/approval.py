"""Human sign-off (workflow.md step 5): the form, its rules and the description shown above it. No Prefect here.

The flow stops and shows a form (:class:`SignOff`) with a description (csa_report/filing/review.py);
the stopping, waiting and asking again live in the task layer (csa_report/tasks/signoff.py), which turns the
form into a Prefect ``RunInput``.

Every constraint of the form is part of its JSON schema, so the Prefect server refuses malformed answers
(empty reviewer, malformed hash, unknown decision) and the run keeps waiting. The rules the schema cannot
express (allow-list, four-eyes, hash of the staged manifest) are checked by :func:`judge` in the flow; a
refused answer is recorded as a :class:`Refusal` and the flow asks again under a new key (``signoff-2``, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import ConfigDict, Field

from csa_report.audit import SignoffRecord
from csa_report.errors import InputError
from csa_report.filing.sshsig import (
    NAMESPACE,
    REJECT_NAMESPACE,
    SignatureRefused,
    Verified,
    namespace_of,
    sign,
    verify,
)
from csa_report.policies.models import PolicySet, person_key

__all__ = [
    "REFUSAL_LOG",
    "REVIEWER_PATTERN",
    "SHA256_PATTERN",
    "UNVERIFIED_SIGNER",
    "Refusal",
    "SignOff",
    "SignatureCheck",
    "SignedSignOff",
    "Verdict",
    "command_line_approval",
    "explain_refusal",
    "judge",
    "judge_signed",
    "logged_refusal",
    "signature_check",
]

#: At least two visible characters on one line; spaces or tabs around the name are allowed (a pasted name often
#: carries them) and ignored by :func:`judge` (JSON-schema regex, understood by the server and the UI).
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


class SignedSignOff(pydantic.BaseModel):
    """The sign-off form when the approvers have OpenSSH keys: the armoured SSH signature over manifest.json
    replaces the typed name and hash. The approver is whoever owns the key that verifies it and the signature
    covers the manifest's exact bytes, so the form asks for neither (no ignored field to fill in)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"] = Field(
        description="approve: submit this exact report to the authorities. reject: stop; the staged copy is kept."
    )
    comment: str = Field("", max_length=4000, description="Why you approve or reject; recorded in the audit trail.")
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
class Verdict:
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


#: How the flow logs each refused answer; :func:`logged_refusal` reads it back (the CLI, for a form that stores
#: no structured review).
REFUSAL_LOG = "sign-off answer %s refused: %s"


def logged_refusal(message: str) -> str | None:
    """``"KEY: REASON"`` of a log line written with :data:`REFUSAL_LOG`, else None."""
    head, _, tail = REFUSAL_LOG.partition("%s")
    middle = tail.partition("%s")[0]
    if not message.startswith(head) or middle not in message:
        return None
    key, reason = message.removeprefix(head).split(middle, 1)
    return f"{key}: {reason}"


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


def judge(answer: SignOff, *, approvers: Iterable[str], preparer: str, manifest_sha256: str) -> Verdict:
    """Apply the rules the form cannot: the reviewer is an approver, is not the preparer (names compared
    trimmed and case-insensitively) and confirms the hash of the staged manifest. Same rules for both decisions:
    a rejection is an official act too."""
    reviewer = person_key(answer.reviewer)
    allowed = {person_key(a) for a in approvers if a.strip()}
    if not allowed:
        return Verdict(False, "no approvers are configured for this provider", answer)
    if reviewer not in allowed:
        return Verdict(False, f"reviewer {answer.reviewer!r} is not among the provider's approvers", answer)
    if reviewer == person_key(preparer):
        return Verdict(
            False,
            f"reviewer {answer.reviewer!r} prepared this report; the four-eyes rule needs another approver",
            answer,
        )
    expected = manifest_sha256.strip().lower()
    if answer.manifest_sha256.strip().lower() != expected:
        return Verdict(
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
    return Verdict(True, f"{verb} by {canonical}", answer)


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


def judge_signed(answer: SignedSignOff, check: SignatureCheck, *, manifest_sha256: str) -> Verdict:
    """A signed answer: accepted when its signature verifies over the manifest with an approver's key, in the
    namespace of the answer's decision (an approval's signature never stands for a rejection, nor the reverse).
    The answer is rewritten with the key owner's canonical name and the manifest's hash, whatever was typed; a
    refused answer carries the key owner's name when the key is known, else :data:`UNVERIFIED_SIGNER`."""
    text = answer.signature

    def as_recorded(signer: str) -> SignOff:
        return SignOff(
            decision=answer.decision, reviewer=signer, manifest_sha256=manifest_sha256, comment=answer.comment
        )

    try:
        found = verify(
            check.manifest,
            text,
            approvers=check.approver_keys,
            preparer_keys=check.preparer_keys,
            namespace=namespace_of(answer.decision),
        )
    except SignatureRefused as exc:
        return Verdict(False, str(exc), as_recorded(exc.signer or UNVERIFIED_SIGNER))
    if check.preparer.strip() and person_key(found.signer) == person_key(check.preparer):
        return Verdict(
            False,
            f"the signature was made with the key of {found.signer}, who prepared this report; "
            "the four-eyes rule needs another approver",
            as_recorded(found.signer),
        )
    canonical = as_recorded(found.signer)
    verb = "approved" if answer.decision == "approve" else "rejected"
    return Verdict(True, f"{verb} by {found.signer} (SSH key {found.fingerprint})", canonical, found)


# --- the rule applied to a policy set, and the up-front approval ------------------------


def signature_check(policies: PolicySet, manifest: bytes) -> SignatureCheck | None:
    """What a signed sign-off of ``manifest`` is verified against, or None when the approvers have no keys."""
    p = policies.provider
    keys = p.approver_keys()
    return SignatureCheck(manifest, keys, p.preparer_keys(), p.preparer) if keys else None


def command_line_approval(
    reviewer: str,
    policies: PolicySet,
    report_id: str,
    manifest_sha256: str,
    run_id: int,
    decided_at: datetime,
    manifest: bytes = b"",
    approve_key: str | None = None,
) -> SignoffRecord:
    """An approval given up front (``--approve-as``, the demo's ``demo-reviewer``), held to the same rules as a
    form: the reviewer must be an approver and must not be the preparer. Recorded as automatic. When the
    approvers have keys it must be signed too (``approve_key``), and the key must be the reviewer's."""
    p = policies.provider
    check = signature_check(policies, manifest)
    if check is not None:
        if not approve_key:
            raise InputError(
                f"--approve-as {reviewer!r}: provider.md lists the approvers' SSH keys, so an approval "
                "must be signed: give --key with the reviewer's private key"
            )
        found = verify(
            manifest,
            sign(manifest, Path(approve_key)),
            approvers=check.approver_keys,
            preparer_keys=check.preparer_keys,
        )
        if person_key(found.signer) != person_key(reviewer):
            raise InputError(f"--approve-as {reviewer!r}: the key given belongs to {found.signer}")
        if person_key(found.signer) == person_key(p.preparer):
            raise InputError(f"--approve-as {reviewer!r}: the preparer cannot sign off their own report (four eyes)")
        return SignoffRecord(
            report_id=report_id,
            decision="approve",
            reviewer=found.signer,
            manifest_sha256=manifest_sha256,
            decided_at=decided_at,
            comment="approved up front on the command line (--approve-as, signed)",
            automatic=True,
            run_id=run_id,
            signature=found.signature,
            key_fingerprint=found.fingerprint,
        )
    # The same rule as the typed form (judge): case and spaces do not matter; recorded as provider.md lists it.
    verdict = judge(
        # Not validated as a form answer: a malformed name is refused by the rule below with its own message.
        SignOff.model_construct(decision="approve", reviewer=reviewer, manifest_sha256=manifest_sha256, comment=""),
        approvers=p.approvers,
        preparer=p.preparer,
        manifest_sha256=manifest_sha256,
    )
    if not verdict.accepted:
        raise InputError(f"--approve-as {reviewer!r}: {_up_front_reason(verdict, p.approvers)}")
    return SignoffRecord(
        report_id=report_id,
        decision="approve",
        reviewer=verdict.answer.reviewer,
        manifest_sha256=manifest_sha256,
        decided_at=decided_at,
        comment="approved up front on the command line (--approve-as)",
        automatic=True,
        run_id=run_id,
    )


def _up_front_reason(verdict: Verdict, approvers: Iterable[str]) -> str:
    """The command line's wording of a refused up-front approval (kept as it was before the rule was shared)."""
    if "prepared this report" in verdict.reason:
        return "the preparer cannot sign off their own report (four eyes)"
    return f"not among the approvers of provider.md ({', '.join(approvers)})"
