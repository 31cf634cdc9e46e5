"""The local backend beyond the conformance suite: results independent of workers and block order,
running estimates, resource telemetry, failures, and stopping and resuming jobs."""
from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from genesis_desktop.compute import service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.compute.testing import reference_result, wait_for

PARAMS = {"blocks": 12, "samples_per_block": 30_000}


def _run(store, backend, params=PARAMS, seed=42, workers=2):
    spec = service.make_spec("pi", params, seed=seed, resources=Resources(workers=workers))
    job_id = store.create_job(spec, backend=backend.name)
    backend.submit(spec, job_id)
    return job_id, spec


def _finish(store, backend, job_id):
    return service.follow(store, backend, job_id, poll_s=0.05)


def _expected(spec):
    """The kernel's own result, computed here without the sleep that makes blocks slow (a sleep changes
    no number)."""
    return reference_result(replace(spec, params={**spec.params, "sleep_s": 0.0}))


def test_workers_and_block_order_never_change_a_result(compute_store, local_backend):
    results, estimates = [], []
    for workers, order_seed in ((1, None), (2, 7), (4, 99)):  # order_seed: blocks handed out shuffled
        backend = local_backend(compute_store, block_order_seed=order_seed)
        job_id, spec = _run(compute_store, backend, workers=workers)
        record = _finish(compute_store, backend, job_id)
        assert record.state is JobState.COMPLETED, record.error
        results.append(record.result)
        estimates.append({e.payload["samples"]: e.payload["value"]
                          for e in compute_store.telemetry(job_id) if e.kind is Kind.ESTIMATE})
    assert all(r == results[0] for r in results), results
    assert results[0] == reference_result(spec)
    # Running estimates cover the first k blocks in order, so equal sample counts give equal values.
    for other in estimates[1:]:
        for samples in set(other) & set(estimates[0]):
            assert other[samples] == estimates[0][samples]
    assert max(estimates[0]) == PARAMS["blocks"] * PARAMS["samples_per_block"]


def test_a_failing_block_fails_the_job_naming_the_block(compute_store, local_backend):
    backend = local_backend(compute_store)
    job_id, _ = _run(compute_store, backend, params={**PARAMS, "fail_block": 5})
    record = _finish(compute_store, backend, job_id)
    assert record.state is JobState.FAILED
    assert record.error == "block 5: RuntimeError: block 5 fails on purpose (fail_block = 5)"
    logs = [e.payload["line"] for e in compute_store.telemetry(job_id) if e.kind is Kind.LOG]
    assert any("Traceback" in line and "run_block" in line for line in logs), "the worker's traceback is logged"


@pytest.mark.skipif(sys.platform != "linux", reason="workers' CPU and memory are read from /proc")
def test_heartbeats_report_the_workers_cpu_and_memory(compute_store, local_backend):
    backend = local_backend(compute_store)
    job_id, _ = _run(compute_store, backend, params={"blocks": 4, "samples_per_block": 1000, "sleep_s": 0.8})
    assert _finish(compute_store, backend, job_id).state is JobState.COMPLETED
    events = compute_store.telemetry(job_id)
    usage = [e.payload for e in events if e.kind is Kind.RESOURCE]
    assert usage and all(u["workers"] == 2 and u["rss_mb"] > 10 for u in usage), usage
    assert any(u["cpu_percent"] is not None and u["cpu_percent"] >= 0 for u in usage)
    assert sum(e.kind is Kind.HEARTBEAT for e in events) == len(usage)
    assert compute_store.get(job_id).heartbeat_at is not None


def test_closing_the_program_loses_the_job_and_resume_completes_it(compute_store, local_backend):
    params = {"blocks": 8, "samples_per_block": 1000, "sleep_s": 0.4}
    first = local_backend(compute_store)
    job_id, spec = _run(compute_store, first, params=params)
    wait_for(lambda: len(compute_store.blocks(job_id)) >= 2, 30, what="two blocks saved")
    first.close()
    record = compute_store.get(job_id)
    assert record.state is JobState.LOST
    assert compute_store.history(job_id)[-1].note == "the program closed while the job ran"
    kept = {b: saved.run for b, saved in compute_store.blocks(job_id).items()}
    assert kept and set(kept.values()) == {1} and len(kept) < spec.blocks

    second = local_backend(compute_store)
    second.resume(str(job_id))
    record = _finish(compute_store, second, job_id)
    assert record.state is JobState.COMPLETED and record.run == 2
    runs = {b: saved.run for b, saved in compute_store.blocks(job_id).items()}
    assert {b for b, run in runs.items() if run == 1} == set(kept), "saved blocks are not computed again"
    assert {b for b, run in runs.items() if run == 2} == set(range(spec.blocks)) - set(kept)
    assert record.result == _expected(spec)


def test_a_canceled_job_can_be_resumed(compute_store, local_backend):
    backend = local_backend(compute_store)
    job_id, spec = _run(compute_store, backend, params={"blocks": 6, "samples_per_block": 1000, "sleep_s": 0.3})
    wait_for(lambda: len(compute_store.blocks(job_id)) >= 1, 30, what="a block saved")
    backend.cancel(str(job_id))
    assert _finish(compute_store, backend, job_id).state is JobState.CANCELED
    backend.resume(str(job_id))
    record = _finish(compute_store, backend, job_id)
    assert record.state is JobState.COMPLETED and record.result == _expected(spec)
    assert record.cancel_requested_at is None, "a resumed job starts without the old cancel request"
    with pytest.raises(Exception, match="only a lost or canceled job can be resumed"):
        backend.resume(str(job_id))


def test_a_job_whose_heartbeat_stopped_is_lost(compute_store, local_backend):
    """An owner on another host (or a reused pid) is judged by its heartbeat alone."""
    spec = service.make_spec("pi", {"blocks": 2}, seed=1)
    job_id = compute_store.create_job(spec, backend="local")
    compute_store.transition(job_id, JobState.QUEUED, native_id=str(job_id), owner_pid=1, owner_host="elsewhere",
                             heartbeat_at=compute_store.get(job_id).created_at)
    patient = local_backend(compute_store, lost_after_s=3600)
    assert patient.status([str(job_id)])[str(job_id)] is JobState.QUEUED
    strict = local_backend(compute_store, lost_after_s=0.0)
    assert strict.status([str(job_id)])[str(job_id)] is JobState.LOST
    assert compute_store.history(job_id)[-1].note.startswith("no heartbeat from process 1 on elsewhere")


def test_a_job_never_submitted_is_lost_after_the_timeout(compute_store, local_backend):
    job_id = compute_store.create_job(service.make_spec("pi", {"blocks": 2}, seed=1), backend="local")
    assert local_backend(compute_store).status([str(job_id)])[str(job_id)] is JobState.NEW
    assert local_backend(compute_store, lost_after_s=0.0).status([str(job_id)])[str(job_id)] is JobState.LOST
