"""The annual_report flow through the Prefect engine."""

from __future__ import annotations

from datetime import datetime

from csa_report.period import Period
from csa_report.seed import seed
from tasks.extract import extract_indicators


def test_flow_extract_step_equals_direct_extraction(prefect_server, tmp_path):
    from flows.annual_report import annual_report

    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=300, seed=3)
    result = annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url)
    direct = extract_indicators(url, Period.parse("2025"), datetime(2026, 1, 15))
    assert result["period"] == "2025-01-01/2025-12-31"
    assert result["indicators"].to_csv() == direct.to_csv()


def test_previous_year_is_the_default_period():
    from flows.annual_report import resolve_period

    assert str(resolve_period(None, datetime(2027, 1, 5, 6))) == "2026-01-01/2026-12-31"
    assert str(resolve_period("previous-year", datetime(2026, 1, 1))) == "2025-01-01/2025-12-31"
    assert str(resolve_period("2024", datetime(2026, 1, 1))) == "2024-01-01/2024-12-31"
