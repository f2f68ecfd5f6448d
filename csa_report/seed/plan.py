"""What a seed run will generate: the period, its lawful scanning days per service, and the derived constants.

The fictional provider follows the law in the clean data: it does not scan during the 2026 gap with no
derogation in force (2026-04-04..2026-07-30), and it stops scanning a service from the day it becomes
end-to-end encrypted (``E2EE_FROM``), since 2026/1881 excludes E2EE communications.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from csa_report.demo_provider import E2EE_FROM, SERVICES
from csa_report.errors import InputError
from csa_report.period import Period
from csa_report.seed.clock import DAY, day_start, days

#: No derogation in force (2021/1232 lapsed 2026-04-03; 2026/1881 applies from 2026-07-31).
GAP_FIRST: Final = date(2026, 4, 4)
GAP_LAST: Final = date(2026, 7, 30)
#: The synthetic database is a snapshot taken this long after the period end: later events do not exist yet.
SNAPSHOT_AFTER_DAYS: Final = 30
#: Share of detections per service (renormalised over the services that may scan in the period).
SERVICE_SHARE: Final[dict[str, float]] = {"Example Chat": 0.7, "Example Mail": 0.3}
#: Days before the period start on which a few items are flagged that get reported inside the period.
LEAD_IN_DAYS: Final = 3


def in_gap(day: date) -> bool:
    return GAP_FIRST <= day <= GAP_LAST


def may_scan(service: str, day: date) -> bool:
    """Whether the provider lawfully scans ``service`` on ``day`` (the clean seed only ever does then)."""
    if in_gap(day):
        return False
    e2ee = E2EE_FROM.get(service)
    return e2ee is None or day < e2ee


@dataclass(frozen=True)
class Plan:
    period: Period
    scale: int
    seed: int
    #: Days of the period on which each service is scanned (services with none are left out).
    scan_days: dict[str, tuple[date, ...]] = field(compare=False)
    #: Days shortly before the period start on which each service was scanned (for lead-in items).
    lead_in_days: dict[str, tuple[date, ...]] = field(compare=False)

    @classmethod
    def make(cls, period: Period, scale: int, seed: int) -> Plan:
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise InputError(f"scale must be a whole number of detections of at least 1 (got {scale!r})")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InputError(f"seed must be a whole number (got {seed!r})")
        scan = {s: tuple(d for d in days(period.start, period.end) if may_scan(s, d)) for s in SERVICES}
        scan = {s: ds for s, ds in scan.items() if ds}
        if not scan:
            raise InputError(
                f"period {period} has no day on which the provider may scan any service "
                f"({GAP_FIRST}..{GAP_LAST} has no derogation in force; end-to-end encrypted services are not "
                "scanned): choose a period with lawful scanning days"
            )
        before = days(period.start - timedelta(days=LEAD_IN_DAYS), period.start - timedelta(days=1))
        lead = {s: tuple(d for d in before if may_scan(s, d)) for s in scan}
        return cls(period, scale, seed, scan, {s: ds for s, ds in lead.items() if ds})

    def rng(self, stream: str) -> random.Random:
        """An independent, reproducible random stream (str seeds go through SHA-512, not ``hash()``)."""
        return random.Random(f"csa-report/seed/{stream}/{self.seed}")

    @property
    def start(self) -> int:
        return day_start(self.period.start)

    @property
    def end_before(self) -> int:
        return day_start(self.period.end) + DAY

    @property
    def snapshot(self) -> int:
        """The instant the synthetic database describes: nothing in it happens later."""
        return self.end_before + SNAPSHOT_AFTER_DAYS * DAY

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s for s in SERVICES if s in self.scan_days)

    def service_weights(self) -> list[float]:
        return [SERVICE_SHARE.get(s, 0.5) for s in self.services]

    @property
    def accounts(self) -> int:
        """Size of the pseudonymous account pool; accounts recur across reports and roles."""
        return max(100, self.scale // 3)
