"""The local backend's runner: one thread per job, driving the job's blocks through worker processes.

The thread lives in the process that owns the job (its pid and host are on the job record). Every
TICK_S it saves the blocks that finished, reports progress, throughput and running estimates, and
looks for a cancel request, in this process (an Event) or from any other (a flag in the store); every
HEARTBEAT_S it stamps the job and reports its workers' CPU and memory. Blocks saved before the
program died are not computed again: a resumed job computes only the missing ones.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from . import telemetry, worker
from .jobs import JobSpec, JobState
from .jobstore import Block, JobStore
from .kernel import Kernel, Partial
from .kernels import kernel
from .procstat import UsageSampler
from .remote import ProgressReport

TICK_S = 0.2  # cancel answers within this (plus stopping the workers): well inside the one second promised
FLUSH_S = 0.1  # at most ten saves and reports a second: many small blocks make one transaction, not hundreds
HEARTBEAT_S = 1.0
MAX_METRICS_PER_TICK = 500  # a kernel that reports in a tight loop cannot flood the telemetry table


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not all the machine's
    except AttributeError:
        return os.cpu_count() or 1


class BlockFailed(Exception):
    """A block raised, or its worker died; the job fails with this message."""


class BlockRunner(threading.Thread):
    def __init__(self, store: JobStore, job_id: int, spec: JobSpec, *, block_order_seed: int | None = None,
                 on_exit: Callable[["BlockRunner"], None] | None = None):
        super().__init__(name=f"genesis-job-{job_id}", daemon=True)
        self.store, self.job_id, self.spec = store, job_id, spec
        self.block_order_seed = block_order_seed  # tests shuffle the order blocks are handed out in
        self.cancel_event = threading.Event()
        self.stop_reason: str | None = None  # set by stop(): the program is closing, the job becomes LOST
        self._on_exit = on_exit

    def stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.cancel_event.set()

    def run(self) -> None:
        try:
            self._run()
        except BlockFailed as err:
            self._fail(str(err), None)
        except Exception as err:  # a kernel or engine bug: the job fails with it, the program goes on
            self._fail(f"{type(err).__name__}: {err}", traceback.format_exc())
        finally:
            if self._on_exit:
                self._on_exit(self)

    def _run(self) -> None:
        spec, store = self.spec, self.store
        k = kernel(spec.kernel)
        if k.version != spec.kernel_version:
            raise BlockFailed(f"kernel_version: the job was made with {spec.kernel} {spec.kernel_version}, "
                              f"this program has {k.version}; blocks of different versions cannot be combined")
        run = store.get(self.job_id).run + 1
        if not store.transition(self.job_id, JobState.RUNNING, run=run):
            return  # canceled or taken over before it started
        done = {b: saved.partial for b, saved in store.blocks(self.job_id, spec.kernel_version).items()
                if b < spec.blocks}
        missing = [b for b in range(spec.blocks) if b not in done]
        if done:
            store.append(self.job_id, [telemetry.log(f"run {run}: {len(done)} of {spec.blocks} blocks saved by "
                                                     f"earlier runs; computing the other {len(missing)}")])
        if missing and not self._compute(k, missing, done, run):
            if self.stop_reason:
                store.transition(self.job_id, JobState.LOST, self.stop_reason)
            else:
                store.transition(self.job_id, JobState.CANCELED, "canceled on request")
            return
        partials = [done[b] for b in range(spec.blocks)]
        result = k.combine(spec.params, partials)
        store.append(self.job_id, ProgressReport(k, spec, done).final(partials))
        store.transition(self.job_id, JobState.COMPLETED, result=result)

    def _compute(self, k: Kernel, missing: list[int], done: dict[int, Partial], run: int) -> bool:
        """Compute the missing blocks into `done`; False if canceled or stopped first."""
        spec = self.spec
        order = list(missing)
        if self.block_order_seed is not None:
            random.Random(self.block_order_seed).shuffle(order)
        workers = min(spec.resources.workers or default_workers(), len(order))
        context = multiprocessing.get_context("spawn")
        metrics = context.Queue()
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=worker.init_worker, initargs=(metrics,))
        pending: dict[Future, int] = {}
        report = _Reporter(self, k, done, metrics)
        try:
            for b in order:
                pending[pool.submit(worker.run_block, spec.kernel, dict(spec.params), spec.seed, b)] = b
            report.usage.sample(_pids(pool))  # the baseline that the first heartbeat's CPU share is measured from
            while pending:
                started = time.monotonic()
                wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                finished = [f for f in pending if f.done()]
                saved = [self._collect(f, pending.pop(f), run) for f in finished]
                self.store.save_blocks(self.job_id, saved, spec.kernel_version)
                done.update((s.block, s.partial) for s in saved)
                report.tick(len(saved), pool)
                if self.cancel_event.is_set() or self.store.cancel_requested(self.job_id):
                    return False
                self.cancel_event.wait(FLUSH_S - (time.monotonic() - started))  # pace; wakes on a cancel
            return True
        finally:
            _shut_down(pool, abandon=bool(pending))
            report.drain_metrics()
            metrics.close()

    def _collect(self, future: Future, block: int, run: int) -> Block:
        try:
            _, partial, seconds = future.result()
        except BrokenProcessPool:
            raise BlockFailed(f"block {block}: a worker process died (killed, or out of memory)") from None
        except Exception as err:
            cause = getattr(err, "__cause__", None)  # the worker's traceback, as text
            self.store.append(self.job_id, [telemetry.log(f"block {block} failed:\n{cause or err}", "error")])
            raise BlockFailed(f"block {block}: {type(err).__name__}: {err}") from None
        return Block(block, partial, run, seconds)

    def _fail(self, error: str, trace: str | None) -> None:
        if trace:
            self.store.append(self.job_id, [telemetry.log(trace, "error")])
        self.store.transition(self.job_id, JobState.FAILED, error, error=error)


class _Reporter:
    """Paces the runner's telemetry: progress and estimates when blocks finish, usage every heartbeat."""

    def __init__(self, runner: BlockRunner, k: Kernel, done: dict[int, Partial], metrics):
        self.runner, self.metrics = runner, metrics
        self.progress = ProgressReport(k, runner.spec, done)
        self.last_beat = time.monotonic()
        self.usage = UsageSampler()

    def tick(self, finished: int, pool: ProcessPoolExecutor) -> None:
        runner, now = self.runner, time.monotonic()
        if finished:
            runner.store.append(runner.job_id, self.progress.events(finished))
        self.drain_metrics()
        if now - self.last_beat >= HEARTBEAT_S:
            self.last_beat = now
            pids = _pids(pool)
            cpu, rss = self.usage.sample(pids)
            runner.store.heartbeat(runner.job_id, [telemetry.resource(cpu, rss, len(pids))])

    def drain_metrics(self) -> None:
        """What kernels reported with report_metric since the last tick, as one batch of events."""
        events = []
        try:
            while len(events) < MAX_METRICS_PER_TICK:
                events.append(telemetry.metric(*self.metrics.get_nowait()))
        except (queue.Empty, OSError, ValueError):  # nothing more; or the queue is already closed
            pass
        if events:
            self.runner.store.append(self.runner.job_id, events)


def _pids(pool: ProcessPoolExecutor) -> list[int]:
    # No public way to list a pool's processes before Python 3.14; _processes is there since 3.2.
    return list((getattr(pool, "_processes", None) or {}).keys())


def _shut_down(pool: ProcessPoolExecutor, *, abandon: bool) -> None:
    """Stop the pool; when abandoning work (cancel, failure), kill the workers rather than wait for
    a long block to end."""
    if not abandon:
        pool.shutdown(wait=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # see _pids
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join(timeout=2)
        if p.is_alive():
            p.kill()
