"""The sign-off step in Prefect (workflow.md step 5): stop the run, show the form, wait for the answer.

From a deployment the flow *suspends* (the process exits; on resume Prefect runs the flow again from the top and
the already answered suspensions replay their stored answers); without one it *pauses* (the process waits). The
form and its rules are the library's (csa_report/filing/approval.py), what the reviewer is shown too
(csa_report/filing/review.py); here the form becomes a Prefect ``RunInput`` (:class:`SignOffInput`), the structured
:class:`~csa_report.filing.review.Review` is stored beside it, and :func:`request_signoff` asks, judges and asks
again after a refused answer, recording each refusal once through a callback, up to ``max_refusals`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import pydantic
from prefect import task
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import FlowPauseTimeout, MissingContextError
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.logging import get_run_logger
from pydantic import Field

from csa_report.errors import ConfigError, InputError, SignOffRefused, SignOffTimeout
from csa_report.filing.approval import (
    REFUSAL_LOG,
    Refusal,
    SignatureCheck,
    SignedSignOff,
    SignOff,
    Verdict,
    judge,
    judge_signed,
)
from csa_report.filing.review import Review, review_key
from csa_report.settings import SignoffSettings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRunInput

__all__ = [
    "DEFAULT_MAX_REFUSALS",
    "DEFAULT_POLL_INTERVAL_S",
    "SignOffInput",
    "SignedSignOffInput",
    "record_refusal",
    "refuse_up_front_approval_in_deployment",
    "request_signoff",
    "running_from_deployment",
    "save_review",
    "signoff_key",
    "signoff_timeout",
    "stored_answer",
    "wait_for_signoff",
]

DEFAULT_MAX_REFUSALS = 3
DEFAULT_POLL_INTERVAL_S = 10

R = TypeVar("R", bound=RunInput)


class _FormInput(RunInput):
    """A sign-off form as a Prefect ``RunInput``: what the pause stores as the schema the server validates
    answers against, and what the UI renders."""

    @classmethod
    def with_initial_data(cls: type[R], description: str | None = None, **kwargs: Any) -> type[R]:
        """Like ``RunInput.with_initial_data`` but keeps each field's constraints and help text (the base
        version rebuilds the field from its annotation alone, which would drop ``pattern`` and ``min_length``
        from the schema the server validates against). The model is named after the library's form
        (``SignOff``, ``SignedSignOff``): the schema's title the server stores."""
        fields: dict[str, Any] = {}
        for name, value in kwargs.items():
            original = cls.model_fields.get(name)
            if original is None:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            info = _copy_field(original, value)
            fields[name] = (original.annotation, info)
        model: type[R] = pydantic.create_model(cls.__name__.removesuffix("Input"), __base__=cls, **fields)
        if description is not None:
            model._description = description  # how RunInput carries it
        return model


class SignOffInput(SignOff, _FormInput):
    """The library's :class:`SignOff` form (typed name and hash) as a ``RunInput``."""


class SignedSignOffInput(SignedSignOff, _FormInput):
    """The library's :class:`SignedSignOff` form (an SSH signature instead of the typed name and hash) as a
    ``RunInput``."""


def _copy_field(original: pydantic.fields.FieldInfo, default: Any) -> pydantic.fields.FieldInfo:
    info: pydantic.fields.FieldInfo = Field(default, description=original.description, title=original.title)
    info.metadata = list(original.metadata)
    return info


def signoff_key(attempt: int) -> str:
    """The pause key of the ``attempt``-th request; its input keys are ``suspended-signoff-N-…``."""
    return f"signoff-{attempt}"


def _in_deployment() -> bool:
    ctx = FlowRunContext.get()
    if ctx is not None and ctx.flow_run is not None and ctx.flow_run.deployment_id is not None:
        return True
    from prefect.runtime import deployment

    return deployment.id is not None


def running_from_deployment() -> bool:
    """True when the current flow run belongs to a deployment and may therefore suspend (its process exits
    and a runner or worker starts it again on resume). Subflows cannot suspend, so they count as ad hoc."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        raise RuntimeError("sign-off can only be requested inside a flow run")
    if ctx.flow_run.parent_task_run_id is not None:
        return False
    return _in_deployment()


def refuse_up_front_approval_in_deployment(approve_as: str | None, approve_key: str | None) -> None:
    """``approve_key`` is for ``csa-report run --approve-as … --key`` and the demo, which run the flow in their own
    process. A deployment run is started by whoever can use the UI or API, so a key path there would let anyone
    sign as someone else with a key file that happens to be on the worker: refused. ``approve_as`` alone stays
    allowed (an unsigned installation's automatic sign-off, recorded as such): it gives nobody more than the
    typed form already does, and with keys it is refused anyway for want of a signature."""
    if approve_key is not None and _in_deployment():
        raise InputError(
            "approve_key cannot be given to a deployment run: a signed sign-off of a deployment run "
            "is given in the Prefect UI's form or with `csa-report approve RUN --key KEY`"
        )


def signoff_timeout(settings: SignoffSettings) -> int:
    """The time-out of one sign-off request, capped to the review links' lifetime (at most 7 days, the limit of
    S3 presigned URLs): the links in the form are issued when it is shown and must not expire before it."""
    timeout = min(settings.signoff_timeout_s, settings.review_link_seconds)
    if timeout < settings.signoff_timeout_s:
        try:
            logger: Any = get_run_logger()
        except MissingContextError:  # called outside a run (tests, tools)
            logger = logging.getLogger(__name__)
        logger.info(
            "sign-off time-out %d s capped to the review-link lifetime %d s (CSA_REVIEW_LINK_SECONDS), "
            "so the links never expire before the form does",
            settings.signoff_timeout_s,
            timeout,
        )
    return timeout


def save_review(pause_key: str, review: Review) -> None:
    """Store ``review`` beside the form of request ``pause_key`` (``suspended-signoff-1``), replacing the copy
    of an earlier showing of the same request (a Retry asks again under the same key)."""
    import httpx
    from prefect.input.actions import create_flow_run_input, delete_flow_run_input

    key, value = review_key(pause_key), review.model_dump(mode="json", by_alias=True)
    try:
        create_flow_run_input(key=key, value=value)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 409:
            raise
        delete_flow_run_input(key=key)
        create_flow_run_input(key=key, value=value)


def wait_for_signoff(
    description: str,
    timeout_s: int | None,
    *,
    deployment: bool,
    key: str = "signoff-1",
    poll_interval_s: int = DEFAULT_POLL_INTERVAL_S,
    initial_decision: Literal["approve", "reject"] | None = None,
    signed: bool = False,
) -> SignOff | SignedSignOff:
    """Ask once: suspend (``deployment=True``) or pause, and return the answer the server validated.

    ``timeout_s=None`` means the settings' ``signoff_timeout_s`` (14 days by default). A pause that times out
    raises :class:`SignOffTimeout`; a suspension that times out is failed by the server's ``pause_expirations``
    service ("The flow was suspended and never resumed."), since no process is left to raise anything.
    """
    if timeout_s is None:
        from csa_report.services import current

        timeout_s = current().settings.signoff.signoff_timeout_s
    initial: dict[str, Any] = {"decision": initial_decision} if initial_decision else {}
    form_type: type[SignOffInput] | type[SignedSignOffInput] = SignedSignOffInput if signed else SignOffInput
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
    get_run_logger().warning(REFUSAL_LOG, refusal.key, refusal.reason)
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


def stored_answer(prefix: str, key: str, *, signed: bool = False) -> SignOff | SignedSignOff | None:
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
    review: Review | None = None,
) -> Verdict:
    """The sign-off step of the flow: ask, :func:`judge`, and ask again after a refused answer.

    ``review`` is stored beside each showing of the form, with the reasons refused so far. Returns the accepted
    :class:`Verdict` (``.approved`` or ``.rejected``). Raises :class:`SignOffRefused`
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
            how = "--key ~/.ssh/id_ed25519" if signature_check is not None else "--reviewer NAME --sha256 HASH"
            logger.info(
                "sign-off requested (%s, %s): answer the form in the Prefect UI or run "
                "`csa-report approve|reject <run> %s`",
                key,
                state,
                how,
            )
            if on_request is not None:
                on_request(key)
            if review is not None:
                save_review(f"{state}-{key}", review.model_copy(update={"refused": tuple(reasons)}))
            answer = wait_for_signoff(
                text,
                timeout_s,
                deployment=suspend,
                key=key,
                poll_interval_s=poll_interval_s,
                signed=signature_check is not None,
            )
        if isinstance(answer, SignedSignOff):
            assert signature_check is not None  # the signed form is only ever shown with a check
            verdict = judge_signed(answer, signature_check, manifest_sha256=manifest_sha256)
        else:
            verdict = judge(answer, approvers=approvers, preparer=preparer, manifest_sha256=manifest_sha256)
        if verdict.accepted:
            logger.info("sign-off %s: %s", key, verdict.reason)
            return verdict
        # verdict.answer: a refused signed answer names the key's owner (or none) and the manifest it was checked
        # against; a typed one what was typed.
        refusal = Refusal(
            attempt=attempt,
            key=key,
            reviewer=verdict.answer.reviewer,
            decision=answer.decision,
            manifest_sha256=verdict.answer.manifest_sha256,
            comment=answer.comment,
            reason=verdict.reason,
            input_id=_input_id(f"{state}-{key}-response"),
            signature=getattr(answer, "signature", None),
        )
        record_refusal(refusal, on_refusal)
        reasons.append(f"{key}: {verdict.reason}")
    raise SignOffRefused(
        f"{max_refusals} sign-off answer(s) refused, last: {reasons[-1].split(': ', 1)[1]}; nothing was submitted"
    )


def _with_refusals(description: str, reasons: Sequence[str]) -> str:
    note = "\n".join(["> **Previous answers were refused:**", ">", *[f"> - {r}" for r in reasons], ""])
    return note + "\n" + description
