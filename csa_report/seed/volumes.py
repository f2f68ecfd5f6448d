"""``processing_volumes``: one row per service × scanning day × data type × file type × region.

Volumes are derived from the expected detections per day, so they stay orders of magnitude above the
detections at every scale (a hash match is rare among the files a service carries).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from csa_report.seed.plan import Plan
from csa_report.seed.rows import Row, Sink

#: (data_type, file_type, items processed per expected detection per day, mean bytes per item)
KINDS: Final[tuple[tuple[str, str | None, float, int], ...]] = (
    ("image", None, 100_000.0, 250_000),
    ("video", None, 12_000.0, 8_000_000),
    ("other_file", "docx", 1_500.0, 90_000),
    ("other_file", "gif", 4_000.0, 150_000),
    ("other_file", "pdf", 2_500.0, 600_000),
    ("text", None, 300_000.0, 85),
    ("metadata", None, 2_000_000.0, 300),
)
#: Items processed per day never fall below this (a live service carries traffic even when nothing is found).
FLOOR: Final = 5_000
EU_SHARE: Final = 0.7


def processing_volume_rows(plan: Plan, sink: Sink) -> Iterator[Row]:
    """Rows in (day, service, data type, file type, region) order, ids from ``sink``."""
    rng = plan.rng("volumes")
    weights = plan.service_weights()
    total_weight = sum(weights)
    per_day = {
        s: plan.scale * w / total_weight / len(plan.scan_days[s]) for s, w in zip(plan.services, weights, strict=True)
    }
    scanned = {s: frozenset(ds) for s, ds in plan.scan_days.items()}
    all_days = sorted({d for ds in plan.scan_days.values() for d in ds})
    for day in all_days:
        # Weekends carry a little more private messaging.
        weekday = 1.12 if day.weekday() >= 5 else 1.0
        for service in plan.services:
            if day not in scanned[service]:
                continue
            for data_type, file_type, ratio, mean_bytes in KINDS:
                total = per_day[service] * ratio * weekday * (0.85 + 0.3 * rng.random())
                eu_share = EU_SHARE + 0.04 * (rng.random() - 0.5)
                for region, share in (("eu", eu_share), ("non_eu", 1.0 - eu_share)):
                    items = max(FLOOR, int(total * share))
                    size = int(items * mean_bytes * (0.9 + 0.2 * rng.random()))
                    yield (
                        sink.new_id("processing_volumes"),
                        service,
                        day.isoformat(),
                        data_type,
                        file_type,
                        region,
                        items,
                        size,
                    )
