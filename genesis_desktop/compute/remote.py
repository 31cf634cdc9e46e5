"""What a remote backend (a Slurm queue, a Dask cluster) does with the blocks its workers hand back,
so that every backend keeps a job's record the same way the local one does.

`BlockIngest` saves blocks into the job store, checks that a block seen again is bit-identical to the
one saved (a mismatch is a defect: non-deterministic arithmetic, a different library, a corrupted
file), reports progress, throughput and running estimates, and combines the result when every block
is in. Plugins reach it through `genesis_desktop.compute.api`.
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

from . import telemetry
from .errors import PermanentError
from .jobs import JobSpec, JobState
from .jobstore import Block, JobStore
from .kernel import Kernel, Partial
from .kernels import kernel


class Defect(PermanentError):
    """A block computed twice gave different bytes: results of this job cannot be trusted."""


def same_partial(a: Partial, b: Partial) -> bool:
    """Bit-identical: the same names, dtypes, shapes and bytes (NaNs compared by their bits)."""
    return a.keys() == b.keys() and all(
        a[n].dtype == b[n].dtype and a[n].shape == b[n].shape and a[n].tobytes() == b[n].tobytes() for n in a)


class ProgressReport:
    """Progress, throughput and running estimates as a job's blocks come in, told the same way by
    every backend. Estimates cover the unbroken run of blocks 0..prefix-1 only, so the same blocks
    always give the same numbers, whatever order they finished in."""

    def __init__(self, k: Kernel, spec: JobSpec, done: dict[int, Partial]):
        self.kernel, self.spec, self.done = k, spec, done
        self.started = time.monotonic()
        self.computed = 0
        self.prefix = 0

    def events(self, finished: int) -> list[telemetry.NewEvent]:
        """What to tell after `finished` more blocks went into `done`."""
        self.computed += finished
        elapsed = max(time.monotonic() - self.started, 1e-9)
        events = [telemetry.progress(len(self.done), self.spec.blocks), telemetry.throughput(self.computed / elapsed)]
        prefix = self.prefix
        while prefix in self.done:
            prefix += 1
        if prefix > self.prefix:
            self.prefix = prefix
            partials = [self.done[b] for b in range(prefix)]
            events += map(telemetry.estimate, self.kernel.estimates(self.spec.params, partials))
        return events

    def final(self, partials: list[Partial]) -> list[telemetry.NewEvent]:
        """What to tell once every block is in (given in block order): all done, the last estimates."""
        return [telemetry.progress(self.spec.blocks, self.spec.blocks),
                *map(telemetry.estimate, self.kernel.estimates(self.spec.params, partials))]


class BlockIngest:
    """One job's saved blocks, as a remote backend adds to them. Not thread-safe: one per job and thread."""

    def __init__(self, store: JobStore, job_id: int, spec: JobSpec):
        self.store, self.job_id, self.spec = store, job_id, spec
        self.kernel = kernel(spec.kernel)
        self.done: dict[int, Partial] = {b: saved.partial for b, saved in
                                         store.blocks(job_id, spec.kernel_version).items() if b < spec.blocks}
        self.report = ProgressReport(self.kernel, spec, self.done)

    @property
    def missing(self) -> list[int]:
        return [b for b in range(self.spec.blocks) if b not in self.done]

    @property
    def complete(self) -> bool:
        return len(self.done) >= self.spec.blocks

    def add(self, blocks: Iterable[tuple[int, Partial, float]], run: int) -> int:
        """Save the blocks not saved yet, in one transaction, and report them; returns how many were new.
        Defect if a block already saved comes back with other bytes."""
        new: list[Block] = []
        for block, partial, seconds in blocks:
            if not 0 <= block < self.spec.blocks:
                raise Defect(f"block {block}: outside 0..{self.spec.blocks - 1}")
            saved = self.done.get(block)
            if saved is not None:
                if not same_partial(saved, partial):
                    raise Defect(f"block {block} was computed twice with different results (run {run}); "
                                 "the kernel is not deterministic on this backend")
                continue
            new.append(Block(block, partial, run, seconds))
        if not new:
            return 0
        self.store.save_blocks(self.job_id, new, self.spec.kernel_version)
        self.done.update((b.block, b.partial) for b in new)
        self.store.append(self.job_id, self.report.events(len(new)))
        return len(new)

    def finish(self) -> bool:
        """Combine and mark the job COMPLETED once every block is in; False while some are missing."""
        if not self.complete:
            return False
        partials = [self.done[b] for b in range(self.spec.blocks)]
        result = self.kernel.combine(self.spec.params, partials)
        self.store.append(self.job_id, self.report.final(partials))
        return self.store.transition(self.job_id, JobState.COMPLETED, result=result)

    def fail_with_defect(self, defect: Defect) -> None:
        self.store.append(self.job_id, [telemetry.log(f"defect: {defect}", "error")])
        self.store.transition(self.job_id, JobState.FAILED, f"defect: {defect}", error=f"defect: {defect}")


def load_partial(data: bytes) -> Partial:
    """A block written by a worker (npz bytes, never pickled)."""
    from .jobstore import decode_partial

    return decode_partial(data)


def as_numpy(partial: Partial) -> Partial:
    """A partial with every array on the host (a GPU kernel may hand back device arrays)."""
    return {name: np.asarray(value.get() if hasattr(value, "get") else value) for name, value in partial.items()}
