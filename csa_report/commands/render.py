"""``csa-report render``: extract + check + render the six artefacts into a folder (no upload)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from csa_report.errors import InputError

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render(
        db: Annotated[str, typer.Option("--db", help="Source database URL, e.g. sqlite:///source.db")],
        period: Annotated[str, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD (end inclusive)")],
        policies: Annotated[Path, typer.Option("--policies", help="Policy folder (provider.md, legal-basis.md, …)")],
        out: Annotated[Path, typer.Option("--out", help="Folder for the six artefacts")],
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="ISO 8601 instant; UTC when no offset (default: now)")] = None,
        waivers: Annotated[Path | None, typer.Option("--waivers", help="Waivers file (YAML list)")] = None,
        templates: Annotated[Path | None, typer.Option(
            "--templates", help="Provider template folder, searched before the default templates")] = None,
        publication_date: Annotated[str | None, typer.Option(
            "--publication-date", help="YYYY-MM-DD printed as the publication date (default: the as-of day)")] = None,
    ) -> None:
        """Extract the indicators, run the checks and render report.html/.pdf/.md/.json/.csv and manifest.json.

        Exit codes: 0 rendered, no blocking finding; 1 rendered as a draft, blocking findings remain;
        2 invalid input; 3 database unreachable; 4 a check could not run or the tool failed.
        """
        from csa_report.checks.runner import evaluate
        from csa_report.checks.terminal import findings_table
        from csa_report.checks.waivers import load_waivers
        from csa_report.extract import extract_indicators
        from csa_report.period import Period, parse_as_of, utc_now
        from csa_report.policies.loader import load_policies
        from csa_report.reference import regimes
        from csa_report.render import build_context, render_report
        from csa_report.render.series import monthly_series_from_url

        p = Period.parse(period)
        instant = parse_as_of(as_of) if as_of else utc_now()
        if publication_date is None:
            published = instant.date()
        else:
            try:
                published = date.fromisoformat(publication_date.strip())
            except ValueError:
                raise InputError(f"--publication-date {publication_date!r} does not parse: expected YYYY-MM-DD") \
                    from None
        from csa_report.outdir import usable_out_dir

        usable_out_dir(out)
        policy_set = load_policies(policies, p)
        waiver_list = load_waivers(waivers) if waivers is not None else ()
        indicators = extract_indicators(db, p, instant)
        result = evaluate(db, p, instant, policy_set, waiver_list, indicators=indicators)
        if result.errors:
            console.print(findings_table(result))
            for e in result.errors:
                console.print(f"[bold red]check {e.rule} could not run:[/] {e.message}")
            raise typer.Exit(result.exit_code)
        series = monthly_series_from_url(db, p, instant)
        from csa_report.tasks.context import segment_indicators

        context = build_context(indicators, policy_set, findings=result.findings, waivers=result.waivers,
                                regimes=regimes(), series=series, publication_date=published,
                                segments=segment_indicators(db, indicators))
        rendered = render_report(context, out, templates)
        if result.findings:
            console.print(findings_table(result))
        for name, path in sorted(rendered.paths.items()):
            console.print(f"{path}  sha256 {rendered.sha256[name]}")
        console.print(f"report id [bold]{rendered.report_id}[/]")
        if result.blocking:
            console.print(f"[bold red]{len(result.blocking)} blocking finding(s) remain:[/] the report is a draft "
                          "and cannot go to sign-off")
            raise typer.Exit(1)
