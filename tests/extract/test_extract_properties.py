"""Seeded data of any seed gives arithmetically consistent indicators (policies.md CONSIST-1 in miniature)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csa_report.extract import extract_indicators
from csa_report.indicators import ALL
from csa_report.period import Period
from csa_report.seed import seed

PERIOD = Period.parse("2025")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed_value=st.integers(min_value=0, max_value=2**31 - 1), scale=st.integers(min_value=100, max_value=600))
def test_any_seed_is_consistent(tmp_path_factory, seed_value: int, scale: int) -> None:
    path: Path = tmp_path_factory.mktemp("prop") / "s.db"
    url = f"sqlite:///{path}"
    seed(url, PERIOD, scale=scale, seed=seed_value)
    ind = extract_indicators(url, PERIOD, datetime(2026, 1, 31))
    by_key = {r.key: r for r in ind.rows}
    for r in ind.rows:
        if r.section == 6 and r.indicator == "flagged":
            a = r.value
            b = by_key[(r.service, 6, "not_abuse", r.category, r.technology, r.region)].value
            c = by_key[(r.service, 6, "human_reviewed", r.category, r.technology, r.region)].value
            assert isinstance(a, int) and isinstance(b, int) and isinstance(c, int)
            assert b <= a and c <= a and b <= c, r
        if r.section == 5 and "_restored_" in r.indicator:
            total = by_key[
                (r.service, 5, r.indicator.replace("_restored_", "_complaints_"), r.category, r.technology, r.region)
            ].value
            assert isinstance(r.value, int) and isinstance(total, int)
            assert r.value <= total, r
        if r.section == 5 and r.indicator == "accounts_suspended" and r.region == "eu":
            assert r.value <= by_key[(r.service, 5, r.indicator, r.category, "-", "all")].value  # type: ignore[operator]
    # Counts that are plain sums over services add up; distinct accounts need not (an account may use both).
    for r in ind.rows:
        distinct_accounts = (r.section == 4 and r.indicator.startswith("accounts_")) or (
            r.section == 6 and r.category == "solicitation"
        )
        if r.service == ALL and isinstance(r.value, int) and not distinct_accounts:
            parts = [by_key[(s, *r.key[1:])].value for s in ind.services if (s, *r.key[1:]) in by_key]
            assert sum(p for p in parts if isinstance(p, int)) == r.value, r
