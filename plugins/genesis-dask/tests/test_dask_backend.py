"""The dask backend on a real cluster: results equal to the local backend's, cancel of running blocks,
a lost scheduler and resume, fallback when the scheduler is not there, attach after a restart of the
program, and telemetry sent from inside the tasks."""
from __future__ import annotations

import socket

import pytest

import genesis_dask
from genesis_dask.clients import client_for
from genesis_desktop.compute import service
from genesis_desktop.compute.api import JobState, JobStore, Kind
from genesis_desktop.compute.testing import reference_result, wait_for

pytestmark = pytest.mark.xdist_group("dask")


def risk_params() -> dict:
    """A small portfolio (three blocks) over FY2026-2028 with a JPY partner, as in test_risk_kernel."""
    proposals = [{"code": f"P-{i:03d}",
                  "cost": {"FY2026": 100_000.0 * (1 + i % 4), "FY2027": 250_000.0 + 10_000 * i, 2028: 50_000.0 * (i % 3)},
                  "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.04 * i} for i in range(6)]
    proposals[0]["overrun_sigma"] = 0.6
    return {"currency": "USD", "proposals": proposals, "budgets": {2026: 800_000.0, 2027: 2_000_000.0, 2028: 300_000.0},
            "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 30_000_000.0}}],
            "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": 10_000, "block_size": 4096}


def start(backend, store, spec) -> tuple[int, str]:
    job_id = store.create_job(spec, backend=backend.name)
    return job_id, backend.submit(spec, job_id)


def final(backend, native_id: str, timeout: float = 60) -> JobState:
    return wait_for(lambda: (s := backend.status([native_id])[native_id]).is_final and s, timeout, 0.05,
                    f"job {native_id} ending")


def lines(store, job_id: int) -> list[str]:
    return [e.payload["line"] for e in store.telemetry(job_id) if e.kind is Kind.LOG]


def test_the_risk_result_is_bit_identical_to_the_local_backends(dask, make_backend, store):
    spec = service.make_spec("risk", risk_params(), seed=17)
    assert spec.blocks == 3
    _, on_dask = start(dask, store, spec)
    local = make_backend("local", store)
    _, on_local = start(local, store, spec)
    assert final(dask, on_dask) is JobState.COMPLETED
    assert final(local, on_local) is JobState.COMPLETED
    assert dask.result(on_dask) == local.result(on_local) == reference_result(spec)


def test_cancel_stops_running_blocks_and_frees_the_workers(dask, store, dask_cluster):
    slow = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000, "sleep_s": 30.0}, seed=1)
    job_id, native_id = start(dask, store, slow)
    wait_for(lambda: sum("started" in line for line in lines(store, job_id)) == 2, 30, 0.05, "both blocks running")
    assert dask.status([native_id])[native_id] is JobState.RUNNING
    dask.cancel(native_id)
    assert final(dask, native_id, timeout=5) is JobState.CANCELED
    client = client_for(dask_cluster.address, 5)
    # Both tasks ran their kernel's checkpoint into Stopped: told from inside the task itself.
    wait_for(lambda: sum(m.get("kind") == "stopped" for _, m in client.get_events(native_id)) == 2, 10, 0.05,
             "both running blocks stopping")
    # Had the blocks gone on, both workers would be busy for 30 s; a quick job finishes well before.
    quick = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000}, seed=2)
    _, after = start(dask, store, quick)
    assert final(dask, after, timeout=15) is JobState.COMPLETED


def test_a_failing_block_fails_the_job_with_its_error_and_traceback(dask, store):
    spec = service.make_spec("pi", {"blocks": 3, "samples_per_block": 1000, "fail_block": 1}, seed=3)
    job_id, native_id = start(dask, store, spec)
    assert final(dask, native_id) is JobState.FAILED
    record = store.get(job_id)
    assert "block 1 failed: RuntimeError: block 1 fails on purpose" in record.error
    assert any(line.startswith("traceback of block 1:") and "run_block" in line for line in lines(store, job_id))


def test_a_lost_scheduler_makes_the_job_lost_and_resume_computes_only_the_missing_blocks(dask, store, dask_cluster):
    spec = service.make_spec("pi", {"blocks": 8, "samples_per_block": 1000, "sleep_s": 0.5}, seed=4)
    job_id, first_key = start(dask, store, spec)
    try:
        wait_for(lambda: store.get(job_id).blocks_done >= 2, 30, 0.05, "two blocks saved")
        dask_cluster.run("kill-scheduler")
        assert final(dask, first_key, timeout=30) is JobState.LOST
        saved = store.blocks(job_id)
        assert 2 <= len(saved) < spec.blocks, "the kill came in the middle of the run"
        note = store.history(job_id)[-1].note
        assert f"lost the dask scheduler {dask_cluster.address}: not back within 3 s" in note
    finally:
        dask_cluster.run("restart")  # the cluster stays usable for the tests after this one
    dask.resume(first_key)
    second_key = store.get(job_id).native_id
    assert second_key != first_key
    assert final(dask, second_key) is JobState.COMPLETED
    assert dask.status([first_key])[first_key] is JobState.COMPLETED, "the old key still names the job"
    assert dask.result(second_key) == reference_result(spec)
    blocks = store.blocks(job_id)
    assert {b: blocks[b].run for b in saved} == {b: saved[b].run for b in saved}, "saved blocks were kept"
    assert sorted(b for b, block in blocks.items() if block.run == 2) == sorted(set(range(spec.blocks)) - set(saved))


def test_a_closed_scheduler_port_falls_back_to_local_saying_why(store):
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000}, seed=5)
    submitted = service.submit(store, spec, backend="dask", options={"scheduler": address, "connect_timeout_s": 0.5},
                               tries=2, backoff_s=0.05)
    try:
        assert submitted.backend.name == "local"
        record = store.get(submitted.job_id)
        assert record.backend == "local" and record.requested_backend == "dask"
        assert record.fallback_reason.startswith("backend dask: not reachable (2 tries): dask scheduler " + address)
        assert service.follow(store, submitted.backend, submitted.job_id).state is JobState.COMPLETED
        assert store.get(submitted.job_id).result == reference_result(spec)
    finally:
        submitted.backend.close()


def test_a_restarted_program_attaches_by_key_and_follows_the_job_to_the_end(make_backend, dask_options, store):
    spec = service.make_spec("pi", {"blocks": 4, "samples_per_block": 1000, "sleep_s": 0.7}, seed=6)
    first = make_backend("dask", store, dask_options)
    job_id, key = start(first, store, spec)
    first.close()
    genesis_dask.shutdown()  # as the program's exit does: no monitor, no client left in this process
    assert store.get(job_id).state in {JobState.QUEUED, JobState.RUNNING}
    again_store = JobStore.standalone(str(store.engine.url))
    try:
        again = make_backend("dask", again_store, dask_options)
        assert again.attach(key) in {JobState.QUEUED, JobState.RUNNING}
        assert final(again, key) is JobState.COMPLETED
        assert again.result(key) == reference_result(spec)
        assert set(again_store.blocks(job_id)) == set(range(spec.blocks))
    finally:
        again_store.close()


def test_telemetry_from_inside_the_tasks_reaches_the_store(dask, store):
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000, "sleep_s": 2.5}, seed=7)
    job_id, native_id = start(dask, store, spec)
    assert final(dask, native_id) is JobState.COMPLETED
    told = lines(store, job_id)
    for block in range(2):
        assert any(line.startswith(f"block {block} started on tcp://") for line in told), told
        assert any(line.startswith(f"block {block} finished on tcp://") for line in told), told
    usage = [e.payload for e in store.telemetry(job_id) if e.kind is Kind.RESOURCE]
    assert usage, "heartbeats from the running tasks arrive as resource events"
    assert all(u["workers"] >= 1 and u["rss_mb"] > 0 for u in usage), usage
    assert store.get(job_id).heartbeat_at is not None


def test_without_a_scheduler_address_the_probe_says_so(make_backend, store):
    probe = make_backend("dask", store, {}).probe(1.0)
    assert not probe.reachable and probe.reason.startswith("no scheduler address set: ")
