"""The whole synthetic data set as a stream of chunks (pure: no database, no clock)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from csa_report.seed.activity import MEAN_ITEMS, Activity
from csa_report.seed.plan import Plan
from csa_report.seed.rows import Batch, Sink
from csa_report.seed.violations import inject
from csa_report.seed.volumes import processing_volume_rows

#: Rows per chunk (detections for activity, rows for volumes): small enough for constant memory, large
#: enough that per-statement overhead of the loader does not matter.
CHUNK_DETECTIONS: Final = 20_000
CHUNK_VOLUMES: Final = 20_000


def generate(plan: Plan, violations: Sequence[str] = ()) -> Iterator[Batch]:
    """Yield chunks of rows; parents always come in the same or an earlier chunk than their children."""
    sink = Sink()
    volumes = sink.rows["processing_volumes"]
    for row in processing_volume_rows(plan, sink):
        volumes.append(row)
        if len(volumes) >= CHUNK_VOLUMES:
            yield sink.take()
            volumes = sink.rows["processing_volumes"]
    activity = Activity(plan, sink)
    flagged = 0
    # About one day's worth of incidents was flagged just before the period and is reported inside it.
    if plan.lead_in_days:
        per_day = plan.scale / MEAN_ITEMS / max(len(ds) for ds in plan.scan_days.values())
        for _ in range(max(1, round(per_day))):
            flagged += activity.incident(lead_in=True)
    while flagged < plan.scale:
        flagged += activity.incident()
        if sink.pending("detections") >= CHUNK_DETECTIONS:
            yield sink.take()
    inject(plan, sink, activity, violations)
    yield sink.take()
