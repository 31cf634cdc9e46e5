"""The dask backend: a job's blocks as tasks on a Dask distributed cluster.

A job's native id is its key, `genesis-<job id>-<8 hex>`, new at each submit and resume (an older key
of the same job is still accepted). Its tasks are `<key>-block-<n>`, one per block not yet saved, and
are published on the scheduler as the dataset `<key>`: they outlive the program, and a later process
finds them again with `get_dataset`. A monitor thread in the process that submitted or attached keeps
the job's record current (monitor.py).

Who watches: submit, resume and attach start a monitor that belongs to the backend object; `close()`
stops those, and the job goes on on the cluster. A job that no monitor of this process watches is
attached by `status()` unless a live process on this host (or a recent heartbeat from another host)
already watches it; such monitors belong to the process, because the desktop asks for states with a
new backend object every second. All of a process's monitors stop at exit (`genesis_dask.shutdown`).
"""
from __future__ import annotations

import os
import re
import threading
import uuid
from typing import Any, Mapping, Sequence

from genesis_desktop.compute.api import (Backend, BlockIngest, Event, JobRecord, JobSpec, JobState, JobStore,
                                         Manifest, PermanentError, Probe, TransientError, UnknownJob,
                                         telemetry)

from . import monitor as monitors
from .clients import client_for
from .monitor import HOST, JobMonitor, stop_tasks, utcnow
from .options import DaskOptions
from .task import run_block_task

KEY = re.compile(r"genesis-(\d+)-[0-9a-f]{8}")
RESUMABLE = (JobState.LOST, JobState.CANCELED)
STATUS_CONNECT_S = 2.0


class DaskBackend(Backend):
    def __init__(self, store: JobStore | None, manifest: Manifest, options: Mapping[str, Any] | None = None):
        super().__init__(store, manifest, options)
        self.settings = DaskOptions.parse(self.options)
        self._own: list[JobMonitor] = []
        self._lock = threading.Lock()

    # -- reaching the cluster -------------------------------------------------------------------

    def probe(self, timeout: float) -> Probe:
        if not self.settings.scheduler:
            return Probe(False, "no scheduler address set: put scheduler = \"tcp://host:8786\" in the [dask] "
                                "table of the backends settings file (GENESIS_BACKENDS names it)")
        try:
            client = client_for(self.settings.scheduler, max(0.1, min(timeout, self.settings.connect_timeout_s)))
            threads = client.nthreads()
        except TransientError as err:
            return Probe(False, str(err))
        except Exception as err:
            return Probe(False, f"dask scheduler {self.settings.scheduler}: {type(err).__name__}: {err}")
        if not threads:
            return Probe(False, f"dask scheduler {self.settings.scheduler}: no workers connected")
        return Probe(True, f"dask scheduler {self.settings.scheduler}: {len(threads)} workers, "
                           f"{sum(threads.values())} threads")

    def _client(self):
        if not self.settings.scheduler:
            raise PermanentError("backend dask: no scheduler address set (the [dask] table's scheduler)")
        return client_for(self.settings.scheduler, self.settings.connect_timeout_s)

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, spec: JobSpec, job_id: int) -> str:
        self.validate(spec)
        record = self.store.get(job_id)
        if record.state is not JobState.NEW:
            raise PermanentError(f"job {job_id} is {record.state.value}; only a new job can be submitted")
        return self._launch(self._client(), record, spec, "submitted")

    def resume(self, native_id: str) -> None:
        record = self._observe(self._record(native_id), {})
        if record.state not in RESUMABLE:
            raise PermanentError(f"job {record.id} is {record.state.value}; only a lost or canceled job can be resumed")
        self.validate(record.spec)
        self._launch(self._client(), record, record.spec, "resumed", cancel_requested_at=None, error=None)

    def status(self, native_ids: Sequence[str]) -> dict[str, JobState]:
        unreachable: dict[str, str] = {}  # one failed connect per call, however many jobs
        return {n: self._observe(self._record(n), unreachable).state for n in native_ids}

    def attach(self, native_id: str) -> JobState:
        return self._observe(self._record(native_id), {}, own=True).state

    def cancel(self, native_id: str) -> None:
        record = self._record(native_id)
        if record.state.is_final:
            return
        self.store.request_cancel(record.id, by=f"pid {os.getpid()} on {HOST}")
        watching = monitors.running(self.store, record.id)
        problem = None
        try:
            client = self._client()
            futures = list(watching.futures.values()) if watching else _published(client, record.native_id)
            problem = stop_tasks(client, record.native_id, futures)
        except (TransientError, PermanentError) as err:
            problem = str(err)
        if problem:
            self.store.append(record.id, [telemetry.log(
                f"cancel: the tasks on {self.settings.scheduler} could not be told to stop ({problem}); "
                "they end on their own", "warning")])
        self.store.transition(record.id, JobState.CANCELED, "canceled on request")
        if watching:
            watching.wake()

    def telemetry(self, native_id: str, since_seq: int = 0) -> list[Event]:
        return self.store.telemetry(self._record(native_id).id, since_seq)

    def result(self, native_id: str) -> dict[str, Any]:
        record = self._observe(self._record(native_id), {})
        if record.state is not JobState.COMPLETED:
            raise PermanentError(f"job {record.id} is {record.state.value}; only a completed job has a result")
        return record.result

    def close(self) -> None:
        """Stop watching the jobs this object submitted, resumed or attached; they go on on the cluster,
        and the next status() of any process attaches again."""
        with self._lock:
            own, self._own = self._own, []
        for m in own:
            m.stop()
        for m in own:
            m.join(timeout=5)

    # -- helpers --------------------------------------------------------------------------------

    def _record(self, native_id: str) -> JobRecord:
        match = KEY.fullmatch(native_id) if isinstance(native_id, str) else None
        if match is None:
            raise UnknownJob(f"native id {native_id!r}: dask job keys look like genesis-<job>-<8 hex digits>")
        record = self.store.get(int(match.group(1)))
        if record.backend != self.name:
            raise UnknownJob(f"job {record.id} runs on {record.backend}, not on {self.name}")
        return record

    def _launch(self, client, record: JobRecord, spec: JobSpec, verb: str, **columns: Any) -> str:
        """Submit the blocks not saved yet under a new key, publish them, and move the record to QUEUED."""
        key = f"genesis-{record.id}-{uuid.uuid4().hex[:8]}"
        missing = BlockIngest(self.store, record.id, spec).missing
        run = record.run + 1
        watcher = JobMonitor(self.store, record.id, spec, key, self.settings, run)
        if not monitors.claim(watcher):
            raise PermanentError(f"job {record.id} is already watched by this process; it cannot be started twice")
        futures: list = []
        try:
            watcher.subscribe(client)  # before the tasks, so that no event of theirs is missed
            futures = [client.submit(run_block_task, key, spec.kernel, spec.kernel_version, dict(spec.params),
                                     spec.seed, b, key=f"{key}-block-{b}", pure=False, retries=0) for b in missing]
            client.publish_dataset(futures, name=key)
        except Exception as err:
            stop_tasks(client, key, futures)
            watcher.finished.set()
            raise TransientError(f"dask scheduler {self.settings.scheduler}: submitting job {record.id} failed: "
                                 f"{type(err).__name__}: {err}") from err
        note = (f"{verb} to dask scheduler {self.settings.scheduler} as {key}: {len(missing)} of {spec.blocks} "
                "blocks to compute")
        if not self.store.transition(record.id, JobState.QUEUED, note, native_id=key, run=run, owner_pid=os.getpid(),
                                     owner_host=HOST, heartbeat_at=utcnow(), **columns):
            stop_tasks(client, key, futures)
            watcher.finished.set()
            state = self.store.get(record.id).state.value
            raise PermanentError(f"job {record.id} is {state}; it was moved by someone else first")
        watcher.track(futures)
        watcher.start()
        with self._lock:
            self._own.append(watcher)
        return key

    def _observe(self, record: JobRecord, unreachable: dict[str, str], own: bool = False) -> JobRecord:
        """The record, after attaching to the job if nobody watches it, or moving it to LOST if the
        scheduler forgot it or stayed out of reach for lost_after_s."""
        if record.state.is_final or record.state is JobState.NEW or monitors.running(self.store, record.id):
            return record
        if self._watched_elsewhere(record):
            return record
        address, key = self.settings.scheduler, record.native_id
        try:
            if address in unreachable or not address:
                raise TransientError(unreachable.get(address) or "no scheduler address set here")
            # Short: status() answers the desktop every second; a later call tries again.
            client = client_for(address, min(self.settings.connect_timeout_s, STATUS_CONNECT_S))
            futures = client.get_dataset(key)
        except KeyError:
            self.store.transition(record.id, JobState.LOST, f"the dask scheduler {address} does not know job "
                                  f"{key} (it restarted, or the job was dropped); resume computes the blocks not saved")
            return self.store.get(record.id)
        except Exception as err:
            unreachable[address] = str(err)
            silent = (utcnow() - max(filter(None, (record.heartbeat_at, record.updated_at)))).total_seconds()
            if silent > self.settings.lost_after_s:
                self.store.transition(record.id, JobState.LOST, f"the dask scheduler {address} cannot be reached "
                                      f"({err}), and no news of the job for {silent:.0f} s")
                return self.store.get(record.id)
            return record
        watcher = JobMonitor(self.store, record.id, record.spec, key, self.settings, record.run, attached=True)
        done = BlockIngest(self.store, record.id, record.spec).done
        self.store.set_fields(record.id, owner_pid=os.getpid(), owner_host=HOST, heartbeat_at=utcnow())
        self._start(watcher, client, [f for f in futures if monitors.block_of(f.key) not in done], own=own)
        return self.store.get(record.id)

    def _start(self, watcher: JobMonitor, client, futures: list, own: bool) -> None:
        if not monitors.claim(watcher):
            return  # another thread of this process attached first
        try:
            watcher.watch(client, futures)
        except BaseException:
            watcher.finished.set()
            raise
        watcher.start()
        if own:
            with self._lock:
                self._own.append(watcher)

    def _watched_elsewhere(self, record: JobRecord) -> bool:
        """Another live process on this host, or a fresh heartbeat from another host, watches the job."""
        if record.owner_pid is None or record.owner_pid == os.getpid():
            return False
        if record.owner_host == HOST:
            try:
                os.kill(record.owner_pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                pass
            return True
        return record.heartbeat_at is not None and \
            (utcnow() - record.heartbeat_at).total_seconds() <= self.settings.lost_after_s


def _published(client, key: str) -> list:
    try:
        return list(client.get_dataset(key))
    except KeyError:
        return []
