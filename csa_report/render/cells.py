"""The cells of the report's fields: a value formatted for print, or an explicit ``N/A — reason``."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any, Final

from csa_report.errors import ToolError
from csa_report.indicators import IndicatorRow
from csa_report.render.model import Cell

NA: Final = "N/A — "


def format_value(value: Any, unit: str) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if unit == "count" and isinstance(value, int):
        return f"{value:,}"
    if unit == "bytes" and isinstance(value, int):
        return f"{value:,} bytes"
    if unit == "percent" and isinstance(value, Decimal | int | float):
        return f"{value} %"
    if unit == "days" and isinstance(value, Decimal | int | float):
        return f"{value} days"
    return str(value)


def _json_value(value: Any) -> int | float | str | bool | None:
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, int | float | str | bool):
        return value
    raise ToolError(f"report context: unexpected value type {type(value).__name__}")


def na_cell(reason: str, unit: str = "text") -> Cell:
    reason = reason.strip()
    for prefix in ("N/A:", "N/A —", "N/A -", "N/A"):
        if reason.startswith(prefix):
            reason = reason[len(prefix) :].strip()
            break
    return Cell(text=NA + reason, value=None, unit=unit, note=reason, na=True)


def value_cell(value: Any, unit: str, note: str = "") -> Cell:
    if value is None:
        return na_cell(note or "no value", unit)
    if isinstance(value, str) and not value.strip():
        return na_cell(note or "none", unit)
    return Cell(text=format_value(value, unit), value=_json_value(value), unit=unit, note=note)


def row_cell(row: IndicatorRow) -> Cell:
    if row.value is None or (isinstance(row.value, str) and row.value == ""):
        return na_cell(row.note or ("none" if row.unit == "text" else "no value"), row.unit)
    return value_cell(row.value, row.unit, row.note)


def text_or_na(value: str | None, reason: str) -> Cell:
    if value is None or not value.strip():
        return na_cell(reason)
    return value_cell(" ".join(value.split()), "text")


def lower_first(name: str) -> str:
    """'Known CSAM' → 'known CSAM' (lower-case the first letter only, keep acronyms)."""
    return name[:1].lower() + name[1:]


def slug(name: str) -> str:
    """An indicator-safe form of a name: 'An Garda Síochána' → 'an_garda_siochana'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "unnamed"
