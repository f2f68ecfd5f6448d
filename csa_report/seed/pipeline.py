"""Run generation and loading concurrently: the database (a separate process, or SQLite's C code with the GIL
released) works on one chunk while Python generates the next. The queue is short, so memory stays bounded."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Final

from csa_report.seed.rows import Batch

#: Chunks generated ahead of the loader.
AHEAD: Final = 2
_DONE: Final = None


def pump(batches: Iterable[Batch], write: Callable[[Batch], None]) -> None:
    """Feed every batch to ``write`` on a worker thread; re-raise the first error of either side."""
    chunks: queue.Queue[Batch | None] = queue.Queue(maxsize=AHEAD)
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            while (batch := chunks.get()) is not _DONE:
                write(batch)
        except BaseException as exc:  # handed to the producer thread below
            failure.append(exc)
            # Drain so the producer never blocks on a full queue after the consumer died.
            while chunks.get() is not _DONE:
                pass

    worker = threading.Thread(target=consume, name="csa-seed-loader", daemon=True)
    worker.start()
    try:
        for batch in batches:
            if failure:
                break
            chunks.put(batch)
    finally:
        chunks.put(_DONE)
        worker.join()
    if failure:
        raise failure[0]
