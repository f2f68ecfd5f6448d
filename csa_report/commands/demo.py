"""``csa-report demo``: the whole job on embedded defaults (workflow.md, "Embedded defaults").

It seeds a SQLite source in ``DIR/source.db`` (once), runs the ``annual_report`` flow on Prefect's ephemeral API
and leaves everything a user wants to look at in ``DIR``. Running it again in the same folder repeats nothing
already done and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from csa_report.period import Period

console = Console(highlight=False)

DEMO_PERIOD = "2025"
#: Fixed, so that the demo's artefacts are the same bytes on every machine and every run.
DEMO_AS_OF = "2026-01-15T00:00:00Z"
DEMO_SCALE = 3000
DEMO_SEED = 2025


def prepare_environment(out: Path) -> None:
    """Point Prefect at a home inside the demo folder and its ephemeral API, before prefect is imported."""
    import os

    os.environ.setdefault("PREFECT_HOME", str((out / "prefect").resolve()))
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Folder for everything the demo produces")] = Path(
            "demo-output"),
    ) -> None:
        """Run the whole flow on embedded defaults: seeded SQLite source, local storage, outbox."""
        from csa_report.commands.data import key_figures_table, write_indicators
        from csa_report.seed import seed

        out.mkdir(parents=True, exist_ok=True)
        source = out / "source.db"
        source_url = f"sqlite:///{source}"
        if source.exists():
            console.print(f"source database {source} exists: not seeding again")
        else:
            summary = seed(source_url, Period.parse(DEMO_PERIOD), scale=DEMO_SCALE, seed=DEMO_SEED)
            console.print(f"seeded {source} ({summary.detections} detections for {DEMO_PERIOD})")

        from flows.annual_report import annual_report

        result = annual_report(period=DEMO_PERIOD, as_of=DEMO_AS_OF, source_db=source_url)
        indicators = result["indicators"]
        csv_path, json_path = write_indicators(indicators, out / "report")
        console.print(key_figures_table(indicators))
        console.print(f"indicators: {csv_path} and {json_path}")
