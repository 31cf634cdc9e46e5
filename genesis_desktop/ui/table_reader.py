"""Reading a view's select in chunks: a first page, progress while the rest arrives, and cancellation.

Qt-free. A worker reads; the GUI thread looks at the same `Progress` object on a timer to draw a
progress bar and sets its `cancelled` flag from a Cancel button. Plain attribute reads and writes are
atomic under the GIL, so no lock or signal is needed, and no signal per chunk crosses threads.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, Select, func, select

# Rows per chunk: large enough that pandas' per-chunk overhead vanishes, small enough that building
# one chunk's frame (which holds the GIL) stays far below a frame of the GUI.
CHUNK_ROWS = 10_000


class _CollectorPause:
    """No automatic cyclic garbage collection while bulk rows are read (process-wide, nestable).

    Every chunk's row tuples live just long enough to reach the oldest generation, so a read of a
    million rows set off some twenty full collections of the whole heap, each holding the GIL for
    about 90 ms on two cores: the GUI thread froze that long each time. Reference counting still
    frees every row at once; only the search for cycles waits until the read is over.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self):
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._was_enabled = gc.isenabled()
                gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    self._settle()
                    gc.enable()

    @staticmethod
    def _settle() -> None:
        """Collect the young garbage, then freeze what lives (the frames just read, and all older).

        Without this, the first allocations after the read set off a full collection of the whole
        heap (about 100 ms holding the GIL on two cores: a freeze of the GUI). Frozen objects are
        never scanned again, which suits long-lived modules, widgets and tables; the price is that a
        reference cycle already old and unreachable at this moment is never freed (reference counting
        still frees everything that is not in a cycle).
        """
        gc.collect(1)
        gc.freeze()


collector_paused = _CollectorPause()


class Cancelled(Exception):
    """The person cancelled the work; whatever was being written has been removed."""


@dataclass
class Progress:
    """How far a worker has got (`done` of `total`, total 0 when unknown), and whether to stop."""

    done: int = 0
    total: int = 0
    cancelled: bool = False

    def advance(self, amount: int) -> None:
        """Count `amount` more units of work; raises Cancelled once the person asked to stop."""
        self.done += amount
        self.check()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled("cancelled")

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def fraction(self) -> float | None:
        return min(self.done / self.total, 1.0) if self.total else None


@dataclass
class Reading:
    """How to read a view: at most `limit` rows (None: all), reporting to `progress`."""

    limit: int | None = None
    progress: Progress | None = None


def read_frame(engine: Engine, stmt: Select, reading: Reading | None = None, count: Select | None = None) -> pd.DataFrame:
    """Run `stmt` and return its rows as a DataFrame, in chunks so that progress and Cancel work.

    With a limit, only the first rows in the select's order are read (the page shows them while the
    full read goes on). The row count for the progress bar is `count` (a cheap COUNT that gives the
    same number, e.g. over the main table alone), or else a COUNT over the select itself.
    """
    reading = reading or Reading()
    progress = reading.progress or Progress()
    if reading.limit is not None:
        stmt = stmt.limit(reading.limit)
    chunks = []
    with engine.connect() as conn:
        if reading.limit is None and reading.progress is not None:
            if count is None:
                count = select(func.count()).select_from(stmt.order_by(None).subquery())
            progress.total = int(conn.execute(count).scalar_one())
        progress.check()
        with collector_paused():
            for chunk in pd.read_sql(stmt, conn, chunksize=CHUNK_ROWS):
                chunks.append(chunk)
                progress.advance(len(chunk))
    if not chunks:  # some drivers yield no chunk at all for an empty result
        return pd.DataFrame({c.name: pd.Series([], dtype=object) for c in stmt.selected_columns})
    return chunks[0] if len(chunks) == 1 else concat_chunks(chunks)


def concat_chunks(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks as one frame, column by column: text stays in arrow chunks (no copy), numbers are
    joined by numpy. pd.concat would copy a million rows of text in one call that holds the GIL for
    a tenth of a second; columns whose chunks disagree in type are left to it."""
    columns = {}
    for name in chunks[0].columns:
        parts = [chunk[name] for chunk in chunks]
        dtypes = {part.dtype for part in parts}
        if all(str(d) == "str" for d in dtypes):  # pandas' arrow-backed text
            columns[name] = pd.Series(pa.chunked_array([pa.array(p) for p in parts]), dtype=parts[0].dtype)
        elif len(dtypes) == 1 and isinstance(parts[0].dtype, np.dtype) and parts[0].dtype.kind in "iufbM":
            columns[name] = np.concatenate([p.to_numpy() for p in parts])
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns)
