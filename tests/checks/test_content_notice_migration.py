"""content_actions.user_notified_at (data contract §1, v2) arrives by migration source_0002_notice: a database
created at the first revision keeps its rows and gains the column; until then NOTICE-1 cannot run (a data
error, exit 2), never a silent pass."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from csa_report.checks import CheckFailure, run_rule
from csa_report.db import make_engine
from csa_report.migrate import upgrade
from csa_report.period import Period


def _columns(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [c["name"] for c in inspect(conn).get_columns("content_actions")]
    finally:
        engine.dispose()


def test_database_created_before_v2_gains_the_column(new_db_url: str, example_policies) -> None:
    upgrade(new_db_url, "source", "source_0001")
    assert "user_notified_at" not in _columns(new_db_url)
    engine = make_engine(new_db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO detections (id, service, technology, category, data_type, user_region, "
                "flagged_at, automated) VALUES (1, 'Example Mail', 'photodna', 'known_csam', 'image', "
                "'eu', '2026-05-01 10:00:00', true)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO content_actions (id, service, detection_id, removed_at) "
                "VALUES (1, 'Example Mail', 1, '2026-05-01 11:00:00')"
            )
        )
    engine.dispose()
    outcome = run_rule("NOTICE-1", new_db_url, Period.parse("2026"), datetime(2027, 1, 31), example_policies)
    assert isinstance(outcome, CheckFailure) and outcome.kind == "data" and outcome.exit_code == 2
    assert "user_notified_at" in outcome.message

    upgrade(new_db_url, "source")
    assert _columns(new_db_url)[-1] == "user_notified_at"
    engine = make_engine(new_db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), count(user_notified_at) FROM content_actions")).one() == (1, 0)
    engine.dispose()
    # the existing removal has no notice recorded: NOTICE-1 now runs and reports it
    f = run_rule("NOTICE-1", new_db_url, Period.parse("2026"), datetime(2027, 1, 31), example_policies)
    assert f is not None and not isinstance(f, CheckFailure) and f.count == 1
    assert f.evidence["by_service"] == [{"service": "Example Mail", "action": "remove", "count": 1}]
