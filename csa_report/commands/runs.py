"""``csa-report run`` (the whole flow) and ``csa-report delivery`` (settle a delivery); ``status`` is in
commands/audit_trail.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from csa_report.commands.render import AllowIncompleteOpt, flow_option, refuse_incomplete
from csa_report.settings import overriding

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    register_operator_actions(app)

    @app.command()
    def run(
        period: Annotated[str, typer.Option("--period", help="YYYY, YYYY-MM-DD/YYYY-MM-DD or previous-year")],
        db: Annotated[str | None, typer.Option("--db", help="Source database URL (default: CSA_SOURCE_DB)")] = None,
        policies: Annotated[Path | None, typer.Option("--policies", help="Policy folder (CSA_POLICIES)")] = None,
        waivers: Annotated[Path | None, typer.Option("--waivers", help="Waivers file (CSA_WAIVERS)")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 instant (default: now)")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Folder for the rendered artefacts")] = None,
        approve_as: Annotated[
            str | None,
            typer.Option(
                "--approve-as",
                help="Approve up front as this reviewer (an approver, not the preparer); recorded as automatic",
            ),
        ] = None,
        publication_date: Annotated[
            str | None,
            typer.Option(help="YYYY-MM-DD, the day of filing printed as the publication date (default: today)"),
        ] = None,
        key: Annotated[
            Path | None,
            typer.Option(
                "--key",
                help="With --approve-as, when provider.md lists the approvers' SSH keys: the reviewer's private "
                "key, to sign manifest.json",
            ),
        ] = None,
        supersedes: Annotated[
            str | None,
            typer.Option("--supersedes", help="File a correction of this report id (the period's latest filing)"),
        ] = None,
        reason: Annotated[
            str | None,
            typer.Option(
                "--reason",
                help="Why the filed report is corrected (required with --supersedes); printed in the "
                "report and the e-mails",
            ),
        ] = None,
        allow_incomplete_period: AllowIncompleteOpt = False,
    ) -> None:
        """The whole flow: extract, check, render, stage, sign-off, submit, publish."""
        from prefect.exceptions import CancelledRun

        from csa_report.commands.prefect_runtime import (
            bind_ephemeral_server_to_parent,
            keep_tracebacks_off_the_terminal,
        )
        from csa_report.errors import SignOffMissing
        from csa_report.filing.guard import correction_of
        from csa_report.flows.annual_report import ProvisionalResult, annual_report

        correction_of(supersedes, reason)  # a malformed correction fails here, before Prefect starts a run
        refuse_incomplete(period, as_of, allow_incomplete_period)  # likewise an as-of before the period's end
        keep_tracebacks_off_the_terminal()
        bind_ephemeral_server_to_parent()

        try:
            # Connection details travel as settings of this process, not as flow parameters shown in the UI.
            given = {"source_db": db, "policies": policies, "waivers": waivers}
            with overriding(**{k: v for k, v in given.items() if v is not None}):
                result = annual_report(
                    period=period,
                    as_of=as_of,
                    out_dir=str(out) if out else None,
                    approve_as=approve_as,
                    approve_key=str(key) if key else None,
                    publication_date=publication_date,
                    supersedes=supersedes,
                    reason=reason,
                    **flow_option("allow_incomplete_period", allow_incomplete_period),
                )
        except CancelledRun as exc:  # the run ended Rejected (a Cancelled-type state): nothing was submitted
            raise SignOffMissing(f"the report was rejected at sign-off ({exc}); nothing was submitted") from None
        if isinstance(result, ProvisionalResult):
            console.print(
                f"report {result.report_id} for {result.period} as of {result.as_of}: rendered to "
                f"{result.rendered.out_dir} as a {result.provisional}; nothing was staged, signed or sent. Run "
                "again with an as-of after the period's end (and not in the future) to file the report"
            )
            return
        submission = result.submission
        console.print(
            f"report {result.report_id} for {result.period}: rendered to "
            f"{result.rendered.out_dir}, archived {len(submission.archived)} objects"
        )
        for d in submission.sent:
            console.print(f"delivered to {d.recipient} via {d.channel}")
        for r in submission.skipped:
            console.print(f"already delivered to {r}: not sent again")
        if submission.publication is not None:
            console.print(f"published at {submission.publication.url}")
        else:
            console.print("not published: no publication bucket is set (CSA_PUBLICATION_BUCKET)")


def register_operator_actions(app: typer.Typer) -> None:
    """``csa-report delivery confirm|resend``: settle a delivery whose outcome is unknown."""
    group = typer.Typer(
        help="Settle a delivery whose outcome is unknown (run state delivery-unknown).", no_args_is_help=True
    )
    app.add_typer(group, name="delivery")

    def _hint(all_done: bool, run_id: int) -> str:
        return (
            (
                "every delivery of this report is now sent or confirmed: re-run `csa-report run` for its period to "
                "publish and mark it submitted"
            )
            if all_done
            else (f"other deliveries of run {run_id} are still open; see `csa-report status`")
        )

    @group.command("confirm")
    def confirm(
        run_id: Annotated[int, typer.Argument(metavar="RUN", help="Run id (csa-report status)")],
        recipient: Annotated[str, typer.Argument(help="Recipient address")],
        evidence: Annotated[str, typer.Option("--evidence", help="How you know it arrived")],
        audit_db: Annotated[str | None, typer.Option("--audit-db", help="Audit DB URL (CSA_AUDIT_DB)")] = None,
    ) -> None:
        """Record that a delivery of unknown outcome did arrive."""
        from csa_report.filing.mail import settle as delivery_ops
        from csa_report.services import Services
        from csa_report.settings import load_settings

        services = Services.start(load_settings(audit_db=audit_db))
        done = delivery_ops.confirm(services.audit, run_id, recipient, evidence)
        console.print(
            f"delivery of report {done.run.report_id} to {done.recipient} confirmed; {_hint(done.all_done, run_id)}"
        )

    @group.command("resend")
    def resend(
        run_id: Annotated[int, typer.Argument(metavar="RUN", help="Run id (csa-report status)")],
        recipient: Annotated[str, typer.Argument(help="Recipient address")],
        audit_db: Annotated[str | None, typer.Option("--audit-db", help="Audit DB URL (CSA_AUDIT_DB)")] = None,
        rebuild: Annotated[
            bool,
            typer.Option(
                "--rebuild",
                help="Only for a delivery made before messages were recorded: write the letter again from today's "
                "policies (CSA_POLICIES)",
            ),
        ] = False,
    ) -> None:
        """Send a delivery of unknown outcome again: the message recorded when it was first sent, same Message-ID."""
        from csa_report.filing.mail import settle as delivery_ops
        from csa_report.letters.resend import resend_letter
        from csa_report.services import Services
        from csa_report.settings import load_settings

        services = Services.start(load_settings(audit_db=audit_db))
        done = delivery_ops.resend(
            services.audit,
            services.settings,
            services.store,
            run_id,
            recipient,
            letter=resend_letter(services.settings),
            rebuild=rebuild,
        )
        console.print(
            f"report {done.run.report_id} sent again to {done.recipient} with Message-ID "
            f"{done.message_id}; {_hint(done.all_done, run_id)}"
        )


def reconcile_expired_signoffs(audit: object) -> None:
    """A run suspended for sign-off that nobody answered in time is failed by the Prefect server, with no process
    of ours left to notice. When a Prefect API is configured, record such runs as ``signoff-timeout``."""
    from csa_report.audit import AuditLog
    from csa_report.period import utc_now

    assert isinstance(audit, AuditLog)
    waiting = [r for r in audit.status() if r.status in ("staged", "checked") and r.flow_run_id]
    if not waiting or not os.environ.get("PREFECT_API_URL"):
        return
    from prefect import get_client

    try:
        with get_client(sync_client=True) as client:
            for r in waiting:
                run = client.read_flow_run(r.flow_run_id)  # type: ignore[arg-type]
                state = run.state
                if state is not None and state.is_failed() and "never resumed" in (state.message or ""):
                    audit.set_run_status(r.run_id, "signoff-timeout", utc_now())
    except Exception as exc:  # the audit listing must not depend on Prefect being up
        console.print(f"(could not ask the Prefect API about waiting runs: {type(exc).__name__})")
