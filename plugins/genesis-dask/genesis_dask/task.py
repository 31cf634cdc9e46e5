"""What runs on a Dask worker: one block of one job, as a module-level function the workers import.

The task tells the submitting process what it does through `Worker.log_event` on the job's topic
(the job key): "started", a "heartbeat" with the worker process's CPU and memory every second while
the block runs, then "finished" or "stopped". It stops a running block cooperatively: the kernel's
`checkpoint()` calls (under `stop_when`) look at the job's cancel Event, at most every CANCEL_LOOK_S,
since each look is a round trip to the scheduler.
"""
from __future__ import annotations

import os
import time
from typing import Any, Mapping

CANCEL_LOOK_S = 0.1


def cancel_event_name(key: str) -> str:
    return f"{key}-cancel"


def run_block_task(key: str, kernel_name: str, kernel_version: str, params: Mapping[str, Any], seed: int,
                   block: int) -> tuple[int, dict | None, float]:
    """(block, partial as numpy arrays, seconds); the partial is None when the block was stopped on
    request. An exception in the kernel fails the task, and the job with it."""
    from distributed import get_worker

    from genesis_desktop.compute.api import Heartbeat, Stopped, arrays, kernel, stop_when

    worker = get_worker()
    k = kernel(kernel_name)
    if k.version != kernel_version:
        raise RuntimeError(f"kernel_version: the job needs {kernel_name} {kernel_version}, "
                           f"worker {worker.address} has {k.version}")
    module, why = arrays.choose()
    arrays.use(module)
    tell = _Teller(worker, key, block)
    tell("started", arrays=why, pid=os.getpid())
    beat = Heartbeat(tell, module)
    beat.start()
    started = time.perf_counter()
    try:
        with stop_when(_cancel_check(key)):
            partial = as_numpy(k.run_block(params, seed, block))
    except Stopped:
        tell("stopped", seconds=time.perf_counter() - started)
        return block, None, time.perf_counter() - started
    finally:
        beat.stop()
    seconds = time.perf_counter() - started
    tell("finished", seconds=seconds)
    return block, partial, seconds


def as_numpy(partial) -> dict:
    """Every array on the host: a CuPy kernel hands back device arrays, and the store takes numpy."""
    import numpy as np

    return {name: np.asarray(value.get() if hasattr(value, "get") else value) for name, value in partial.items()}


class _Teller:
    """Sends events on the job's topic; callable from any thread (log_event hands them to the worker's
    event loop)."""

    def __init__(self, worker, key: str, block: int):
        self.worker, self.key, self.block = worker, key, block

    def __call__(self, kind: str, **fields) -> None:
        self.worker.log_event(self.key, {"kind": kind, "block": self.block, "worker": self.worker.address,
                                         "t": time.time(), **fields})


def _cancel_check(key: str):
    last: list = [0.0, False, None]  # when it last looked, what it saw, the Event (made on first look)

    def should_stop() -> bool:
        from distributed import Event

        now = time.monotonic()
        if not last[1] and now - last[0] >= CANCEL_LOOK_S:
            last[0] = now
            try:
                # Made here, not for every task: an Event needs the worker's client, which a block
                # that never calls checkpoint() does not.
                last[2] = last[2] or Event(cancel_event_name(key))
                last[1] = last[2].is_set()
            except Exception:  # the scheduler is out of reach: keep computing, Dask decides the rest
                last[1] = False
        return last[1]
    return should_stop
