"""Helpers for the compliance-check tests: a fresh reporting-schema database, row builders, example policies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from csa_report.checks import CheckFailure, Finding, run_rule
from csa_report.db import make_engine
from csa_report.migrate import upgrade
from csa_report.period import Period
from csa_report.policies import PolicySet, load_policies
from csa_report.source_schema import (
    AccountAction,
    Complaint,
    ContentAction,
    Detection,
    ProcessingVolume,
    Report,
    ReportItem,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "policies" / "example"


@pytest.fixture(scope="session")
def example_policies() -> PolicySet:
    return load_policies(EXAMPLE)


def with_doc(policies: PolicySet, name: str, **update: Any) -> PolicySet:
    """The policy set with fields of one document replaced (models are frozen; copies keep body/path/hash)."""
    doc = getattr(policies, name)
    return policies.model_copy(update={name: doc.model_copy(update=update)})


class Source:
    """A fresh reporting-schema database and row inserters with sensible defaults."""

    def __init__(self, url: str) -> None:
        self.url = url
        upgrade(url, "source")
        self.engine = make_engine(url)
        self._ids: dict[str, int] = {}

    def _next(self, table: str) -> int:
        self._ids[table] = self._ids.get(table, 0) + 1
        return self._ids[table]

    def add(self, model: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(model.__table__), rows)

    def detection(self, flagged_at: datetime, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("detections"),
            "service": "Example Mail",
            "technology": "photodna",
            "category": "known_csam",
            "data_type": "image",
            "file_type": None,
            "user_region": "eu",
            "account_ref": "acct-1",
            "flagged_at": flagged_at,
            "automated": True,
            "reviewed_at": None,
            "verdict": None,
            "erased_at": None,
            "hold_ref": None,
        }
        row.update(kw)
        return row

    def detections(self, *rows: dict[str, Any]) -> None:
        self.add(Detection, rows)

    def report(self, sent_at: datetime, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("reports"),
            "service": "Example Mail",
            "recipient": "NCMEC",
            "category": "known_csam",
            "sent_at": sent_at,
            "human_confirmed_at": None,
        }
        row.update(kw)
        return row

    def reports(self, *rows: dict[str, Any]) -> None:
        self.add(Report, rows)

    def volume(self, day: date, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("processing_volumes"),
            "service": "Example Mail",
            "day": day,
            "data_type": "image",
            "file_type": None,
            "user_region": "eu",
            "items": 100,
            "bytes": 1000,
        }
        row.update(kw)
        return row

    def volumes(self, *rows: dict[str, Any]) -> None:
        self.add(ProcessingVolume, rows)

    def account_action(self, taken_at: datetime, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("account_actions"),
            "service": "Example Mail",
            "account_ref": "acct-1",
            "category": "known_csam",
            "user_region": "eu",
            "action": "suspend",
            "taken_at": taken_at,
            "user_notified_at": taken_at,
            "restored_at": None,
        }
        row.update(kw)
        return row

    def account_actions(self, *rows: dict[str, Any]) -> None:
        self.add(AccountAction, rows)

    def items(self, *pairs: tuple[int, int]) -> None:
        """report_items rows: (report id, detection id)."""
        self.add(ReportItem, [{"report_id": r, "detection_id": d} for r, d in pairs])

    def content_action(self, removed_at: datetime, detection_id: int, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("content_actions"),
            "service": "Example Mail",
            "detection_id": detection_id,
            "removed_at": removed_at,
            "restored_at": None,
            "user_notified_at": removed_at,
        }
        row.update(kw)
        return row

    def content_actions(self, *rows: dict[str, Any]) -> None:
        self.add(ContentAction, rows)

    def complaint(self, lodged_at: datetime, **kw: Any) -> dict[str, Any]:
        row = {
            "id": self._next("complaints"),
            "service": "Example Mail",
            "subject": "account",
            "content_action_id": None,
            "account_action_id": None,
            "channel": "internal",
            "lodged_at": lodged_at,
            "decided_at": None,
            "outcome": None,
            "complied_at": None,
            "reason": None,
        }
        row.update(kw)
        return row

    def complaints(self, *rows: dict[str, Any]) -> None:
        self.add(Complaint, rows)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def source(new_sqlite_url: str) -> Any:
    src = Source(new_sqlite_url)
    yield src
    src.close()


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def any_source(request: pytest.FixtureRequest) -> Any:
    """The same, on SQLite, PostgreSQL and DuckDB in turn."""
    fixture = {"sqlite": "new_sqlite_url", "postgresql": "new_pg_url", "duckdb": "new_duckdb_url"}[request.param]
    src = Source(str(request.getfixturevalue(fixture)))
    yield src
    src.close()


RunRule = Callable[..., Finding | CheckFailure | None]


def check(
    rule: str, src: Source | None, policies: PolicySet, period: str = "2026", as_of: datetime = datetime(2027, 1, 31)
) -> Finding | None:
    """Run one rule; fail the test if it could not run."""
    outcome = run_rule(rule, src.url if src else None, Period.parse(period), as_of, policies)
    assert not isinstance(outcome, CheckFailure), outcome
    return outcome
