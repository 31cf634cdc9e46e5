"""The public API of compute backends: what a plugin imports, and all it may import.

A backend is a subclass of `Backend`, named in the plugin's manifest (see manifest.py and
docs/compute.md). The program makes one with the job store it shares (None when it only describes
and probes the backend) and the manifest it read. A backend keeps the store's record of each job it
runs current: its state changes, telemetry and result; the desktop and the CLI read only the store.

Errors: `SpecError` (a PermanentError) for a spec that can never run; `PermanentError` for other
refusals that retrying cannot fix (an unknown job); `TransientError` when trying later may help.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from . import arrays, telemetry
from .errors import PermanentError, TransientError
from .heartbeat import Heartbeat
from .jobs import JobSpec, JobState, Resources
from .jobstore import JobRecord, JobStore, UnknownJob
from .kernel import Estimate, Kernel, Partial, SpecError, Stopped, block_rng, checkpoint, stop_when
from .kernels import kernel
from .manifest import Manifest
from .remote import BlockIngest, Defect, same_partial
from .telemetry import Event, Kind, NewEvent

API_VERSION = 1  # a plugin whose manifest declares another api_version is listed unavailable, never loaded

__all__ = [
    "API_VERSION", "Backend", "Probe", "Manifest", "JobSpec", "JobState", "Resources", "JobStore", "JobRecord",
    "Event", "Kind", "NewEvent", "telemetry", "arrays", "SpecError", "PermanentError", "TransientError", "UnknownJob",
    "Kernel", "Partial", "Estimate", "block_rng", "kernel", "check_spec",
    "BlockIngest", "Defect", "same_partial", "Stopped", "checkpoint", "stop_when", "Heartbeat",
]


@dataclass(frozen=True)
class Probe:
    reachable: bool
    reason: str  # why not, or what was reached ("this computer, 8 cores")


class Backend(ABC):
    def __init__(self, store: JobStore | None, manifest: Manifest, options: Mapping[str, Any] | None = None):
        self._store = store
        self.manifest = manifest
        self.options = dict(options or {})

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def store(self) -> JobStore:
        if self._store is None:
            raise PermanentError(f"backend {self.name}: made without a job store, it can only describe and probe")
        return self._store

    def describe(self) -> Manifest:
        """The manifest: no network, no waiting."""
        return self.manifest

    @abstractmethod
    def probe(self, timeout: float) -> Probe:
        """Whether the backend can run jobs now, answered within `timeout` seconds."""

    def validate(self, spec: JobSpec) -> None:
        """Refuse a spec this backend can never run, with SpecError, before anything is submitted."""
        check_spec(spec, self.manifest)

    @abstractmethod
    def submit(self, spec: JobSpec, job_id: int) -> str:
        """Start the job recorded in the store as `job_id`; returns the backend's id for it. Validates
        first (SpecError); TransientError if the backend cannot take it now."""

    @abstractmethod
    def status(self, native_ids: Sequence[str]) -> dict[str, JobState]:
        """The state of many jobs in one call. A job the backend can no longer see is LOST."""

    @abstractmethod
    def cancel(self, native_id: str) -> None:
        """Ask for the job to stop; it ends in whatever final state it reaches."""

    @abstractmethod
    def attach(self, native_id: str) -> JobState:
        """Find again a job started before the program restarted; UnknownJob if there is none."""

    @abstractmethod
    def telemetry(self, native_id: str, since_seq: int = 0) -> list[Event]:
        """The job's events numbered after `since_seq`, in order."""

    @abstractmethod
    def result(self, native_id: str) -> dict[str, Any]:
        """The result of a COMPLETED job; PermanentError naming the state otherwise."""

    def logs(self, native_id: str) -> list[str]:
        """The job's log lines, oldest first: by default, its LOG telemetry as "TIME LEVEL: LINE"."""
        return [f"{e.at.isoformat()} {e.payload['level']}: {e.payload['line']}"
                for e in self.telemetry(native_id) if e.kind is Kind.LOG]

    def resume(self, native_id: str) -> None:
        """Run a LOST or CANCELED job again, computing only what it had not saved. Optional: backends
        without the "resume" capability refuse."""
        raise PermanentError(f"backend {self.name} cannot resume jobs")

    def close(self) -> None:
        """Let go of what the backend holds (threads, connections)."""


def check_spec(spec: JobSpec, manifest: Manifest) -> None:
    """What every backend can check here before submitting: the kernel exists at the spec's version,
    its parameters pass its own checks and give the spec's block count, and GPUs are asked only of a
    backend that has them."""
    k = kernel(spec.kernel)
    if k.version != spec.kernel_version:
        raise SpecError(f"kernel_version: {spec.kernel_version!r} but the {spec.kernel} kernel here is "
                        f"{k.version!r}; results of different versions cannot be combined")
    params = k.prepare(spec.params)
    blocks = k.block_count(params)
    if blocks != spec.blocks:
        raise SpecError(f"blocks: {spec.blocks} but these {spec.kernel} parameters make {blocks} blocks")
    if spec.resources.gpus and "gpus" not in manifest.capabilities:
        raise SpecError(f"resources.gpus: {spec.resources.gpus} but backend {manifest.name} has no GPUs")
