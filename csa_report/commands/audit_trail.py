"""``csa-report status`` (the audit trail, per run) and ``csa-report evidence`` (an auditor's evidence pack).

Both only read: an audit database that does not exist is exit 2 and nothing is created; one without csa-report's
tables is exit 2 too (it is not the audit database the runs wrote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=True)

AuditDbOpt = Annotated[str | None, typer.Option("--audit-db", help="Audit DB URL (CSA_AUDIT_DB)")]


def open_audit(audit_db: str | None) -> Any:
    """The Services of the settings, with an audit database that exists and holds csa-report's tables."""
    from csa_report.audit.evidence import require_existing
    from csa_report.errors import ConfigError
    from csa_report.services import Services
    from csa_report.settings import load_settings

    settings = load_settings(audit_db=audit_db)
    require_existing(str(settings.audit.audit_db))
    services = Services(settings)
    if not services.audit.has_audit_tables():
        raise ConfigError(
            f"{services.audit.what} holds no csa-report audit tables: give the database the runs wrote with "
            "--audit-db URL or CSA_AUDIT_DB"
        )
    return services


def _filing_line(filing: dict[str, Any] | None) -> str | None:
    if filing is None:
        return None
    if filing["supersedes"]:
        text = f"filing #{filing['seq']}: correction of {filing['supersedes']} because {filing['reason']}"
    else:
        text = f"filing #{filing['seq']}: first filing of the period"
    if filing["superseded_by"]:
        text += f"; superseded by {filing['superseded_by']}"
    return text


def print_run(r: dict[str, Any], deadline: str) -> None:
    out = console.print
    out(
        f"[bold]run {r['run_id']}[/]  {escape(r['provider'])}, {r['period']}, as of {r['as_of']}: "
        f"[bold]{escape(r['outcome'])}[/] (updated {r['updated_at']})"
    )
    out(f"  report id {r['report_id'] or '–'}, manifest sha256 {r['manifest_sha256'] or '–'}")
    filing = _filing_line(r["filing"])
    if filing:
        out(f"  {escape(filing)}")
    out(f"  deadline: {deadline}")
    if r["flow_run_id"]:
        out(f"  Prefect flow run {r['flow_run_id']}")
    for f in r["findings"]:
        waived = f" (waived by {f['waived_by']})" if f["waived_by"] else ""
        out(f"  finding {f['rule']} [{f['severity']}]{escape(waived)}: {f['count']}")
    for s in r["signoffs"]:
        how = " (automatic)" if s["automatic"] else ""
        key = f", key {s['key_fingerprint']}" if s["key_fingerprint"] else ""
        refused = f" — refused: {s['refused_reason']}" if s["refused_reason"] else ""
        out(f"  sign-off: {s['decision']} by {escape(s['reviewer'] + how)} at {s['decided_at']}{key}{escape(refused)}")
    for d in r["deliveries"]:
        when = f", accepted at {d['accepted_at']}" if d["accepted_at"] else ""
        out(
            f"  delivery to {escape(d['recipient'])} ({d['role'] or '–'}): {d['status']} via {d['channel']}{when}, "
            f"{d['attempts_this_run']} attempt(s) in this run, Message-ID {escape(d['message_id'] or '–')}"
        )
    if r["publication_url"]:
        out(f"  published at {escape(r['publication_url'])}")
    elif r["outcome"] == "submitted":
        out("  not published (no publication bucket set: publication_bucket, CSA_PUBLICATION_BUCKET)")


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        period: Annotated[str | None, typer.Option("--period", help="Only this period")] = None,
        audit_db: AuditDbOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON (as in evidence.json)")] = False,
    ) -> None:
        """Runs, filings, findings, sign-offs and deliveries recorded in the audit database, per run."""
        from csa_report.commands.runs import reconcile_expired_signoffs
        from csa_report.deadline import deadline_for
        from csa_report.evidence import run_entries
        from csa_report.period import Period, parse_as_of, utc_now

        audit = open_audit(audit_db).audit
        the_period = Period.parse(period) if period else None
        reconcile_expired_signoffs(audit)
        runs = run_entries(audit, the_period)
        if as_json:
            typer.echo(json.dumps(runs, sort_keys=True, ensure_ascii=False, indent=2))
            return
        if not runs:
            console.print("no runs recorded" + (f" for {period}" if period else ""))
            return
        for r in runs:
            # a submitted report is measured at its submission, anything else now
            at = parse_as_of(r["updated_at"]) if r["outcome"] == "submitted" else utc_now()
            print_run(r, deadline_for(Period.parse(r["period"])).describe(at))

    @app.command()
    def evidence(
        period: Annotated[str, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD")],
        out: Annotated[Path, typer.Option("--out", help="New or empty folder for the pack")],
        audit_db: AuditDbOpt = None,
    ) -> None:
        """Write an auditor's evidence pack of a period (runs, filing chain, sign-offs, deliveries, archived
        copies) and a README that verifies it with sha256sum, ssh-keygen and pyhanko."""
        from csa_report.evidence import write_pack
        from csa_report.period import Period

        services = open_audit(audit_db)
        readme = write_pack(services.audit, services.store, Period.parse(period), out)
        console.print(f"evidence pack of {Period.parse(period)} written to {out}; start with {readme}")
