"""Telemetry: a numbered stream of events per job, resumable from any sequence number.

An event is (seq, at, kind, payload). The store numbers them 1, 2, 3, ... per job with no gaps, so a
reader that has seen up to N asks for what came after N and misses nothing. Payloads are small JSON
objects whose keys are fixed per kind (REQUIRED below); the constructors build them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .kernel import Estimate


class Kind(enum.Enum):
    STATE = "state"            # state, note
    PROGRESS = "progress"      # done, total (blocks)
    THROUGHPUT = "throughput"  # items_per_s, unit
    METRIC = "metric"          # name, value, step
    ESTIMATE = "estimate"      # name, value, low, high, samples (95% interval)
    RESOURCE = "resource"      # cpu_percent, rss_mb, workers, gpu_util_percent, gpu_memory_mb (None: unknown)
    LOG = "log"                # level, line
    HEARTBEAT = "heartbeat"    # nothing: the job's owner is alive


REQUIRED: dict[Kind, frozenset[str]] = {
    Kind.STATE: frozenset({"state", "note"}),
    Kind.PROGRESS: frozenset({"done", "total"}),
    Kind.THROUGHPUT: frozenset({"items_per_s", "unit"}),
    Kind.METRIC: frozenset({"name", "value", "step"}),
    Kind.ESTIMATE: frozenset({"name", "value", "low", "high", "samples"}),
    Kind.RESOURCE: frozenset({"cpu_percent", "rss_mb", "workers", "gpu_util_percent", "gpu_memory_mb"}),
    Kind.LOG: frozenset({"level", "line"}),
    Kind.HEARTBEAT: frozenset(),
}
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class NewEvent:
    """An event before the store has numbered it."""

    kind: Kind
    payload: Mapping[str, Any]

    def __post_init__(self) -> None:
        missing = REQUIRED[self.kind] - set(self.payload)
        if missing:
            raise ValueError(f"telemetry {self.kind.value} event: payload {dict(self.payload)!r} lacks "
                             f"{sorted(missing)}; a {self.kind.value} event has {sorted(REQUIRED[self.kind])}")


@dataclass(frozen=True)
class Event:
    """An event as stored: `seq` counts from 1 per job with no gaps; `at` is UTC without a zone."""

    job_id: int
    seq: int
    at: datetime
    kind: Kind
    payload: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"job": self.job_id, "seq": self.seq, "at": self.at.isoformat(), "kind": self.kind.value,
                "payload": dict(self.payload)}


def state(state: str, note: str = "") -> NewEvent:
    return NewEvent(Kind.STATE, {"state": state, "note": note})


def progress(done: int, total: int) -> NewEvent:
    return NewEvent(Kind.PROGRESS, {"done": int(done), "total": int(total)})


def throughput(items_per_s: float, unit: str = "blocks") -> NewEvent:
    return NewEvent(Kind.THROUGHPUT, {"items_per_s": float(items_per_s), "unit": unit})


def metric(name: str, value: float, step: int) -> NewEvent:
    return NewEvent(Kind.METRIC, {"name": name, "value": float(value), "step": int(step)})


def estimate(e: Estimate) -> NewEvent:
    return NewEvent(Kind.ESTIMATE, {"name": e.name, "value": float(e.value), "low": float(e.low),
                                    "high": float(e.high), "samples": int(e.samples)})


def resource(cpu_percent: float | None, rss_mb: float | None, workers: int,
             gpu_util_percent: float | None = None, gpu_memory_mb: float | None = None) -> NewEvent:
    return NewEvent(Kind.RESOURCE, {"cpu_percent": cpu_percent, "rss_mb": rss_mb, "workers": workers,
                                    "gpu_util_percent": gpu_util_percent, "gpu_memory_mb": gpu_memory_mb})


def log(line: str, level: str = "info") -> NewEvent:
    if level not in LOG_LEVELS:
        raise ValueError(f"telemetry log event: level {level!r} is not one of {', '.join(LOG_LEVELS)}")
    return NewEvent(Kind.LOG, {"level": level, "line": line})


def heartbeat() -> NewEvent:
    return NewEvent(Kind.HEARTBEAT, {})
