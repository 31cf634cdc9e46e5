"""A worker's heartbeat: every second while it computes, "alive", with its CPU, memory and GPU memory.

Shared by the cluster worker (lines in a telemetry file) and the Dask task (events on the job's
topic): each hands in its own `tell(kind, **fields)`. A backend that stops hearing it declares the job
LOST after its timeout.
"""
from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Callable

from .procstat import UsageSampler

HEARTBEAT_S = 1.0


class Heartbeat(threading.Thread):
    def __init__(self, tell: Callable[..., None], module: ModuleType, interval_s: float = HEARTBEAT_S):
        super().__init__(name="genesis-heartbeat", daemon=True)
        self.tell, self.module, self.interval_s = tell, module, interval_s
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)

    def run(self) -> None:
        sampler = UsageSampler()
        sampler.sample([os.getpid()])  # the baseline the first CPU share is measured from
        while not self._stop_event.wait(self.interval_s):
            cpu, rss = sampler.sample([os.getpid()])
            self.tell("heartbeat", cpu_percent=cpu, rss_mb=rss, gpu_memory_mb=gpu_memory_mb(self.module))


def gpu_memory_mb(module: ModuleType) -> float | None:
    """Device memory in use, where the array module is CuPy; None otherwise or when it cannot tell."""
    if module.__name__ != "cupy":
        return None
    try:
        free, total = module.cuda.runtime.memGetInfo()
        return (total - free) / 2**20
    except Exception:  # a driver that will not say is no reason to stop computing
        return None
