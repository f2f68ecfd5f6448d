"""``csa-report render``: extract + check + render the six artefacts into a folder (no upload)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from csa_report.period import Period, incomplete_period, parse_as_of, utc_now

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def warn_if_incomplete(period: Period, as_of: datetime) -> None:
    """``check``, ``extract`` and ``render`` only warn about an incomplete period (``run`` and ``demo`` refuse it
    unless --allow-incomplete-period): a look at the figures so far is legitimate, a filing of them is not."""
    reason = incomplete_period(period, as_of, utc_now())
    if reason is not None:
        err_console.print(f"[bold yellow]warning:[/] {escape(reason)}; the report would be provisional", markup=True)


AllowIncompleteOpt = Annotated[
    bool,
    typer.Option(
        "--allow-incomplete-period",
        help="Accept an as-of before the period's end or in the future: the report is marked provisional (manifest, "
        "first page) and cannot be filed as final",
    ),
]


def refuse_incomplete(period: str | None, as_of: str | None, allow: bool) -> None:
    """``run``/``demo``, before Prefect starts a run: the period rule of pipeline.refuse_incomplete_period, on the
    as-of the run will use (none given: now). ``previous-year`` is resolved the way the flow resolves it."""
    from csa_report.pipeline import refuse_incomplete_period

    instant = parse_as_of(as_of) if as_of else utc_now()
    if period in (None, "", "previous-year"):
        the_period = Period.parse(str(instant.year - 1))
    else:
        the_period = Period.parse(period)
    refuse_incomplete_period(the_period, instant, allow)


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render(
        period: Annotated[str, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD (end inclusive)")],
        out: Annotated[Path, typer.Option("--out", help="Folder for the six artefacts")],
        db: Annotated[
            str | None,
            typer.Option("--db", help="Source database URL (default: CSA_SOURCE_DB), e.g. sqlite:///source.db"),
        ] = None,
        policies: Annotated[
            Path | None,
            typer.Option("--policies", help="Policy folder (default: CSA_POLICIES): provider.md, legal-basis.md, …"),
        ] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="ISO 8601 instant; UTC when no offset (default: now)")
        ] = None,
        waivers: Annotated[
            Path | None, typer.Option("--waivers", help="Waivers file (YAML list) (default: CSA_WAIVERS)")
        ] = None,
        templates: Annotated[
            Path | None,
            typer.Option(
                "--templates",
                help="Provider template folder, searched before the default templates (default: CSA_TEMPLATES)",
            ),
        ] = None,
        publication_date: Annotated[
            str | None,
            typer.Option(
                "--publication-date",
                help="YYYY-MM-DD printed as the publication date, the day of filing (default: today, never the "
                "as-of day)",
            ),
        ] = None,
    ) -> None:
        """Extract the indicators, run the checks and render report.html/.pdf/.md/.json/.csv and manifest.json.

        Exit codes: 0 rendered, no blocking finding; 1 rendered as a draft, blocking findings remain;
        2 invalid input; 3 database unreachable; 4 a check could not run or the tool failed.
        """
        from csa_report import pipeline
        from csa_report.checks.terminal import findings_table
        from csa_report.commands.data import resolve_as_of
        from csa_report.lake import object_store_settings
        from csa_report.outdir import usable_out_dir
        from csa_report.settings import load_settings

        # The settings are read as `check` reads them: options first, then CSA_* and the config file.
        settings = load_settings(source_db=db, policies=policies, waivers=waivers, templates=templates)
        the_period, instant = Period.parse(period), resolve_as_of(as_of)
        warn_if_incomplete(the_period, instant)
        published = pipeline.publication_date_of(publication_date, utc_now().date())
        usable_out_dir(out)
        inputs = pipeline.report_inputs(settings.source, the_period, instant)
        with object_store_settings(settings.s3):  # for a DuckDB file of views over Parquet on S3
            indicators = pipeline.extract(inputs.source_db, inputs.period, inputs.as_of, inputs.tuning)
            previous = pipeline.previous_figures(
                settings.audit, settings.s3, inputs.policies.provider.provider, inputs.period
            )
            result = pipeline.check_report(inputs, indicators, previous)
            if result.errors:
                console.print(findings_table(result))
                for e in result.errors:
                    console.print(f"[bold red]check {e.rule} could not run:[/] {e.message}")
                raise typer.Exit(result.exit_code)
            compared = pipeline.compared_report(
                settings.audit, settings.s3, inputs.policies.provider.provider, inputs.period
            )
            context = pipeline.report_context(
                inputs.source_db, indicators, inputs.policies, result, published, previous=compared
            )
            rendered = pipeline.render_artefacts(
                context, out, settings.source.templates, settings.source.render_timeout_s
            )
        if result.findings:
            console.print(findings_table(result))
        for name, path in sorted(rendered.paths.items()):
            console.print(f"{path}  sha256 {rendered.sha256[name]}")
        console.print(f"report id [bold]{rendered.report_id}[/]")
        if result.blocking:
            console.print(
                f"[bold red]{len(result.blocking)} blocking finding(s) remain:[/] the report is a draft "
                "and cannot go to sign-off"
            )
            raise typer.Exit(1)


def flow_option(name: str, value: object) -> dict[str, Any]:
    """``{name: value}`` when the annual_report flow takes that parameter, else nothing (the CLI checked it
    already): lets the CLI pass an option the flow gains in a later change without breaking before it."""
    import inspect

    from csa_report.flows.annual_report import annual_report

    return {name: value} if name in inspect.signature(annual_report.fn).parameters else {}
