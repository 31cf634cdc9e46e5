"""Running jobs, for the CLI and the desktop alike: make a spec, pick a backend (falling back to local
with the reason recorded), submit, follow the telemetry, cancel, resume, and keep records current.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from . import registry
from .api import Backend
from . import telemetry
from .errors import BackendUnavailable, PermanentError, TransientError
from .jobs import JobSpec, JobState, Resources
from .jobstore import JobRecord, JobStore
from .kernel import SpecError
from .kernels import kernel
from .telemetry import Event

POLL_S = 0.1


def make_spec(kernel_name: str, params: Mapping[str, Any], *, seed: int,
              resources: Resources | None = None) -> JobSpec:
    """A spec from a kernel's name and raw parameters, checked by the kernel (SpecError otherwise)."""
    k = kernel(kernel_name)
    prepared = k.prepare(params)
    return JobSpec(kernel_name, k.version, prepared, seed, k.block_count(prepared), resources or Resources())


@dataclass
class Submitted:
    job_id: int
    backend: Backend
    fallback_reason: str | None  # why it runs on `backend` and not on the one asked for


def submit(store: JobStore, spec: JobSpec, *, backend: str = registry.BUILTIN, safe_mode: bool = False,
           options: Mapping[str, Any] | None = None, tries: int = 3, backoff_s: float = 0.5) -> Submitted:
    """Start a job. A refused spec (SpecError) leaves no record behind; a failed submit leaves a FAILED one.

    The fallback rule: a backend that cannot be loaded or reached, or that refuses the submit for a
    transient reason `tries` times (with growing pauses), hands the job to the local backend, and the
    record says why. A permanent refusal is never retried and never falls back.
    """
    tries = max(1, tries)
    chosen, reason = registry.select(backend, store, safe_mode=safe_mode, options=options, tries=tries,
                                     backoff_s=backoff_s)
    try:
        chosen.validate(spec)
    except SpecError as err:
        chosen.close()
        if reason:  # say why it was checked against a backend other than the one asked for
            raise SpecError(f"{err} (on {chosen.name}, because {reason})") from err
        raise
    job_id = store.create_job(spec, backend=chosen.name, requested_backend=backend, fallback_reason=reason)
    for attempt in range(tries):
        try:
            store.set_fields(job_id, native_id=chosen.submit(spec, job_id))
            return Submitted(job_id, chosen, reason)
        except TransientError as err:
            if chosen.name == registry.BUILTIN:
                _failed(store, chosen, job_id, err)
                raise
            store.append(job_id, [telemetry.log(f"{chosen.name} refused the submit (try {attempt + 1} of "
                                                f"{tries}): {err}", "warning")])
            refusal = err
            if attempt + 1 < tries:
                time.sleep(backoff_s * 2 ** attempt)
        except Exception as err:
            _failed(store, chosen, job_id, err)
            raise
    chosen.close()
    reason = f"backend {backend}: refused the submit {tries} times: {refusal}"
    local = registry.load(registry.find(registry.BUILTIN), store)
    store.set_fields(job_id, backend=local.name, fallback_reason=reason)
    store.append(job_id, [telemetry.log(f"running on {local.name}, not {backend}: {reason}", "warning")])
    try:
        store.set_fields(job_id, native_id=local.submit(spec, job_id))
    except Exception as err:
        _failed(store, local, job_id, err)
        raise
    return Submitted(job_id, local, reason)


def _failed(store: JobStore, backend: Backend, job_id: int, err: Exception) -> None:
    store.transition(job_id, JobState.FAILED, f"submit failed: {err}", error=f"submit failed: {err}")
    backend.close()


def follow(store: JobStore, backend: Backend, job_id: int, *, since_seq: int = 0,
           on_events: Callable[[list[Event]], None] | None = None, poll_s: float = POLL_S) -> JobRecord:
    """Wait for the job to end, handing each batch of new telemetry to `on_events`; the final record."""
    native_id = native(store.get(job_id))
    while True:
        state = backend.status([native_id])[native_id]
        events = store.telemetry(job_id, since_seq)  # read after the state, so a final state's events are in
        if events:
            since_seq = events[-1].seq
            if on_events:
                on_events(events)
        if state.is_final:
            return store.get(job_id)
        time.sleep(poll_s)


def native(record: JobRecord) -> str:
    """The backend's id for a job; before a backend has given one, the job's own number."""
    return record.native_id or str(record.id)


def backend_of(store: JobStore, record: JobRecord, *, safe_mode: bool = False) -> Backend:
    """The backend that runs a recorded job; BackendUnavailable if it cannot be loaded here."""
    return registry.load(registry.find(record.backend, safe_mode=safe_mode), store)


def cancel(store: JobStore, job_id: int, *, safe_mode: bool = False) -> JobState:
    """Ask the job's backend to stop it; the state it is in now (cancel is a request)."""
    record = refresh(store, [store.get(job_id)], safe_mode=safe_mode)[0]
    if record.state.is_final:
        return record.state
    backend = backend_of(store, record, safe_mode=safe_mode)
    try:
        backend.cancel(native(record))
    finally:
        backend.close()
    return store.get(job_id).state


def resume(store: JobStore, job_id: int, *, safe_mode: bool = False) -> Backend:
    """Resume a LOST or CANCELED job on its backend; the backend, to follow it with."""
    record = store.get(job_id)
    backend = backend_of(store, record, safe_mode=safe_mode)
    try:
        backend.resume(native(record))
    except Exception:
        backend.close()
        raise
    return backend


def refresh(store: JobStore, records: Sequence[JobRecord], *, safe_mode: bool = False) -> list[JobRecord]:
    """The records, with the unfinished ones first brought up to date by their backends (one status
    call per backend), so that a job whose runner died shows as LOST. A backend that cannot be
    loaded leaves its jobs as recorded."""
    by_backend: dict[str, list[JobRecord]] = {}
    for r in records:
        if not r.state.is_final:
            by_backend.setdefault(r.backend, []).append(r)
    changed: set[int] = set()
    for name, unfinished in by_backend.items():
        try:
            backend = registry.load(registry.find(name, safe_mode=safe_mode), store)
        except BackendUnavailable:
            continue
        try:
            states = backend.status([native(r) for r in unfinished])
        except PermanentError:
            continue
        finally:
            backend.close()
        changed |= {r.id for r in unfinished if states.get(native(r)) not in (None, r.state)}
    return [store.get(r.id) if r.id in changed else r for r in records]
