"""The tables extraction reads and the one result shape every extraction statement returns.

Lightweight table handles (csa_report.extract.queries and csa_report.extract.distinct only read, and a
provider's views need not match our DDL types), the columns checked before any statement runs, and ``shape``:
kind, service, category, k1..k6 (keys), n1..n6 (numbers), which csa_report.extract.compute assembles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, Select, Table, Text, case, cast, literal, null, select
from sqlalchemy.sql.elements import ColumnElement

from csa_report.source_schema import COLUMNS

# Lightweight table handles: we only read, and a provider's views need not match our DDL types.
_md = MetaData()


def _table(name: str, *, omit: tuple[str, ...] = ()) -> Table:
    return Table(name, _md, *(Column(c) for c in COLUMNS[name] if c not in omit))


PV = _table("processing_volumes")
DET = _table("detections")
REP = _table("reports")
RI = _table("report_items")
RA = _table("report_accounts")
# Extraction never reads content_actions.user_notified_at, so a provider's view need not carry it.
CA = _table("content_actions", omit=("user_notified_at",))
AA = _table("account_actions")
CMP = _table("complaints")

#: The columns extraction reads, per table: checked before any query runs so that a missing one is
#: reported by name rather than as a database error.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.columns) for t in (PV, DET, REP, RI, RA, CA, AA, CMP)
}

SHAPE = ("kind", "service", "category", "k1", "k2", "k3", "k4", "k5", "k6", "n1", "n2", "n3", "n4", "n5", "n6")
N_KEYS = 6


def shape(
    kind: str, *, service: Any = None, category: Any = None, keys: Sequence[Any] = (), nums: Sequence[Any] = ()
) -> list[ColumnElement[Any]]:
    """Columns of the common result shape: kind, service, category, k1..k6 (keys), n1..n6 (numbers)."""
    # Typed NULLs: PostgreSQL resolves UNION column types pair by pair, and NULL ∪ NULL would become text.
    k = [*keys, *([cast(null(), Text)] * (N_KEYS - len(keys)))]
    n = [*nums, *([cast(null(), BigInteger)] * (6 - len(nums)))]
    cols: list[Any] = [
        literal(kind),
        service if service is not None else cast(null(), Text),
        category if category is not None else cast(null(), Text),
        *k,
        *n,
    ]
    return [c.label(name) for c, name in zip(cols, SHAPE, strict=True)]


def grouped(
    kind: str,
    *,
    service: Any = None,
    category: Any = None,
    keys: Sequence[Any] = (),
    nums: Sequence[Any] = (),
    also: Sequence[Any] = (),
) -> Select[Any]:
    """A ``shape`` select grouped by its service, category and keys (the ones given), then ``also`` (a grouping
    column that stands among the numbers, e.g. an in-period flag)."""
    by = [c for c in (service, category) if c is not None]
    return select(*shape(kind, service=service, category=category, keys=keys, nums=nums)).group_by(*by, *keys, *also)


def when(cond: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((cond, value), else_=null())
