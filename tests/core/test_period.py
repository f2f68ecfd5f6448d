from datetime import date, datetime

import pytest

from csa_report.errors import PeriodError
from csa_report.period import Period, check_as_of, format_instant, parse_as_of


def test_year_is_the_calendar_year():
    p = Period.parse("2025")
    assert (p.start, p.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert str(p) == "2025-01-01/2025-12-31"
    assert p.start_at == datetime(2025, 1, 1)
    assert p.end_before == datetime(2026, 1, 1)
    assert p.days == 365


def test_range_end_inclusive_across_leap_day():
    p = Period.parse("2024-02-01/2024-02-29")
    assert p.end_before == datetime(2024, 3, 1)
    assert p.days == 29
    assert p.slug == "2024-02-01_2024-02-29"


@pytest.mark.parametrize("text", ["2025-13", "25", "2025-01-01/2024-12-31", "2025-02-30/2025-03-01", "", "2025/2026"])
def test_bad_periods_raise_period_error_with_the_input(text):
    with pytest.raises(PeriodError) as err:
        Period.parse(text)
    assert repr(text) in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-08", datetime(2026, 1, 8)),
        ("2026-01-08T00:00:00", datetime(2026, 1, 8)),
        ("2026-01-08T00:00:00Z", datetime(2026, 1, 8)),
        ("2026-01-08T01:30:00+01:00", datetime(2026, 1, 8, 0, 30)),
        ("2026-01-07T23:00:00-02:00", datetime(2026, 1, 8, 1, 0)),
    ],
)
def test_as_of_is_utc(text, expected):
    assert parse_as_of(text) == expected


def test_as_of_before_the_period_is_refused():
    with pytest.raises(PeriodError, match="before the period 2025-01-01/2025-12-31 starts"):
        check_as_of(Period.parse("2025"), datetime(2024, 12, 31, 23, 59, 59))
    check_as_of(Period.parse("2025"), datetime(2025, 1, 1))  # the first instant is fine


def test_bad_as_of():
    with pytest.raises(PeriodError, match="does not parse"):
        parse_as_of("next tuesday")


def test_format_instant():
    assert format_instant(datetime(2026, 1, 8)) == "2026-01-08T00:00:00Z"
    assert format_instant(datetime(2026, 1, 8, 0, 0, 0, 500000)) == "2026-01-08T00:00:00.500000Z"
