"""``seed()``: generate the synthetic data set for a period and load it into an empty database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from csa_report.period import Period
from csa_report.seed.generate import generate
from csa_report.seed.load import open_loader, prepare
from csa_report.seed.pipeline import pump
from csa_report.seed.plan import Plan
from csa_report.seed.rows import Batch
from csa_report.seed.violations import VIOLATIONS, canonical, check_supported, parse_violations
from csa_report.source_schema import TABLE_ORDER


@dataclass(frozen=True)
class SeedSummary:
    """What was loaded: rows per table and the violations injected with their offending-record counts."""

    period: Period
    scale: int
    seed: int
    processing_volumes: int
    detections: int
    reports: int
    report_items: int
    report_accounts: int
    content_actions: int
    account_actions: int
    complaints: int
    violations: tuple[tuple[str, int], ...] = ()

    @property
    def rows(self) -> dict[str, int]:
        return {t: int(getattr(self, t)) for t in TABLE_ORDER}

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def seed(
    url: str,
    period: Period,
    *,
    scale: int = 2000,
    seed: int = 0,
    violations: Sequence[str] = (),
    progress: bool = False,
) -> SeedSummary:
    """Fill the empty database at ``url`` (reporting schema created if absent) with synthetic data.

    Deterministic: the same period, scale, seed and set of violations give identical rows on SQLite and
    PostgreSQL. Raises InputError for a scale below 1, an unknown violation, a violation the period cannot
    hold, or a database that already holds rows.
    """
    plan = Plan.make(period, scale, seed)
    # A bare string would otherwise be read letter by letter.
    names = parse_violations(violations) if isinstance(violations, str) else canonical(violations)
    check_supported(plan, names)
    prepare(url)
    totals = dict.fromkeys(TABLE_ORDER, 0)
    bar = _progress() if progress else None
    with bar or nullcontext(), open_loader(url) as loader:
        task = bar.add_task("seeding detections", total=scale) if bar else None

        def write(batch: Batch) -> None:
            loader.write(batch)
            if bar is not None and task is not None:
                bar.update(task, completed=min(totals["detections"], scale))

        pump(_counted(generate(plan, names), totals), write)
        loader.finish()
    return SeedSummary(
        period=period,
        scale=scale,
        seed=seed,
        **totals,
        violations=tuple((n, VIOLATIONS[n].count) for n in names),
    )


def _counted(batches: Iterator[Batch], totals: dict[str, int]) -> Iterator[Batch]:
    for batch in batches:
        for table, rows in batch.items():
            totals[table] += len(rows)
        yield batch


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
