from datetime import datetime

from csa_report.period import resolve_period


def test_previous_year_is_the_default_period():
    assert str(resolve_period(None, datetime(2027, 1, 5, 6))) == "2026-01-01/2026-12-31"
    assert str(resolve_period("previous-year", datetime(2026, 1, 1))) == "2025-01-01/2025-12-31"
    assert str(resolve_period("2024", datetime(2026, 1, 1))) == "2024-01-01/2024-12-31"
