"""What the operator sees of a run in the Prefect UI besides its tasks: a name and tags that say which report
it is, a first log line that says where a resumed or retried run picks up, and a failure message that names
the step, the cause and the ``CSA_*`` setting to change.

Everything here talks to the Prefect API on a best-effort basis: a run never fails because it could not be
labelled or explained.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from prefect.runtime import flow_run

from csa_report.errors import (
    BlockingFindings,
    ConfigError,
    DeliveryRefused,
    PolicyError,
    RefusedError,
    SignOffMissing,
    StorageConflict,
    ToolError,
    UnreachableError,
)
from csa_report.local.retry_hint import retry_message
from csa_report.period import Period
from csa_report.storage import slugify

log = logging.getLogger(__name__)

#: Run names start with this, then the period label and the provider slug.
RUN_NAME_PREFIX = "annual-report"


def period_label(period: Period) -> str:
    """``2025`` for a calendar year, ``2024-07-01_2024-12-31`` otherwise."""
    if (period.start.month, period.start.day, period.end.month, period.end.day) == (
        1,
        1,
        12,
        31,
    ) and period.start.year == period.end.year:
        return str(period.start.year)
    return period.slug


def run_name(provider: str, period: Period) -> str:
    """``annual-report-2025-example-communications-ireland-ltd``."""
    return f"{RUN_NAME_PREFIX}-{period_label(period).replace('_', '-')}-{slugify(provider)}"


def run_tags(provider: str, period: Period) -> list[str]:
    return [f"period:{period_label(period)}", f"provider:{slugify(provider)}"]


def label_run(provider: str, period: Period) -> None:
    """Rename the current flow run after its report and tag it with the period (idempotent: a resumed run
    finds the labels already there and changes nothing)."""
    raw_id = flow_run.get_id()
    if not raw_id:
        return
    run_id = UUID(str(raw_id))
    name, tags = run_name(provider, period), run_tags(provider, period)
    try:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            current = client.read_flow_run(run_id)
            merged = sorted(set(current.tags) | set(tags))
            if current.name != name or sorted(current.tags) != merged:
                client.update_flow_run(run_id, name=name, tags=merged)
    except Exception as exc:  # a label is a courtesy
        log.warning("could not name the run %s: %s", name, exc)


# --- where a resumed or retried run picks up -----------------------------------------------------------------


def _states(client: Any, run_id: Any) -> list[Any]:
    return sorted(client.read_flow_run_states(run_id), key=lambda s: s.timestamp)


def resume_note() -> str | None:
    """One line for the start of a run that is not on its first execution, None on the first."""
    run_id = flow_run.get_id()
    if not run_id:
        return None
    try:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            states = _states(client, run_id)
            marker = next(
                (i for i in range(len(states) - 1, -1, -1) if states[i].name in ("Resuming", "AwaitingRetry")), None
            )
            if marker is None:
                return None
            before = states[:marker]
            if states[marker].name == "Resuming":
                paused = next((s for s in reversed(before) if s.type.value == "PAUSED"), None)
                key = paused.state_details.pause_key if paused is not None else None
                return (
                    f"resuming after the answer to sign-off request {key or '(unknown)'}: the steps before "
                    "sign-off come from their persisted results (Cached); next: checking the answer"
                )
            last = next((s for s in reversed(before) if s.is_final()), None)
            if last is not None and last.is_completed():
                return (
                    "retrying a finished run: every step replays from its persisted result (Cached); a "
                    "sign-off given is reused and nothing is sent twice"
                )
            step = failed_step(client, run_id)
            what = f"at step {step}" if step else "where it stopped"
            why = f" ({last.message})" if last is not None and last.message else ""
            return f"retrying this run {what}{why}: the steps that finished come from their persisted results (Cached)"
    except Exception as exc:  # the note is a courtesy
        log.debug("could not tell where the run resumes: %s", exc)
        return None


def failed_step(client: Any, run_id: Any) -> str | None:
    """Name of the last failed task run of the flow run (``submit``), or None."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    runs = client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
        task_run_filter=TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.FAILED]))),
    )
    if not runs:
        return None
    last = max(runs, key=lambda r: (r.end_time or r.expected_start_time or r.created) if r else 0)
    return str(last.name).rsplit("-", 1)[0]


# --- failures explained --------------------------------------------------------------------------------------

#: (words in the message, the settings to check). First match wins; compared case-insensitively.
HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("smtp",), "CSA_SMTP_HOST and CSA_SMTP_PORT (and CSA_SMTP_TLS, CSA_SMTP_USER, CSA_SMTP_PASSWORD)"),
    (("outbox",), "CSA_OUTBOX (a writable folder)"),
    (("s3", "bucket", "seaweed", "endpoint"), "CSA_S3_ENDPOINT, CSA_S3_ACCESS_KEY and CSA_S3_SECRET_KEY"),
    (("audit database",), "CSA_AUDIT_DB"),
    (("source", "database"), "CSA_SOURCE_DB"),
    (("policy", "provider.md", "policies"), "CSA_POLICIES"),
    (("waiver",), "CSA_WAIVERS"),
    (("template",), "CSA_TEMPLATES"),
)


def setting_hint(exc: BaseException) -> str | None:
    """The ``CSA_*`` settings an operator would change for this error, or None when no setting helps."""
    if isinstance(exc, StorageConflict | SignOffMissing):
        return None
    if isinstance(exc, BlockingFindings):
        return "the data, or a waiver in CSA_WAIVERS; a retry fails again, start a new run"
    text = f"{type(exc).__name__} {exc}".lower()
    if "csa_" in text:  # the message names its setting already
        return None
    for words, hint in HINTS:
        if any(w in text for w in words):
            return hint
    if isinstance(exc, ConfigError | PolicyError):
        return "the settings named above"
    return None


def step_of(exc: BaseException) -> str:
    """The step to blame when no task run failed (the error was raised by the flow body itself)."""
    if isinstance(exc, BlockingFindings):
        return "check"
    if isinstance(exc, SignOffMissing):
        return "sign-off"
    if isinstance(exc, ConfigError | PolicyError):
        return "settings"
    return "flow"


def step_in_traceback(exc: BaseException) -> str | None:
    """The name of the innermost Prefect task whose function is in the error's traceback (``submit``), or None.
    Read from the traceback, not the API: the task's Failed state may not have reached the server yet."""
    from prefect import Task

    step = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        candidate = tb.tb_frame.f_globals.get(code.co_name)
        if isinstance(candidate, Task) and getattr(candidate.fn, "__code__", None) is code:
            step = candidate.name
        tb = tb.tb_next
    return step


#: Failures a Retry of the same run can get past (once the server is back or the setting is fixed): the steps
#: before keep their results. Bad input, blocking findings, tampering and a missing sign-off need a new run.
RETRYABLE_IN_PLACE = (UnreachableError, RefusedError, ToolError)


def retry_in_place(exc: BaseException) -> bool:
    """Whether the way out is a Retry of this run. Not for a mail server's permanent refusal: the delivery is
    ``failed`` for good and a Retry would not send it again; its message names the fix and `delivery resend`."""
    return isinstance(exc, RETRYABLE_IN_PLACE) and not isinstance(exc, DeliveryRefused)


def _what_to_do(label: tuple[str, str], run_id: str, step: str, text: str) -> None:
    """The retry advice as a markdown artifact on the run page (the state message is easy to miss in a long log)."""
    from csa_report.local.retry_hint import retry_markdown
    from csa_report.tasks.artifacts import artifact_key, publish_artifact
    from csa_report.tasks.links import run_url

    try:
        publish_artifact(
            artifact_key(label[0], label[1], "what-to-do"),
            "markdown",
            retry_markdown(run_id, step, text, run_url(run_id)),
            f"Step {step} failed: how to retry this run",
        )
    except Exception:  # the advice is a courtesy; the run's own failure is what must surface
        log.warning("could not publish the what-to-do artifact of run %s", run_id)


def explain_failure(exc: BaseException, label: tuple[str, str] | None = None) -> None:
    """Rewrite the error's message in place to ``step X failed: cause; check CSA_…`` (the flow run's Failed
    message is built from it). The error keeps its type, so exit codes stay what they were."""
    if getattr(exc, "_csa_explained", False) or len(exc.args) > 1:
        return
    step = step_in_traceback(exc)
    run_id = flow_run.get_id()
    if step is None and run_id:
        try:
            from prefect import get_client

            with get_client(sync_client=True) as client:
                step = failed_step(client, run_id)
        except Exception:  # fall back to the error's own kind
            step = None
    cause = str(exc) or type(exc).__name__
    hint = setting_hint(exc)
    blamed = step or step_of(exc)
    text = f"step {blamed} failed: {cause}" + (f"; check {hint}" if hint else "")
    if run_id and retry_in_place(exc):
        # A new run would start over and ask for the sign-off again: the way out is a Retry of this one.
        text = retry_message(run_id, blamed, text)
        if label is not None:
            _what_to_do(label, run_id, blamed, text)
    try:
        exc.args = (text,)
        exc._csa_explained = True  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception type that does not allow it: keep its own message
        pass
