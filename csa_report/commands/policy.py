"""``csa-report check``: indicators + compliance findings, with the exit codes of policies.md §3.

0 no blocking finding remains; 1 a blocking finding remains; 2 invalid input or configuration (policy document,
waivers file, period, a table or column missing in the source); 3 the database stayed unreachable; 4 a rule
could not run (query error).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from csa_report.period import Period

if TYPE_CHECKING:
    from csa_report.policies.provider_doc import ProviderDoc

console = Console(highlight=False, soft_wrap=True)


def warn_if_published_keys(provider: ProviderDoc) -> None:
    """``check`` signs nothing, so a published example key is a warning here (the docs check the example folder);
    ``run`` refuses it outside the demo (csa_report/policies/published_keys.py)."""
    from csa_report.policies.published_keys import published_key_message

    message = published_key_message(provider)
    if message is not None:
        console.print(f"[yellow]warning:[/] {message}; `csa-report run` refuses it (exit 2) outside the demo")


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        period: Annotated[str, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD (end inclusive)")],
        db: Annotated[
            str | None,
            typer.Option("--db", help="Source database URL (default: CSA_SOURCE_DB), e.g. sqlite:///source.db"),
        ] = None,
        policies: Annotated[
            Path | None, typer.Option("--policies", help="Policy folder (default: CSA_POLICIES), e.g. policies/example")
        ] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="ISO 8601 instant; UTC when no offset (default: now)")
        ] = None,
        waivers: Annotated[
            Path | None,
            typer.Option(
                "--waivers", help="YAML list of waivers {rule, reason, waived_by, expires} (default: CSA_WAIVERS)"
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Folder for findings.json, indicators.csv and indicators.json "
                "(default: findings.json in the current folder)",
            ),
        ] = None,
    ) -> None:
        """Extract the indicators and run every compliance rule against the policy documents."""
        from csa_report import pipeline
        from csa_report.checks import raise_for_errors
        from csa_report.checks.terminal import findings_table
        from csa_report.commands.data import resolve_as_of, write_indicators
        from csa_report.commands.render import warn_if_incomplete
        from csa_report.errors import BlockingFindings
        from csa_report.lake import object_store_settings
        from csa_report.settings import load_settings

        settings = load_settings(source_db=db, policies=policies, waivers=waivers)
        inputs = pipeline.report_inputs(settings.source, Period.parse(period), resolve_as_of(as_of))
        warn_if_incomplete(inputs.period, inputs.as_of)
        warn_if_published_keys(inputs.policies.provider)
        with object_store_settings(settings.s3):  # for a DuckDB file of views over Parquet on S3
            indicators = pipeline.extract(inputs.source_db, inputs.period, inputs.as_of, inputs.tuning)
            previous = pipeline.previous_figures(
                settings.audit, settings.s3, inputs.policies.provider.provider, inputs.period
            )
            result = pipeline.check_report(inputs, indicators, previous)
        target = out if out is not None else Path()
        target.mkdir(parents=True, exist_ok=True)
        findings_path = target / "findings.json"
        findings_path.write_text(result.to_json(), encoding="utf-8", newline="")
        written = [findings_path]
        if out is not None:
            written += write_indicators(indicators, out)
        console.print(findings_table(result))
        console.print("wrote " + ", ".join(str(p) for p in written))
        raise_for_errors(result)
        stop = result.blocking
        if stop:
            rules = ", ".join(sorted({f.rule for f in stop}))
            raise BlockingFindings(
                f"{len(stop)} blocking finding(s) remain ({rules}): the report cannot go to "
                f"sign-off; see {findings_path}"
            )
