"""A job as data: what to compute (the spec), and where it stands (the state machine).

A spec is plain JSON-able data, never pickled code, so that any backend on any machine can read it
and a restarted program can resume it.
"""
from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from .kernel import SpecError


class JobState(enum.Enum):
    NEW = "new"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    LOST = "lost"

    @property
    def is_final(self) -> bool:
        """No backend will move the job again. LOST and CANCELED leave only by an explicit resume."""
        return self in FINAL_STATES


FINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELED, JobState.LOST})

# Where a job may go next. QUEUED -> COMPLETED is allowed because a poller may never see a short job
# running; LOST/CANCELED -> QUEUED is `resume`, which recomputes only the blocks not yet saved.
NEXT_STATES: dict[JobState, frozenset[JobState]] = {
    JobState.NEW: frozenset({JobState.QUEUED, JobState.FAILED, JobState.CANCELED, JobState.LOST}),
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.COMPLETED, JobState.FAILED, JobState.CANCELED,
                                JobState.LOST}),
    JobState.RUNNING: frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELED, JobState.LOST}),
    JobState.COMPLETED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELED: frozenset({JobState.QUEUED}),
    JobState.LOST: frozenset({JobState.QUEUED}),
}
RESUMABLE_STATES = frozenset(s for s, nxt in NEXT_STATES.items() if s.is_final and JobState.QUEUED in nxt)


def can_move(old: JobState, new: JobState) -> bool:
    return new in NEXT_STATES[old]


@dataclass(frozen=True)
class Resources:
    """What a job asks of the machine. `workers` is the local backend's process count (CPUs per task on
    a cluster); it never changes a result. None means the backend's default."""

    workers: int | None = None
    gpus: int = 0
    memory_mb: int | None = None
    wall_time_s: int | None = None
    partition: str | None = None

    def __post_init__(self) -> None:
        for name in ("workers", "memory_mb", "wall_time_s"):
            whole_number(f"resources.{name}", getattr(self, name), minimum=1, optional=True)
        whole_number("resources.gpus", self.gpus, minimum=0)
        if self.partition is not None and (not isinstance(self.partition, str) or not self.partition.strip()):
            raise SpecError(f"resources.partition: {self.partition!r} must be a non-empty name or absent")


RESOURCE_NAMES = tuple(f.name for f in Resources.__dataclass_fields__.values())


@dataclass(frozen=True)
class JobSpec:
    """Everything a backend needs to run a job, as data. `params` are the kernel's own, already
    normalised by its `prepare`; `blocks` is fixed by them, never by the machine."""

    kernel: str
    kernel_version: str
    params: Mapping[str, Any]
    seed: int
    blocks: int
    resources: Resources = field(default_factory=Resources)

    def __post_init__(self) -> None:
        for name in ("kernel", "kernel_version"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise SpecError(f"{name}: {getattr(self, name)!r} must be a non-empty string")
        if not isinstance(self.params, Mapping):
            raise SpecError(f"params: {type(self.params).__name__} must be a mapping of names to JSON values")
        whole_number("seed", self.seed, minimum=0)
        whole_number("blocks", self.blocks, minimum=1)

    def to_json(self) -> dict[str, Any]:
        return {"kernel": self.kernel, "kernel_version": self.kernel_version, "params": dict(self.params),
                "seed": self.seed, "blocks": self.blocks, "resources": asdict(self.resources)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "JobSpec":
        """A spec from `to_json`'s dict; SpecError naming the field that is missing or unknown."""
        if not isinstance(data, Mapping):
            raise SpecError(f"job spec: {type(data).__name__} must be a JSON object")
        fields = {"kernel", "kernel_version", "params", "seed", "blocks", "resources"}
        missing, unknown = fields - {"resources"} - set(data), set(data) - fields
        if missing or unknown:
            raise SpecError(f"job spec: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}; "
                            f"a spec has exactly {sorted(fields)}")
        resources = data.get("resources") or {}
        bad = set(resources) - set(RESOURCE_NAMES)
        if bad:
            raise SpecError(f"resources: unknown names {sorted(bad)}; known: {', '.join(RESOURCE_NAMES)}")
        return cls(kernel=data["kernel"], kernel_version=data["kernel_version"], params=dict(data["params"]),
                   seed=data["seed"], blocks=data["blocks"], resources=Resources(**resources))


def whole_number(name: str, value: Any, *, minimum: int, maximum: int | None = None,
                 optional: bool = False) -> int | None:
    """An integer parameter checked against its range; SpecError naming it otherwise (for kernels too)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum \
            or (maximum is not None and value > maximum):
        rule = f"a whole number >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "") \
            + (" or absent" if optional else "")
        raise SpecError(f"{name}: {value!r} must be {rule}")
    return value


def finite(name: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """A float parameter checked against its range; SpecError naming it otherwise (for kernels)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (low is not None and value < low) or (high is not None and value > high):
        raise SpecError(f"{name}: {value!r} must be a finite number in [{low}, {high}]")
    return float(value)
