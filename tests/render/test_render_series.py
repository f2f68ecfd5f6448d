"""monthly_series: one aggregate query, same answer on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from csa_report.db import make_engine
from csa_report.migrate import upgrade
from csa_report.period import Period
from csa_report.render.series import MonthPoint, monthly_series
from csa_report.source_schema import Detection

AS_OF = datetime(2025, 4, 10)


def _det(
    category: str,
    flagged_at: datetime,
    automated: bool,
    verdict: str | None = None,
    reviewed_at: datetime | None = None,
) -> dict[str, object]:
    return {
        "service": "Example Chat",
        "technology": "photodna",
        "category": category,
        "data_type": "image",
        "user_region": "eu",
        "account_ref": "acct-1",
        "flagged_at": flagged_at,
        "automated": automated,
        "verdict": verdict,
        "reviewed_at": reviewed_at,
    }


def test_monthly_series(new_db_url: str) -> None:
    upgrade(new_db_url, "source")
    engine = make_engine(new_db_url)
    rows = [
        _det("known_csam", datetime(2025, 1, 1, 0, 0), True, "confirmed", datetime(2025, 1, 2)),
        _det("known_csam", datetime(2025, 1, 31, 23, 59, 59), True, "not_abuse", datetime(2025, 2, 1)),
        _det("known_csam", datetime(2025, 2, 3), False, "confirmed", datetime(2025, 2, 4)),  # user report: neither line
        _det("new_csam", datetime(2025, 3, 9), True, "confirmed", datetime(2025, 4, 11)),  # reviewed after as-of
        _det("new_csam", datetime(2025, 3, 10), True, "confirmed", AS_OF),  # reviewed at as-of: counts
        _det("solicitation", datetime(2025, 3, 31, 23, 59, 59), True),
        _det("solicitation", datetime(2025, 4, 1), True, "confirmed", datetime(2025, 4, 1)),  # outside period
        _det("known_csam", datetime(2024, 12, 31, 23, 59, 59), True, "confirmed", datetime(2025, 1, 1)),
    ]
    try:
        with engine.begin() as conn:
            conn.execute(insert(Detection), rows)
        with engine.connect() as conn:
            series = monthly_series(conn, Period.parse("2025-01-01/2025-03-31"), AS_OF)
    finally:
        engine.dispose()
    assert len(series) == 9  # 3 months × 3 categories, zero-filled
    assert series == (
        MonthPoint("2025-01", "known_csam", 2, 1),
        MonthPoint("2025-01", "new_csam", 0, 0),
        MonthPoint("2025-01", "solicitation", 0, 0),
        MonthPoint("2025-02", "known_csam", 0, 0),  # the confirmed user report is no automated flag
        MonthPoint("2025-02", "new_csam", 0, 0),
        MonthPoint("2025-02", "solicitation", 0, 0),
        MonthPoint("2025-03", "known_csam", 0, 0),
        MonthPoint("2025-03", "new_csam", 2, 1),
        MonthPoint("2025-03", "solicitation", 1, 0),
    )
