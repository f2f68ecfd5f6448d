"""The typed result of extraction and its machine-readable forms (data-contract §3 and §4)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal

from csa_report.period import Period, format_instant
from csa_report.spreadsheet import safe_cell

Unit = Literal["count", "bytes", "percent", "days", "text", "bool"]
Value = int | Decimal | str | bool | None

ALL: Final = "ALL"
NO: Final = "-"  # category/technology where it does not apply
SCHEMA_ID: Final = "csa-report/indicators/2"
CSV_FIELDS: Final = (
    "service",
    "period",
    "section",
    "indicator",
    "category",
    "technology",
    "region",
    "value",
    "unit",
    "note",
)


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One value for (service, period, section, indicator, category, technology, region)."""

    service: str
    section: int
    indicator: str
    category: str
    technology: str
    region: str
    value: Value
    unit: Unit
    note: str = ""

    @property
    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        return (self.section, self.indicator, self.category, self.technology, self.region, self.service)

    @property
    def key(self) -> tuple[str, int, str, str, str, str]:
        return (self.service, self.section, self.indicator, self.category, self.technology, self.region)

    def value_text(self) -> str:
        """The value as written in the CSV: integers plain, decimals with their fixed places, empty for none."""
        v = self.value
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "no"
        return str(v)

    def value_json(self) -> Any:
        v = self.value
        if isinstance(v, Decimal):
            return float(v)  # already rounded to its places; a JSON number is what consumers expect
        return v


@dataclass(frozen=True)
class Indicators:
    """Every indicator of one extraction, rows sorted as data-contract §4 requires."""

    period: Period
    as_of: datetime
    services: tuple[str, ...]
    rows: tuple[IndicatorRow, ...] = field(default_factory=tuple)

    @classmethod
    def build(
        cls, period: Period, as_of: datetime, services: Iterable[str], rows: Iterable[IndicatorRow]
    ) -> Indicators:
        return cls(period, as_of, tuple(sorted(set(services))), tuple(sorted(rows, key=lambda r: r.sort_key)))

    def get(
        self,
        indicator: str,
        *,
        service: str = ALL,
        category: str = NO,
        technology: str = NO,
        region: str = "all",
        section: int | None = None,
    ) -> IndicatorRow:
        for r in self.rows:
            if (
                r.indicator == indicator
                and r.service == service
                and r.category == category
                and r.technology == technology
                and r.region == region
                and (section is None or r.section == section)
            ):
                return r
        raise KeyError((indicator, service, category, technology, region))

    def value(self, indicator: str, **kw: Any) -> Value:
        return self.get(indicator, **kw).value

    def to_csv(self, extra: Sequence[IndicatorRow] = ()) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        period = str(self.period)
        for r in sorted((*self.rows, *extra), key=lambda r: r.sort_key):
            cells = [
                r.service,
                period,
                r.section,
                r.indicator,
                r.category,
                r.technology,
                r.region,
                r.value_text(),
                r.unit,
                r.note,
            ]
            writer.writerow([safe_cell(c) for c in cells])  # CSV injection: see csa_report.spreadsheet
        return buf.getvalue()

    def to_json_obj(self, extra: Sequence[IndicatorRow] = ()) -> dict[str, Any]:
        period = str(self.period)
        return {
            "schema": SCHEMA_ID,
            "period": period,
            "as_of": format_instant(self.as_of),
            "services": list(self.services),
            "rows": [
                {
                    "service": r.service,
                    "period": period,
                    "section": r.section,
                    "indicator": r.indicator,
                    "category": r.category,
                    "technology": r.technology,
                    "region": r.region,
                    "value": r.value_json(),
                    "unit": r.unit,
                    "note": r.note,
                }
                for r in sorted((*self.rows, *extra), key=lambda r: r.sort_key)
            ],
        }

    def to_json(self, extra: Sequence[IndicatorRow] = ()) -> str:
        return dumps_stable(self.to_json_obj(extra))


def dumps_stable(obj: Any) -> str:
    """JSON with sorted keys and a final newline: equal inputs give equal bytes."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def round_half_away(value: Decimal, places: int) -> Decimal:
    """Round half away from zero (ROUND_HALF_UP in decimal's terms is exactly that)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ratio_percent(numerator: int, denominator: int) -> Decimal:
    return round_half_away(Decimal(numerator) * 100 / Decimal(denominator), 2)


def mean_days(total_seconds: int, n: int) -> Decimal:
    return round_half_away(Decimal(total_seconds) / Decimal(n) / Decimal(86400), 1)
