"""The connection every part of the audit log shares, and the small SQL helpers they have in common."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Executable
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from csa_report.db import with_retries
from csa_report.period import Period

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


class AuditStore:
    """The audit database's engine; each part of ``AuditLog`` writes and reads through ``_tx``. Timestamps are
    passed in; nothing here reads a clock."""

    def __init__(self, engine: Engine, what: str = "audit database") -> None:
        self.engine = engine
        self.what = what

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction (committed on success), the connection retried while unreachable."""
        conn = with_retries(self.engine.connect, self.what)
        try:
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            conn.close()

    def _insert_once(self, *statements: Executable) -> bool:
        """Run ``statements`` in one transaction; False when a unique constraint refuses them (the row exists:
        another claimer won), so exactly one caller ever inserts a claim."""
        try:
            with self._tx() as conn:
                for statement in statements:
                    conn.execute(statement)
        except DbIntegrityError:
            return False
        return True


def period_text(value: Period | str) -> str:
    return str(value)


def eq_or_null(
    column: InstrumentedAttribute[str | None] | InstrumentedAttribute[str], value: str | None
) -> ColumnElement[bool]:
    """``column = value``, or ``column IS NULL`` for None (SQL's ``= NULL`` matches nothing)."""
    return column.is_(None) if value is None else column == value


def rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def record_of(record_type: type[R], row: object, **converted: Any) -> R:
    """The record ``record_type`` of an ORM row: each field the row's attribute of the same name, except those
    given in ``converted`` (a value the row holds in another form)."""
    values = {f.name: getattr(row, f.name) for f in fields(record_type) if f.name not in converted}
    return record_type(**values, **converted)
