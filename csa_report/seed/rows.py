"""Column order of every table as the generator emits it, and the in-memory buffer rows go through.

Rows are plain tuples in the column order below: ``str`` for text and instants (see ``clock``), ``int``,
``bool`` or ``None``. Ids are assigned here, not by the database, so the same seed gives the same ids on
SQLite and PostgreSQL and the generator can link tables without reading anything back.
"""

from __future__ import annotations

from typing import Final, TypeAlias

from csa_report.source_schema import COLUMNS as SCHEMA_COLUMNS
from csa_report.source_schema import TABLE_ORDER

Value: TypeAlias = str | int | bool | None
Row: TypeAlias = tuple[Value, ...]
#: Rows of one chunk, per table; always holds every table of ``TABLE_ORDER`` (possibly empty lists).
Batch: TypeAlias = dict[str, list[Row]]

#: Column order per table: the source schema's declaration order.
COLUMNS: Final[dict[str, tuple[str, ...]]] = SCHEMA_COLUMNS

#: Columns holding instants (text ``YYYY-MM-DD HH:MM:SS`` in the rows).
TIMESTAMP_COLUMNS: Final = frozenset(
    {
        "flagged_at",
        "reviewed_at",
        "erased_at",
        "sent_at",
        "human_confirmed_at",
        "removed_at",
        "restored_at",
        "taken_at",
        "user_notified_at",
        "lodged_at",
        "decided_at",
        "complied_at",
    }
)

#: Tables whose first column is an id the generator assigns.
ID_TABLES: Final = tuple(t for t in TABLE_ORDER if COLUMNS[t][0] == "id")


def empty_batch() -> Batch:
    return {t: [] for t in TABLE_ORDER}


class Sink:
    """Collects rows per table, hands out ids, and counts everything it ever held."""

    def __init__(self) -> None:
        self.rows: Batch = empty_batch()
        self.totals: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self._last_id: dict[str, int] = dict.fromkeys(ID_TABLES, 0)

    def new_id(self, table: str) -> int:
        self._last_id[table] += 1
        return self._last_id[table]

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def pending(self, table: str) -> int:
        return len(self.rows[table])

    def take(self) -> Batch:
        """The rows collected since the last call; the sink starts a new batch."""
        batch = self.rows
        for table, rows in batch.items():
            self.totals[table] += len(rows)
        self.rows = empty_batch()
        return batch
