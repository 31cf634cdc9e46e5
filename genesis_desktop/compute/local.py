"""The built-in backend: this computer. A plugin like any other (its manifest is local.toml).

A job's native id is its job id. The job is run by a BlockRunner thread in the process that submitted
(or resumed) it, its owner. Another process, or a later one, sees the job through the store; it
declares it LOST when the owner is gone: the owner's process no longer exists on this host, or no
heartbeat came for `lost_after_s` (another host, a reused pid, a hung owner).
"""
from __future__ import annotations

import os
import threading
from typing import Any, Mapping, Sequence


from .api import Backend, Probe
from .errors import PermanentError
from .jobs import RESUMABLE_STATES, JobSpec, JobState, whole_number
from .jobstore import JobRecord, JobStore, UnknownJob, utcnow
from .manifest import Manifest
from .procstat import HOST, process_alive
from .runner import BlockRunner, default_workers
from .telemetry import Event

LOST_AFTER_S = 60.0  # well above the one-second heartbeat: a busy owner is not declared lost
MAX_WORKERS = 512


class LocalBackend(Backend):
    """Options: `lost_after_s` (float); `block_order_seed` (int: hand blocks out in a shuffled order,
    which tests use to show that order never changes a result)."""

    def __init__(self, store: JobStore | None, manifest: Manifest, options: Mapping[str, Any] | None = None):
        super().__init__(store, manifest, options)
        self.lost_after_s = float(self.options.get("lost_after_s", LOST_AFTER_S))
        self.block_order_seed = self.options.get("block_order_seed")
        self._runners: dict[int, BlockRunner] = {}
        self._lock = threading.Lock()

    def probe(self, timeout: float) -> Probe:
        return Probe(True, f"this computer ({HOST}), {default_workers()} cores")

    def validate(self, spec: JobSpec) -> None:
        super().validate(spec)
        whole_number("resources.workers", spec.resources.workers, minimum=1, maximum=MAX_WORKERS, optional=True)

    def submit(self, spec: JobSpec, job_id: int) -> str:
        self.validate(spec)
        native_id = str(job_id)
        if not self.store.transition(job_id, JobState.QUEUED, **self._owner(), native_id=native_id):
            state = self.store.get(job_id).state.value
            raise PermanentError(f"job {job_id} is {state}; only a new job can be submitted")
        self._start(job_id, spec)
        return native_id

    def resume(self, native_id: str) -> None:
        """Run a LOST or CANCELED job again here; only the blocks not yet saved are computed."""
        job_id = self._job_id(native_id)
        record = self._observe(self.store.get(job_id))
        if record.state not in RESUMABLE_STATES:
            raise PermanentError(f"job {job_id} is {record.state.value}; only a lost or canceled job can be resumed")
        self.validate(record.spec)
        if not self.store.transition(job_id, JobState.QUEUED, f"resumed by pid {os.getpid()} on {HOST}",
                                     **self._owner(), cancel_requested_at=None, error=None):
            raise PermanentError(f"job {job_id} was resumed by someone else first")
        self._start(job_id, record.spec)

    def status(self, native_ids: Sequence[str]) -> dict[str, JobState]:
        return {n: self._observe(self.store.get(self._job_id(n))).state for n in native_ids}

    def cancel(self, native_id: str) -> None:
        job_id = self._job_id(native_id)
        self.store.request_cancel(job_id, by=f"pid {os.getpid()} on {HOST}")
        with self._lock:
            runner = self._runners.get(job_id)
        if runner is not None:
            runner.cancel_event.set()  # no need to wait for the runner's look at the store

    def attach(self, native_id: str) -> JobState:
        record = self.store.get(self._job_id(native_id))
        if record.backend != self.name:
            raise UnknownJob(f"job {record.id} runs on {record.backend}, not on {self.name}")
        return self._observe(record).state

    def telemetry(self, native_id: str, since_seq: int = 0) -> list[Event]:
        return self.store.telemetry(self._job_id(native_id), since_seq)

    def result(self, native_id: str) -> dict[str, Any]:
        record = self._observe(self.store.get(self._job_id(native_id)))
        if record.state is not JobState.COMPLETED:
            raise PermanentError(f"job {record.id} is {record.state.value}; only a completed job has a result")
        return record.result

    def close(self) -> None:
        """Stop this process's runners: their jobs become LOST, resumable from their saved blocks."""
        with self._lock:
            runners = list(self._runners.values())
        for runner in runners:
            runner.stop("the program closed while the job ran")
        for runner in runners:
            runner.join(timeout=10)

    # -- helpers --------------------------------------------------------------------------------

    def _start(self, job_id: int, spec: JobSpec) -> None:
        runner = BlockRunner(self.store, job_id, spec, block_order_seed=self.block_order_seed,
                             on_exit=self._forget)
        with self._lock:
            self._runners[job_id] = runner
        runner.start()

    def _forget(self, runner: BlockRunner) -> None:
        with self._lock:
            self._runners.pop(runner.job_id, None)

    def _observe(self, record: JobRecord) -> JobRecord:
        """The record, first moved to LOST if its owner is gone."""
        if record.state.is_final:
            return record
        reason = self._orphaned(record)
        if reason is None:
            return record
        self.store.transition(record.id, JobState.LOST, reason)  # refused if it moved meanwhile: fine
        return self.store.get(record.id)

    def _orphaned(self, record: JobRecord) -> str | None:
        with self._lock:
            if record.id in self._runners:
                return None
        if record.owner_pid is not None and record.owner_host == HOST and process_alive(record.owner_pid) is False:
            return f"its process {record.owner_pid} on {HOST} is gone"
        if record.heartbeat_at is not None:
            silent = (utcnow() - record.heartbeat_at).total_seconds()
            if silent > self.lost_after_s:
                return f"no heartbeat from process {record.owner_pid} on {record.owner_host} for {silent:.0f} s"
        elif (utcnow() - record.created_at).total_seconds() > self.lost_after_s:
            return "it was never submitted: the process that made it stopped first"
        return None

    @staticmethod
    def _owner() -> dict[str, Any]:
        return {"owner_pid": os.getpid(), "owner_host": HOST, "heartbeat_at": utcnow()}

    @staticmethod
    def _job_id(native_id: str) -> int:
        try:
            return int(native_id)
        except (TypeError, ValueError):
            raise UnknownJob(f"native id {native_id!r}: the local backend's ids are job numbers") from None
