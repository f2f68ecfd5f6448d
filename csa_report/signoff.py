"""Human sign-off in the Prefect UI (workflow.md step 5).

The flow stops and shows a form (:class:`SignOff`) with a markdown description (:func:`describe_for_reviewer`).
From a deployment it *suspends* (the process exits; on resume Prefect runs the flow again from the top and the
already answered suspensions replay their stored answers); without one it *pauses* (the process waits).

Every constraint of the form is part of its JSON schema, so the Prefect server refuses malformed answers
(empty reviewer, malformed hash, unknown decision) and the run keeps waiting. The rules the schema cannot
express (allow-list, four-eyes, hash of the staged manifest) are checked by :func:`evaluate` in the flow; a
refused answer is recorded through a callback and the flow asks again under a new key (``signoff-2``, …), up to
``max_refusals`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import pydantic
from prefect import task
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.logging import get_run_logger
from pydantic import Field

from csa_report.errors import ConfigError, SignOffRefused, SignOffTimeout
from csa_report.sshsig import SignatureRefused, Verified, verify

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRunInput

__all__ = [
    "DEFAULT_MAX_REFUSALS",
    "REVIEWER_PATTERN",
    "SHA256_PATTERN",
    "Decision",
    "Refusal",
    "SignOff",
    "SignatureCheck",
    "SignedSignOff",
    "describe_for_reviewer",
    "evaluate",
    "evaluate_signed",
    "explain_refusal",
    "request_signoff",
    "running_from_deployment",
    "signoff_key",
    "stored_answer",
    "wait_for_signoff",
]

#: At least two visible characters on one line; spaces or tabs around the name are allowed (a pasted name often
#: carries them) and ignored by :func:`evaluate` (JSON-schema regex, understood by the server and the UI).
REVIEWER_PATTERN = r"^[ \t]*\S.*\S[ \t]*$"
#: 64 hex digits in either case (Windows tools print upper case), spaces or tabs around them allowed; compared
#: lower-cased.
SHA256_PATTERN = r"^[ \t]*[0-9a-fA-F]{64}[ \t]*$"
DEFAULT_MAX_REFUSALS = 3
DEFAULT_POLL_INTERVAL_S = 10

R = TypeVar("R", bound=RunInput)


class SignOff(RunInput):
    """The sign-off form. Only JSON-schema constraints here (the server checks them on submit): a pydantic validator
    would be checked after the server accepted the answer and would fail the run instead of asking again."""

    decision: Literal["approve", "reject"] = Field(
        description="approve: submit this exact report to the authorities. reject: stop; the staged copy is kept.")
    reviewer: str = Field(
        min_length=2, max_length=200, pattern=REVIEWER_PATTERN,
        description="Your name as listed among the provider's approvers (not the preparer of the report). "
                    "Case and spaces around or between words do not matter; the name is recorded as listed.")
    manifest_sha256: str = Field(
        pattern=SHA256_PATTERN, title="Manifest SHA-256",
        description="SHA-256 of the manifest.json you reviewed, as shown above: 64 hex digits, upper or lower "
                    "case (`sha256sum`, `certutil` and `Get-FileHash` output all work).")
    comment: str = Field(
        "", max_length=4000, description="Why you approve or reject; recorded in the audit trail.")

    @classmethod
    def with_initial_data(cls: type[R], description: str | None = None, **kwargs: Any) -> type[R]:
        """Like ``RunInput.with_initial_data`` but keeps each field's constraints and help text (the base
        version rebuilds the field from its annotation alone, which would drop ``pattern`` and ``min_length``
        from the schema the server validates against)."""
        fields: dict[str, Any] = {}
        for name, value in kwargs.items():
            original = cls.model_fields.get(name)
            if original is None:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            info = _copy_field(original, value)
            fields[name] = (original.annotation, info)
        model: type[R] = pydantic.create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model._description = description  # how RunInput carries it
        return model


class SignedSignOff(SignOff):
    """The sign-off form when the approvers have OpenSSH keys: the armoured SSH signature over manifest.json
    replaces the typed hash, and the approver is whoever owns the key that verifies it, so the name and hash
    fields are filled in by the flow and hidden behind their defaults."""

    reviewer: str = Field(
        "(from the signing key)", min_length=2, max_length=200, pattern=REVIEWER_PATTERN,
        description="Ignored: the approver recorded is the owner of the key that made the signature.")
    manifest_sha256: str = Field(
        "0" * 64, pattern=SHA256_PATTERN, title="Manifest SHA-256",
        description="Ignored: the signature covers the manifest's exact bytes.")
    signature: str = Field(
        min_length=40, max_length=20000, title="SSH signature",
        description="Output of `csa-report sign --manifest manifest.json --key ~/.ssh/id_ed25519` (or "
                    "`ssh-keygen -Y sign -n csa-report -f KEY manifest.json`): the whole block from "
                    "-----BEGIN SSH SIGNATURE----- to -----END SSH SIGNATURE-----.")


def _copy_field(original: pydantic.fields.FieldInfo, default: Any) -> pydantic.fields.FieldInfo:
    info: pydantic.fields.FieldInfo = Field(
        default, description=original.description, title=original.title)
    info.metadata = list(original.metadata)
    return info


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


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def evaluate(answer: SignOff, *, approvers: Iterable[str], preparer: str, manifest_sha256: str) -> Decision:
    """Apply the rules the form cannot: the reviewer is an approver, is not the preparer (names compared
    trimmed and case-insensitively) and confirms the hash of the staged manifest. Same rules for both decisions:
    a rejection is an official act too."""
    reviewer = _norm(answer.reviewer)
    allowed = {_norm(a) for a in approvers if a.strip()}
    if not allowed:
        return Decision(False, "no approvers are configured for this provider", answer)
    if reviewer not in allowed:
        return Decision(False, f"reviewer {answer.reviewer!r} is not among the provider's approvers", answer)
    if reviewer == _norm(preparer):
        return Decision(False, f"reviewer {answer.reviewer!r} prepared this report; the four-eyes rule needs "
                               "another approver", answer)
    expected = manifest_sha256.strip().lower()
    if answer.manifest_sha256.strip().lower() != expected:
        return Decision(False, f"manifest SHA-256 {answer.manifest_sha256[:12]}… does not match the staged "
                               f"manifest {expected[:12]}…; review the current version", answer)
    # Recorded canonically: the name as provider.md lists it, the hash in lower case.
    canonical = next(a.strip() for a in approvers if a.strip() and _norm(a) == reviewer)
    answer = answer.model_copy(update={"reviewer": canonical, "manifest_sha256": expected,
                                       "comment": answer.comment.strip()})
    verb = "approved" if answer.decision == "approve" else "rejected"
    return Decision(True, f"{verb} by {canonical}", answer)


@dataclass(frozen=True)
class SignatureCheck:
    """What a signed sign-off is verified against: the staged manifest's exact bytes and the keys of
    provider.md (approvers' keys may sign; the preparer's never)."""

    manifest: bytes
    approver_keys: Mapping[str, str]
    preparer_keys: Mapping[str, str]


def evaluate_signed(answer: SignOff, check: SignatureCheck, *, manifest_sha256: str) -> Decision:
    """A signed answer: accepted when its signature verifies over the manifest with an approver's key. The
    answer is rewritten with the key owner's canonical name and the manifest's hash, whatever was typed."""
    text = getattr(answer, "signature", "")
    try:
        found = verify(check.manifest, text, approvers=check.approver_keys, preparer_keys=check.preparer_keys)
    except SignatureRefused as exc:
        return Decision(False, str(exc), answer)
    canonical = SignOff(decision=answer.decision, reviewer=found.signer, manifest_sha256=manifest_sha256,
                        comment=answer.comment)
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
        lines += [f"**Review the staged files{expiry}:** "
                  + " · ".join(f"[{_cell(name)}]({_url(url)})" for name, url in pairs), ""]
    lines += [
        "**Confirm the manifest you reviewed.** Its SHA-256 (`sha256sum manifest.json`) must be:",
        "",
        "```",
        manifest_sha256,
        "```",
        "",
        f"(in groups: {' '.join(manifest_sha256[i:i + 16] for i in range(0, len(manifest_sha256), 16))})",
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


# --- waiting for the answer --------------------------------------------------------------------------------


def running_from_deployment() -> bool:
    """True when the current flow run belongs to a deployment and may therefore suspend (its process exits
    and a runner or worker starts it again on resume). Subflows cannot suspend, so they count as ad hoc."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        raise RuntimeError("sign-off can only be requested inside a flow run")
    if ctx.flow_run.parent_task_run_id is not None:
        return False
    if ctx.flow_run.deployment_id is not None:
        return True
    from prefect.runtime import deployment

    return deployment.id is not None


def signoff_key(attempt: int) -> str:
    """The pause key of the ``attempt``-th request; its input keys are ``suspended-signoff-N-…``."""
    return f"signoff-{attempt}"


def wait_for_signoff(
    description: str,
    timeout_s: int | None,
    *,
    deployment: bool,
    key: str = "signoff-1",
    poll_interval_s: int = DEFAULT_POLL_INTERVAL_S,
    initial_decision: Literal["approve", "reject"] | None = None,
    signed: bool = False,
) -> SignOff:
    """Ask once: suspend (``deployment=True``) or pause, and return the answer the server validated.

    ``timeout_s=None`` means the settings' ``signoff_timeout_s`` (14 days by default). A pause that times out
    raises :class:`SignOffTimeout`; a suspension that times out is failed by the server's ``pause_expirations``
    service ("The flow was suspended and never resumed."), since no process is left to raise anything.
    """
    if timeout_s is None:
        from csa_report.settings import load_settings

        timeout_s = load_settings().signoff_timeout_s
    initial: dict[str, Any] = {"decision": initial_decision} if initial_decision else {}
    form_type: type[SignOff] = SignedSignOff if signed else SignOff
    form = form_type.with_initial_data(description=description, **initial)
    try:
        if deployment:
            answer = suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=key)
        else:
            answer = pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=poll_interval_s, key=key)
    except FlowPauseTimeout:
        raise SignOffTimeout(f"no sign-off within {_human(timeout_s)} ({key}); nothing was submitted") from None
    return answer


def _human(seconds: int) -> str:
    td = timedelta(seconds=seconds)
    if td.days and not td.seconds:
        return f"{td.days} day(s)"
    return f"{seconds} s"


def _refusal_cache_key(ctx: TaskRunContext, params: dict[str, Any]) -> str:
    refusal: Refusal = params["refusal"]
    ident = refusal.input_id or f"{refusal.key}-{refusal.reviewer}-{refusal.manifest_sha256}"
    return f"csa-signoff-refusal-{ctx.task_run.flow_run_id}-{ident}"


@task(name="signoff-refused", persist_result=True, cache_key_fn=_refusal_cache_key)
def record_refusal(refusal: Refusal, callback: Callable[[Refusal], None] | None) -> Refusal:
    """Record one refused answer exactly once: a resumed (re-run) flow replays the earlier answers, and this
    task is then ``Cached``, so the callback is not called again for the same stored answer."""
    get_run_logger().warning("sign-off answer %s refused: %s", refusal.key, refusal.reason)
    if callback is not None:
        callback(refusal)
    return refusal


def _input_id(key: str) -> str | None:
    """Id of the stored answer of pause key ``key`` (the response input of the current flow run)."""
    from prefect.input.actions import filter_flow_run_input

    try:
        # sync call: async_dispatch runs it synchronously inside a sync flow
        found = cast("list[FlowRunInput]", filter_flow_run_input(key_prefix=key, limit=1))
    except Exception:  # the id only sharpens the record's idempotency; never fail the sign-off for it
        logging.getLogger(__name__).debug("could not read the input id of %s", key, exc_info=True)
        return None
    return str(found[0].id) if found else None


def stored_answer(prefix: str, key: str, *, signed: bool = False) -> SignOff | None:
    """The answer already given to request ``key`` of the current flow run (``prefix`` is ``suspended`` or
    ``paused``), or None. A resumed or retried run finds its earlier answers here instead of suspending again,
    so it neither logs nor notifies those requests a second time."""
    from prefect.input.actions import read_flow_run_input

    try:
        value = read_flow_run_input(f"{prefix}-{key}-response")
    except Exception:  # no server answer: ask as usual (suspend_flow_run would replay it anyway)
        logging.getLogger(__name__).debug("could not read the stored answer of %s", key, exc_info=True)
        return None
    if value is None:
        return None
    try:
        return (SignedSignOff if signed else SignOff).model_validate(value)
    except pydantic.ValidationError:
        return None


def request_signoff(
    description: str | Callable[[], str],
    *,
    approvers: Sequence[str],
    preparer: str,
    manifest_sha256: str,
    on_refusal: Callable[[Refusal], None] | None = None,
    on_request: Callable[[str], None] | None = None,
    timeout_s: int | None = None,
    deployment: bool | None = None,
    max_refusals: int = DEFAULT_MAX_REFUSALS,
    poll_interval_s: int = DEFAULT_POLL_INTERVAL_S,
    signature_check: SignatureCheck | None = None,
) -> Decision:
    """The sign-off step of the flow: ask, :func:`evaluate`, and ask again after a refused answer.

    Returns the accepted :class:`Decision` (``.approved`` or ``.rejected``). Raises :class:`SignOffRefused`
    after ``max_refusals`` refused answers and :class:`SignOffTimeout` when a pause times out.
    ``deployment=None`` detects it (:func:`running_from_deployment`). Must be called from the flow body, not a
    task. Everything before it must be persisted tasks: after a suspension the flow runs again from the top.
    """
    if not any(a.strip() for a in approvers):
        raise ConfigError("no approvers are configured for this provider (provider.md): nobody could sign off")
    if max_refusals < 1:
        raise ValueError("max_refusals must be at least 1")
    suspend = running_from_deployment() if deployment is None else deployment
    logger = get_run_logger()
    reasons: list[str] = []
    state = "suspended" if suspend else "paused"
    for attempt in range(1, max_refusals + 1):
        key = signoff_key(attempt)
        answer = stored_answer(state, key, signed=signature_check is not None)
        if answer is None:
            # Built now, not before the loop: its review links are issued afresh each time the form is shown.
            body = description() if callable(description) else description
            text = body if not reasons else _with_refusals(body, reasons)
            logger.info("sign-off requested (%s, %s): answer the form in the Prefect UI or run "
                        "`csa-report approve|reject <run> --reviewer NAME --sha256 HASH`", key, state)
            if on_request is not None:
                on_request(key)
            answer = wait_for_signoff(text, timeout_s, deployment=suspend, key=key, poll_interval_s=poll_interval_s,
                                      signed=signature_check is not None)
        if signature_check is not None:
            decision = evaluate_signed(answer, signature_check, manifest_sha256=manifest_sha256)
        else:
            decision = evaluate(answer, approvers=approvers, preparer=preparer, manifest_sha256=manifest_sha256)
        if decision.accepted:
            logger.info("sign-off %s: %s", key, decision.reason)
            return decision
        refusal = Refusal(attempt=attempt, key=key, reviewer=answer.reviewer, decision=answer.decision,
                          manifest_sha256=answer.manifest_sha256, comment=answer.comment, reason=decision.reason,
                          input_id=_input_id(f"{state}-{key}-response"),
                          signature=getattr(answer, "signature", None))
        record_refusal(refusal, on_refusal)
        reasons.append(f"{key}: {decision.reason}")
    raise SignOffRefused(f"{max_refusals} sign-off answer(s) refused, last: {reasons[-1].split(': ', 1)[1]}; "
                         "nothing was submitted")


def _with_refusals(description: str, reasons: Sequence[str]) -> str:
    note = "\n".join(["> **Previous answers were refused:**", ">", *[f"> - {r}" for r in reasons], ""])
    return note + "\n" + description
