"""Live telemetry as plot-ready columns: bounded sample buffers, TensorBoard smoothing, job events.

No Qt here: the plot widget reads these arrays, and the tests and benchmarks drive them without a GUI.

A `Series` keeps (step, relative seconds, wall time, value[, low, high]) in preallocated float64
columns. When it is full, older samples are thinned to every second one (see `Series`), so a job that runs
for days keeps its recent samples at full rate and its history at an ever coarser even rate, in the
same memory.
The columns stay contiguous (compaction rather than a wrapping ring), so the plot hands slices of
them to pyqtgraph without copying or reordering; compaction touches the whole buffer once per quarter
buffer of new samples, so appending stays O(1) per sample on average.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

import numpy as np

STEP, RELATIVE, WALL = "step", "relative", "wall"
X_MODES = (STEP, RELATIVE, WALL)
_X_COLUMN = {STEP: 0, RELATIVE: 1, WALL: 2}
_VALUE, _LOW, _HIGH = 3, 4, 5
DEFAULT_CAPACITY = 8192


class Series:
    """Samples of one quantity of one run, at most `capacity` of them, oldest thinned first.

    The buffer holds a history part, every `stride`-th sample ever received, then a tail of the
    newest samples at full rate. When it fills up, the older part of the tail joins the history at
    the history's stride; when the history passes half the buffer, it keeps every second of its
    samples and the stride doubles. So the first sample, the newest quarter-buffer and an even
    spread over all the time between are always there.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, band: bool = False) -> None:
        if capacity < 8:
            raise ValueError(f"a series needs room for at least 8 samples, not {capacity}")
        self.capacity = capacity
        self.band = band
        # Last row: the sample's ordinal among all ever received, which decides what thinning keeps.
        self._data = np.full((7 if band else 5, capacity), np.nan)
        self.n = 0
        self._history = 0  # samples [0, _history) are the thinned history
        self.stride = 1
        # Bumped on every change, so a redraw compares one integer instead of the arrays.
        self.version = 0
        self.received = 0  # samples ever appended, thinned or not
        # Bumped when samples already held move or go (thinning, clear); between two bumps the
        # series only grows at its end, which lets smoothing extend instead of starting over.
        self.compactions = 0

    def __len__(self) -> int:
        return self.n

    def append_batch(self, step: Sequence[float], relative: Sequence[float], wall: Sequence[float],
                     value: Sequence[float], low: Sequence[float] | None = None,
                     high: Sequence[float] | None = None) -> None:
        """Append whole arrays of samples (in time order); one call per batch, never per sample."""
        columns = [step, relative, wall, value]
        if self.band:
            if low is None or high is None:
                raise ValueError("this series has a confidence band: give low and high with the values")
            columns += [low, high]
        batch = np.vstack([np.asarray(c, dtype=np.float64).reshape(-1) for c in columns])
        count = batch.shape[1]
        if count == 0:
            return
        done = 0
        while done < count:
            if self.n == self.capacity:
                self._make_room()
            take = min(count - done, self.capacity - self.n)
            self._data[:-1, self.n:self.n + take] = batch[:, done:done + take]
            self._data[-1, self.n:self.n + take] = np.arange(self.received + done, self.received + done + take)
            self.n += take
            done += take
        self.received += count
        self.version += 1

    def _make_room(self) -> None:
        data, keep_tail = self._data, self.capacity // 4
        h, moving_end = self._history, self.n - keep_tail
        moving = data[:, h:moving_end]
        moved = moving[:, moving[-1] % self.stride == 0]
        data[:, h:h + moved.shape[1]] = moved
        h += moved.shape[1]
        while h > self.capacity // 2:
            self.stride *= 2
            kept = data[:, :h][:, data[-1, :h] % self.stride == 0]
            data[:, :kept.shape[1]] = kept
            h = kept.shape[1]
        data[:, h:h + keep_tail] = data[:, moving_end:self.n].copy()
        self._history, self.n = h, h + keep_tail
        data[:, self.n:] = np.nan
        self.compactions += 1

    def clear(self) -> None:
        self.n = self._history = 0
        self.stride = 1
        self._data[:] = np.nan
        self.version += 1
        self.compactions += 1

    # Views of the filled part; they change under the caller at the next append.
    @property
    def step(self) -> np.ndarray:
        return self._data[0, :self.n]

    @property
    def relative(self) -> np.ndarray:
        return self._data[1, :self.n]

    @property
    def wall(self) -> np.ndarray:
        return self._data[2, :self.n]

    @property
    def value(self) -> np.ndarray:
        return self._data[_VALUE, :self.n]

    @property
    def low(self) -> np.ndarray | None:
        return self._data[_LOW, :self.n] if self.band else None

    @property
    def high(self) -> np.ndarray | None:
        return self._data[_HIGH, :self.n] if self.band else None

    def x(self, mode: str) -> np.ndarray:
        if mode not in _X_COLUMN:
            raise ValueError(f"unknown x-axis mode {mode!r}; choose one of {', '.join(X_MODES)}")
        return self._data[_X_COLUMN[mode], :self.n]

    @property
    def nbytes(self) -> int:
        return self._data.nbytes


# Compute telemetry events -> series -----------------------------------------------------------

RESOURCE_FIELDS = ("cpu_percent", "rss_mb", "gpu_util_percent", "gpu_memory_mb")
PROGRESS, THROUGHPUT = "progress", "throughput"
ESTIMATE_PREFIX, METRIC_PREFIX = "estimate: ", "metric: "
LOG_LINES_KEPT = 500


def _kind(event: Any) -> str:
    return getattr(event.kind, "value", event.kind)


def _posix(at: datetime) -> float:
    # The store keeps UTC without a zone; read it as UTC, not as local time.
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp()


@dataclass(frozen=True)
class Cursor:
    """Where a run's decoding stands: the last event taken, the run's first event time, blocks done."""

    last_seq: int = 0
    start: float | None = None
    done: float = 0.0


@dataclass
class DecodedEvents:
    """Events turned into arrays, ready to append: made off the GUI thread, applied on it."""

    since: Cursor  # the cursor it was decoded from: applied only if the run still stands there
    until: Cursor
    rows: dict[str, tuple[bool, np.ndarray]] = field(default_factory=dict)  # name -> (band, columns x samples)
    state: str | None = None
    logs: list[tuple[str, str]] = field(default_factory=list)


def decode_events(events: Iterable[Any], since: Cursor = Cursor()) -> DecodedEvents:
    """Events after `since` as per-series sample columns (already-seen sequence numbers skipped).

    Pure, so that a poll decodes a long backlog (Python work per event) in its worker thread and the
    GUI thread only appends arrays.
    """
    last_seq, start, done = since.last_seq, since.start, since.done
    pending: dict[str, tuple[bool, list[tuple[float, ...]]]] = {}
    state, logs = None, []

    def put(name: str, row: tuple[float, ...], band: bool = False) -> None:
        pending.setdefault(name, (band, []))[1].append(row)

    for event in events:
        if event.seq <= last_seq:
            continue
        last_seq = event.seq
        wall = _posix(event.at)
        if start is None:
            start = wall
        rel = wall - start
        kind, p = _kind(event), event.payload
        if kind == "progress":
            done = float(p["done"])
            total = float(p["total"])
            put(PROGRESS, (done, rel, wall, done / total if total else np.nan))
        elif kind == "throughput":
            put(THROUGHPUT, (done, rel, wall, float(p["items_per_s"])))
        elif kind == "estimate":
            put(ESTIMATE_PREFIX + p["name"],
                (done, rel, wall, float(p["value"]), float(p["low"]), float(p["high"])), band=True)
        elif kind == "metric":
            put(METRIC_PREFIX + p["name"], (float(p["step"]), rel, wall, float(p["value"])))
        elif kind == "resource":
            for name in RESOURCE_FIELDS:
                if p.get(name) is not None:
                    put(name, (done, rel, wall, float(p[name])))
        elif kind == "state":
            state = p["state"]
        elif kind == "log":
            logs.append((p["level"], p["line"]))
    rows = {name: (band, np.asarray(r, dtype=np.float64).T) for name, (band, r) in pending.items()}
    return DecodedEvents(since, Cursor(last_seq, start, done), rows, state, logs)


class RunTelemetry:
    """The series of one job, fed with its telemetry events (jobstore `Event`s) in batches.

    Series names: "progress" (done/total, 0..1), "throughput" (items per second), "estimate: NAME"
    (value with its 95% band), "metric: NAME", and the resource fields that the backend reports
    ("cpu_percent", "rss_mb", "gpu_util_percent", "gpu_memory_mb"; a None reading is left out).
    The step of a sample is the job's blocks done when it was sent (a metric's own step for
    metrics), so runs line up by work done; relative time counts from the run's first event.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.series: dict[str, Series] = {}
        self.cursor = Cursor()  # decode what the store has after this
        self.state: str | None = None
        self.log: deque[tuple[str, str]] = deque(maxlen=LOG_LINES_KEPT)

    @property
    def last_seq(self) -> int:
        return self.cursor.last_seq

    def add_events(self, events: Iterable[Any]) -> set[str]:
        """Take new events (already-seen sequence numbers are skipped); returns the names changed."""
        return self.apply(decode_events(events, self.cursor))

    def apply(self, decoded: DecodedEvents) -> set[str] | None:
        """Append what `decode_events` made; None (nothing done) if it was decoded from another cursor."""
        if decoded.since != self.cursor:
            return None
        self.cursor = decoded.until
        self.state = decoded.state or self.state
        self.log.extend(decoded.logs)
        for name, (band, columns) in decoded.rows.items():
            series = self.series.get(name)
            if series is None:
                series = self.series[name] = Series(self.capacity, band=band)
            series.append_batch(*columns)
        return set(decoded.rows)
