"""What a kernel is to the engine: plain functions over plain data, run block by block.

Qt-free and ORM-free. A kernel never sees a worker, a backend or a database: the engine asks it how
many blocks a spec has, runs `run_block` for each (in any process, in any order), and `combine`s the
partial results in block order. Random numbers come only from `block_rng(seed, stream, block)`, so a
result is bit-identical whatever the number of workers, the block order or the backend.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from .errors import PermanentError

Partial = dict[str, np.ndarray]  # one block's sufficient statistics: named numpy arrays only


class Stopped(Exception):
    """Raised by `checkpoint()` inside a block when whoever runs it asked it to stop (a cancel)."""


class _PerThread(threading.local):
    """A hook a runner installs for the blocks run in its thread: one value, restored on leaving."""

    value = None

    @contextmanager
    def bound(self, value) -> Iterator[None]:
        previous, self.value = self.value, value
        try:
            yield
        finally:
            self.value = previous


_stop_checks, _metric_sinks = _PerThread(), _PerThread()


def stop_when(should_stop: Callable[[], bool]):
    """Run blocks in this thread under `should_stop`: their `checkpoint()` calls raise Stopped once it
    answers True. How a Dask task or a cluster worker stops a running block, not only queued ones."""
    return _stop_checks.bound(should_stop)


def checkpoint() -> None:
    """A kernel calls this between chunks of a long block: cheap, and a no-op unless run under stop_when."""
    check = _stop_checks.value
    if check is not None and check():
        raise Stopped("stopped on request")


def metrics_to(sink: Callable[[str, float, int], None]):
    """Send this thread's `report_metric` calls to `sink(name, value, step)` while inside."""
    return _metric_sinks.bound(sink)


def report_metric(name: str, value: float, step: int) -> None:
    """A kernel reports how a long block is going (an optimiser's objective, its gap, the share done).

    The local backend plots these live; elsewhere, or with no sink installed, this does nothing, so a
    kernel calls it freely. Never part of a result: results come only from partials.
    """
    sink = _metric_sinks.value
    if sink is not None:
        sink(name, float(value), int(step))


class SpecError(PermanentError, ValueError):
    """A permanent error in a job spec: retrying or another backend cannot help.

    The message names the parameter, the value and the rule it breaks.
    """


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    """The random numbers of one block of one stream: a pure function of (seed, stream, block)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, block))))


@dataclass(frozen=True)
class Estimate:
    """A running estimate and its 95% confidence interval, for telemetry while a job runs."""

    name: str
    value: float
    low: float
    high: float
    samples: int


class Kernel(Protocol):
    name: str
    version: str

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Checked and normalised parameters (JSON-able); raises SpecError naming what is wrong."""

    def block_count(self, params: Mapping[str, Any]) -> int:
        """How many blocks this spec has: fixed by the parameters, never by the number of workers."""

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        """Compute one block; deterministic in (params, seed, block)."""

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        """The result (JSON-able) from every block's partial, given in block order."""

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        """Running estimates from the blocks finished so far (in block order), with their intervals."""
