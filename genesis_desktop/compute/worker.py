"""What runs in a local worker process: one block of one kernel.

Workers are started with "spawn" (the desktop is a Qt process and must never be forked). This
module imports nothing heavy at the top, so that `init_worker` pins the numerical libraries to one
thread before numpy loads: the backend already runs one process per core.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from multiprocessing.connection import wait

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


_metrics = None  # the runner's queue for the metrics a kernel reports while a block runs


def init_worker(metrics=None) -> None:
    global _metrics
    _metrics = metrics
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    parent = multiprocessing.parent_process()
    if parent is not None:
        # A worker idles on its task queue forever if its parent is killed (SIGKILL leaves no one to
        # close the queue); leave as soon as the parent is gone, so a killed job leaves no orphans.
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _exit_with(sentinel: int) -> None:
    wait([sentinel])
    os._exit(1)


def run_block(kernel_name: str, params: dict, seed: int, block: int):
    """(block, partial, seconds of compute) for one block."""
    from .kernel import metrics_to
    from .kernels import kernel

    k = kernel(kernel_name)
    started = time.perf_counter()
    if _metrics is None:
        partial = k.run_block(params, seed, block)
    else:
        with metrics_to(lambda name, value, step: _metrics.put((name, value, step))):
            partial = k.run_block(params, seed, block)
    return block, partial, time.perf_counter() - started


if __name__ == "__main__":  # a cluster node runs a job's blocks: see cluster_worker.py
    import sys

    from .cluster_worker import main

    sys.exit(main())
