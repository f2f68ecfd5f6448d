"""The key figures an operator or reviewer looks at first: one list, used by the terminal table, the Prefect
artifacts and the sign-off form, so they always agree; and the report's summary page (render/summary.py),
re-exported here for the sign-off notification and the Prefect UI description."""

from __future__ import annotations

from typing import Any, Final

from csa_report.indicators import ALL, IndicatorRow, Indicators

# The report's summary (its first page), for the sign-off notification and the Prefect UI: call
# ``report_summary(context)`` on the report's context, then ``summary_text(...)`` for plain text.
from csa_report.render.summary import change, report_summary, summary_text

#: (label, indicator, selectors) — selectors are IndicatorRow fields (category, region).
KEY_FIGURES: Final[tuple[tuple[str, str, dict[str, str]], ...]] = (
    ("Reports sent, known CSAM (all regions)", "reports", {"category": "known_csam"}),
    ("Reports sent, new CSAM (all regions)", "reports", {"category": "new_csam"}),
    ("Reports sent, solicitation (all regions)", "reports", {"category": "solicitation"}),
    ("Items removed, known CSAM (all regions)", "content_removed", {"category": "known_csam"}),
    ("Accounts suspended, known CSAM (all regions)", "accounts_suspended", {"category": "known_csam"}),
    ("Items flagged, known CSAM (A1, all regions)", "flagged", {"category": "known_csam"}),
    ("Error rate, known CSAM (B1/A1 %)", "error_rate", {"category": "known_csam"}),
    ("Items flagged, new CSAM (A2, all regions)", "flagged", {"category": "new_csam"}),
    ("Error rate, new CSAM (B2/A2 %)", "error_rate", {"category": "new_csam"}),
    ("Flagged EU accounts, solicitation (A3)", "flagged", {"category": "solicitation", "region": "eu"}),
    ("Error rate, solicitation (B3/A3 %)", "error_rate", {"category": "solicitation", "region": "eu"}),
    ("Organisations reported to", "organisations", {}),
)


def key_row(ind: Indicators, indicator: str, service: str, selectors: dict[str, Any]) -> IndicatorRow:
    return ind.get(indicator, service=service, **selectors)  # selectors name IndicatorRow fields


def key_figure(ind: Indicators, indicator: str, service: str, selectors: dict[str, Any]) -> str:
    row = key_row(ind, indicator, service, selectors)
    return row.value_text() or row.note


def key_figures(ind: Indicators, service: str = ALL) -> list[tuple[str, str]]:
    """(label, value as printed) for ``service`` (default: all services)."""
    return [(label, key_figure(ind, indicator, service, sel)) for label, indicator, sel in KEY_FIGURES]


__all__ = ["KEY_FIGURES", "change", "key_figure", "key_figures", "key_row", "report_summary", "summary_text"]
