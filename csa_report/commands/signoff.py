"""``csa-report approve`` / ``reject``: answer a waiting sign-off from the shell, the same as the form in the
Prefect UI (workflow.md step 5).

RUN is a flow-run id or name. The answer goes to the Prefect API named by ``PREFECT_API_URL``; the server
checks it against the form's schema, then the flow checks the approver list, the four-eyes rule and the hash.

``approve --key`` prints the request's key figures and manifest SHA-256 and signs only with ``--sha256`` matching
it or a y/N confirmation at a terminal (csa_report/commands/signoff_review.py).

Exit codes: 0 the answer was delivered (with ``--wait``: and accepted); 2 no such run, the run is not waiting
for a sign-off, ``approve --key`` without a matching ``--sha256`` or a confirmation, the server refused the
answer (malformed), or (``--wait``) the flow refused it; 3 the Prefect API is unreachable; 4 (``--wait``) the
run failed after the answer for another reason (retry it once fixed); 6 the sign-off can no longer be given
(timed out), or (``--wait``) the run ended without a valid sign-off.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import typer
from rich.console import Console

from csa_report.commands.signoff_review import Confirm, manifest_to_sign, review_of
from csa_report.commands.signoff_review import check_reviewed as check_reviewed  # re-exported
from csa_report.errors import ConfigError, CsaReportError, InputError, SignOffMissing, ToolError, UnreachableError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

console = Console(highlight=False, soft_wrap=True)

RunArg = Annotated[str, typer.Argument(metavar="RUN", help="Flow-run id or name (e.g. precise-shark)")]
ReviewerOpt = Annotated[
    str | None, typer.Option("--reviewer", help="Your name as listed among the approvers (typed sign-off)")
]
ShaOpt = Annotated[
    str | None,
    typer.Option(
        "--sha256",
        help="SHA-256 of the manifest.json you reviewed (64 hex digits). Typed sign-off: the answer; with "
        "--key: approve signs only when it matches the manifest the run shows (without it: a y/N question at a "
        "terminal, exit 2 elsewhere); reject checks it when given",
    ),
]
KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Your OpenSSH private key: sign the waiting run's manifest.json and answer with the signature "
        "(namespace csa-report for approve, csa-report-reject for reject)",
    ),
]
CommentOpt = Annotated[str, typer.Option("--comment", help="Why; recorded in the audit trail")]
WaitOpt = Annotated[
    int,
    typer.Option(
        "--wait",
        help="Seconds to wait for the flow's verdict (accepted, refused and waiting again, failed); 0: "
        "return once the server accepted the answer",
    ),
]


@dataclass(frozen=True)
class AnswerDelivered:
    """A sign-off answer handed to the paused flow run (not a delivered e-mail: filing.mail.transport.Delivered)."""

    run_id: UUID
    run_name: str
    key: str


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "PREFECT_API_URL is not set: point it at the Prefect server, "
            "e.g. export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    return str(url)


def _unreachable(api: str, exc: Exception) -> UnreachableError:
    return UnreachableError(
        f"the Prefect API at {api} is unreachable ({type(exc).__name__}); "
        "is the server running and PREFECT_API_URL right?"
    )


def find_run(client: SyncPrefectClient, run: str) -> FlowRun:
    """The flow run named or identified by ``run``; among runs sharing a name, the one that waits."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.exceptions import ObjectNotFound

    try:
        run_id = UUID(run.strip())
    except ValueError:
        run_id = None
    if run_id is not None:
        try:
            return client.read_flow_run(run_id)
        except ObjectNotFound:
            raise InputError(f"no flow run with id {run_id} on this Prefect server") from None
    found = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run.strip()])), limit=50)
    if not found:
        raise InputError(f"no flow run named {run!r} on this Prefect server (give its name or id)")
    waiting = [r for r in found if r.state is not None and r.state.is_paused()]
    if len(waiting) > 1:
        raise InputError(
            f"{len(waiting)} waiting runs are named {run!r}; give the id: " + ", ".join(str(r.id) for r in waiting)
        )
    return waiting[0] if waiting else found[0]


def _signoff_keyset(client: SyncPrefectClient, fr: FlowRun) -> dict[str, str]:
    state = fr.state
    label = f"flow run {fr.name} ({fr.id})"
    if state is None or not state.is_paused():
        name = state.name if state is not None else "without state"
        raise InputError(f"{label} is {name}, not waiting for a sign-off")
    keyset = state.state_details.run_input_keyset
    if not keyset:
        raise InputError(f"{label} is {state.name} but does not wait for any input")
    try:
        schema = json.loads(client.read_flow_run_input(fr.id, keyset["schema"]))
    except Exception:  # a missing or unreadable schema means it is not our form
        schema = {}
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    typed, signed = {"decision", "reviewer", "manifest_sha256"}, {"decision", "signature"}
    if not (typed <= set(props) or signed <= set(props)):
        raise InputError(f"{label} waits for an input that is not a sign-off form")
    return dict(keyset)


def answer_signoff(
    run: str,
    decision: Literal["approve", "reject"],
    reviewer: str | None,
    sha256: str | None,
    comment: str = "",
    key: Path | None = None,
    confirm: Confirm | None = None,
) -> AnswerDelivered:
    """Deliver one answer to the waiting sign-off of ``run``. The server validates it against the form. With
    ``key``, the request's key figures and manifest hash are printed first, and an approval is signed only when
    ``sha256`` matches that hash or ``confirm`` (a terminal's y/N) says yes (csa_report/commands/signoff_review.py)."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.responses import SetStateStatus

    from csa_report.commands.prefect_runtime import http_status_error

    api = _api_url()
    if key is None and (not reviewer or not sha256):
        raise InputError("give --key KEY (signed sign-off) or both --reviewer NAME and --sha256 HASH")
    answer: dict[str, Any] = {"decision": decision, "comment": comment}
    if key is None:
        answer.update(reviewer=reviewer, manifest_sha256=(sha256 or "").strip().lower())
    try:
        with get_client(sync_client=True) as client:
            fr = find_run(client, run)
            keyset = _signoff_keyset(client, fr)
            if key is not None:
                from csa_report.filing.sshsig import namespace_of, sign

                data = manifest_to_sign(
                    review_of(client, fr, keyset),
                    str(fr.name),
                    sha256,
                    approving=decision == "approve",
                    confirm=confirm,
                    show=lambda line: console.print(line, markup=False),
                )
                answer["signature"] = sign(data, key, namespace_of(decision))
            result = client.resume_flow_run(fr.id, run_input=answer)
    except httpx.HTTPStatusError as exc:
        raise http_status_error(api, exc) from None
    except (httpx.TransportError, OSError) as exc:
        raise _unreachable(api, exc) from None
    if result.status == SetStateStatus.REJECT:
        if result.state is not None and result.state.type == StateType.FAILED:
            raise SignOffMissing(f"the sign-off of flow run {fr.name} timed out; it can no longer be answered")
        reason = getattr(result.details, "reason", None) or "no reason given"
        reason = reason.removeprefix("Reason: ").replace("Validation failed. Failure reason: ", "")
        from csa_report.filing.approval import explain_refusal

        raise InputError(f"the Prefect server refused the answer: {explain_refusal(reason)}")
    if result.status != SetStateStatus.ACCEPT:
        reason = getattr(result.details, "reason", None) or result.status.value
        raise InputError(f"the Prefect server did not resume flow run {fr.name}: {reason}")
    pause_key = keyset["response"].removesuffix("-response")
    return AnswerDelivered(run_id=fr.id, run_name=str(fr.name), key=pause_key)


def wait_for_verdict(delivered: AnswerDelivered, seconds: int) -> str:
    """Follow the run after an answer: ``Completed``, waiting again (refused), or failed."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + seconds
    with get_client(sync_client=True) as client:
        while True:
            state = client.read_flow_run(delivered.run_id).state
            if state is not None:
                keyset = state.state_details.run_input_keyset or {}
                if state.is_paused() and keyset and not keyset["response"].startswith(delivered.key + "-"):
                    reason = _last_refusal(client, delivered.run_id, dict(keyset))
                    raise InputError(f"the flow refused the answer ({reason}) and waits again for a sign-off")
                # "Completed", or "Rejected" (a Cancelled-type state) when the reviewer rejected the report
                if state.is_completed() or (state.is_cancelled() and state.name == "Rejected"):
                    detail = f": {state.message}" if state.message else ""
                    return f"flow run {delivered.run_name} ended {state.name}{detail}"
                if state.is_final():
                    message = f"flow run {delivered.run_name} ended {state.name}: {state.message or ''}"
                    if "sign-off" in (state.message or "") or "never resumed" in (state.message or ""):
                        raise SignOffMissing(message)
                    raise failed_run_error(message)
            if time.monotonic() > deadline:
                return f"flow run {delivered.run_name} is {state.name if state else 'unknown'}; still running"
            time.sleep(1)


def failed_run_error(message: str) -> CsaReportError:
    """The error for a run that failed after the answer: when the flow failed with one of our own errors (its
    class is named in the state message), the same exit code (tampering 5, unreachable 3, …); otherwise 4."""
    import re

    from csa_report import errors

    named = re.search(r"exception: ([A-Za-z_]\w*)\b", message)
    cls = getattr(errors, named.group(1), None) if named else None
    if isinstance(cls, type) and issubclass(cls, CsaReportError) and cls.exit_code != 4:
        err = CsaReportError(message)
        err.exit_code = cls.exit_code
        return err
    return ToolError(message + "; fix the cause and retry the run from the Prefect UI")


def _last_refusal(client: SyncPrefectClient, run_id: UUID, keyset: dict[str, str]) -> str:
    """The newest refusal reason the waiting request's :class:`Review` carries."""
    review = review_of(client, client.read_flow_run(run_id), keyset)
    if review and review.refused:
        return review.refused[-1]
    # A flow that stores no structured review (not csa-report's own form) still logs each refusal it records.
    return _logged_refusal(client, run_id) or "see the run's logs"


def _logged_refusal(client: SyncPrefectClient, run_id: UUID) -> str | None:
    """The newest refusal the run logged (:data:`~csa_report.filing.approval.REFUSAL_LOG`), as "KEY: REASON"."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    from csa_report.filing.approval import logged_refusal

    # The worker ships its logs in batches (every couple of seconds): the line may trail the paused state.
    deadline = time.monotonic() + 10
    while True:
        try:
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])),
                sort=LogSort.TIMESTAMP_DESC,
                limit=200,
            )
        except Exception:  # the reason is a courtesy: the refusal itself was established from the run's state
            return None
        for log in logs:
            if found := logged_refusal(log.message):
                return found
        if time.monotonic() > deadline:
            return None
        time.sleep(1)


def _ui_link(run_id: UUID) -> str:
    from csa_report.tasks.links import run_url

    return run_url(run_id) or str(run_id)


def _run(
    decision: Literal["approve", "reject"],
    run: str,
    reviewer: str | None,
    sha256: str | None,
    comment: str,
    wait: int,
    key: Path | None = None,
) -> None:
    import sys

    # An approval without --sha256 asks at a terminal; in a script (stdin not a terminal) it refuses instead.
    confirm = (lambda q: typer.confirm(q, default=False)) if key is not None and sys.stdin.isatty() else None
    delivered = answer_signoff(run, decision, reviewer, sha256, comment, key, confirm)
    who = f"the holder of {key}" if key is not None else reviewer
    console.print(
        f"{decision} by {who} delivered to flow run {delivered.run_name} ({delivered.key}); the flow "
        f"now checks the approver list, the four-eyes rule and the hash: {_ui_link(delivered.run_id)}"
    )
    if wait > 0:
        console.print(wait_for_verdict(delivered, wait))


def register(app: typer.Typer) -> None:
    @app.command()
    def approve(
        run: RunArg,
        reviewer: ReviewerOpt = None,
        sha256: ShaOpt = None,
        comment: CommentOpt = "",
        wait: WaitOpt = 0,
        key: KeyOpt = None,
    ) -> None:
        """Approve a report waiting for sign-off (same as the form in the Prefect UI)."""
        _run("approve", run, reviewer, sha256, comment, wait, key)

    @app.command()
    def reject(
        run: RunArg,
        reviewer: ReviewerOpt = None,
        sha256: ShaOpt = None,
        comment: CommentOpt = "",
        wait: WaitOpt = 0,
        key: KeyOpt = None,
    ) -> None:
        """Reject a report waiting for sign-off; the staged copy is kept and the run ends rejected."""
        _run("reject", run, reviewer, sha256, comment, wait, key)

    @app.command()
    def sign(
        manifest: Annotated[Path, typer.Option("--manifest", help="The manifest.json you reviewed")],
        key: Annotated[Path, typer.Option("--key", help="Your OpenSSH private key (e.g. ~/.ssh/id_ed25519)")],
        reject: Annotated[
            bool,
            typer.Option(
                "--reject",
                help="Sign a rejection (namespace csa-report-reject); without it the signature approves "
                "(namespace csa-report). The form refuses a signature made for the other decision",
            ),
        ] = False,
    ) -> None:
        """Print the SSH signature of a manifest.json, to paste into the sign-off form: an approval (namespace
        csa-report), or with --reject a rejection (namespace csa-report-reject)."""
        from csa_report.filing.sshsig import NAMESPACE, REJECT_NAMESPACE
        from csa_report.filing.sshsig import sign as ssh_sign

        if not manifest.is_file():
            raise InputError(f"--manifest {manifest}: no such file")
        typer.echo(ssh_sign(manifest.read_bytes(), key, REJECT_NAMESPACE if reject else NAMESPACE), nl=False)
