"""Data commands: ``db upgrade``, ``seed`` and ``extract``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from csa_report.errors import InputError
from csa_report.indicators import ALL, Indicators
from csa_report.period import Period, format_instant, parse_as_of, utc_now
from csa_report.summary import KEY_FIGURES, key_figure

console = Console(highlight=False)

DbOpt = Annotated[str, typer.Option("--db", help="Database URL, e.g. sqlite:///source.db or postgresql://u@h/db")]
PeriodOpt = Annotated[str, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD (end inclusive)")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="ISO 8601 instant; UTC when no offset (default: now)")]


def resolve_as_of(text: str | None) -> datetime:
    return parse_as_of(text) if text else utc_now()


def write_indicators(ind: Indicators, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / "indicators.csv", out / "indicators.json"
    csv_path.write_text(ind.to_csv(), encoding="utf-8", newline="")
    json_path.write_text(ind.to_json(), encoding="utf-8", newline="")
    return csv_path, json_path


def key_figures_table(ind: Indicators) -> Table:
    table = Table(title=f"Key figures, {ind.period} (as of {format_instant(ind.as_of)})")
    table.add_column("Figure")
    for s in (*ind.services, ALL):
        table.add_column(s, justify="right")
    for label, indicator, selectors in KEY_FIGURES:
        table.add_row(label, *(key_figure(ind, indicator, s, selectors) for s in (*ind.services, ALL)))
    return table


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Create or migrate databases.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade(
        db: DbOpt,
        schema: Annotated[
            Literal["source", "audit"],
            typer.Option(help="source: the reporting schema (demo/test source); audit: the audit database"),
        ] = "source",
    ) -> None:
        """Create or migrate a database to the latest schema."""
        from csa_report.db import redact
        from csa_report.migrate import upgrade

        upgrade(db, schema)
        console.print(f"{schema} schema up to date in {redact(db)}")

    @db_app.command("parquet-views")
    def db_parquet_views(
        db: Annotated[
            str, typer.Option("--db", help="DuckDB database URL to hold the views, e.g. duckdb:///lake.duckdb")
        ],
        folder: Annotated[
            str,
            typer.Option(
                "--folder",
                help="Folder, or s3://bucket/prefix, with <table>.parquet (or <table>/**/*.parquet, Hive-style "
                "partitions included) for every table of the reporting schema",
            ),
        ],
    ) -> None:
        """Map Parquet exports (a folder or an S3 prefix) as the reporting schema: one DuckDB view per table."""
        from csa_report.db import redact
        from csa_report.lake import create_parquet_views, is_object_store
        from csa_report.settings import load_settings

        s3 = load_settings().s3 if is_object_store(folder) else None
        tables = create_parquet_views(db, folder if s3 else Path(folder), s3)
        console.print(f"{len(tables)} views over {folder} in {redact(db)}: {', '.join(tables)}")

    @app.command()
    def seed(
        db: Annotated[str | None, typer.Option("--db", help="Database URL (an empty database)")] = None,
        period: Annotated[str | None, typer.Option("--period", help="YYYY or YYYY-MM-DD/YYYY-MM-DD")] = None,
        scale: Annotated[int, typer.Option(help="Approximate number of detections")] = 2000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data")] = 0,
        violations: Annotated[str, typer.Option(help="Comma-separated breaches to inject (see --list)")] = "",
        list_violations: Annotated[bool, typer.Option("--list", help="List the known violations")] = False,
        progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
    ) -> None:
        """Fill a reporting-schema database with realistic synthetic data (deterministic for a seed)."""
        from csa_report.db import redact
        from csa_report.seed import VIOLATIONS, parse_violations
        from csa_report.seed import seed as run_seed

        if list_violations:
            for name, v in VIOLATIONS.items():
                console.print(f"{name:20} {v.rule:9} {v.description}")
            return
        if not db or not period:
            raise InputError("seed needs --db URL and --period P (or --list to see the violations)")
        summary = run_seed(
            db, Period.parse(period), scale=scale, seed=seed, violations=parse_violations(violations), progress=progress
        )
        console.print(f"seeded {redact(db)}: period {summary.period}, scale {summary.scale:,}, seed {summary.seed}")
        table = Table()
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, count in summary.rows.items():
            table.add_row(name, f"{count:,}")
        table.add_row("total", f"{summary.total_rows:,}")
        console.print(table)
        for name, count in summary.violations:
            console.print(f"injected violation {name}: {count} offending records ({VIOLATIONS[name].rule})")

    @app.command()
    def extract(
        db: DbOpt,
        period: PeriodOpt,
        out: Annotated[Path, typer.Option("--out", help="Folder for indicators.csv and indicators.json")],
        as_of: AsOfOpt = None,
    ) -> None:
        """Compute every indicator of the standard form and write indicators.csv and indicators.json."""
        from csa_report import pipeline
        from csa_report.commands.render import warn_if_incomplete
        from csa_report.lake import object_store_settings
        from csa_report.outdir import usable_out_dir
        from csa_report.settings import load_settings

        the_period, instant = Period.parse(period), resolve_as_of(as_of)
        warn_if_incomplete(the_period, instant)
        usable_out_dir(out)
        with object_store_settings(load_settings().s3):  # for a DuckDB file of views over Parquet on S3
            ind = pipeline.extract(db, the_period, instant)
        csv_path, json_path = write_indicators(ind, out)
        console.print(key_figures_table(ind))
        console.print(f"wrote {csv_path} and {json_path} ({len(ind.rows)} rows)")
