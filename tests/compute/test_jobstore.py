"""The job store on a real SQLite file: records, states, telemetry numbering under concurrent writers,
block results."""
from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from genesis_desktop.compute import telemetry
from genesis_desktop.compute.jobs import JobSpec, JobState
from genesis_desktop.compute.jobstore import Block, JobStore, UnknownJob, decode_partial, encode_partial
from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.portfolio.store import make_engine

SPEC = JobSpec("pi", "1", {"blocks": 3}, seed=1, blocks=3)


def test_a_new_job_is_recorded_with_its_fallback(compute_store):
    job_id = compute_store.create_job(SPEC, backend="local", requested_backend="slurm",
                                      fallback_reason="slurm: not reachable")
    record = compute_store.get(job_id)
    assert (record.state, record.backend, record.requested_backend) == (JobState.NEW, "local", "slurm")
    assert record.fallback_reason == "slurm: not reachable" and record.spec == SPEC
    events = compute_store.telemetry(job_id)
    assert [e.kind for e in events] == [Kind.STATE, Kind.LOG]
    assert "not reachable" in events[1].payload["line"] and events[1].payload["level"] == "warning"


def test_transitions_follow_the_state_machine_and_record_their_time(compute_store):
    job_id = compute_store.create_job(SPEC, backend="local")
    assert not compute_store.transition(job_id, JobState.RUNNING), "NEW cannot go straight to RUNNING"
    assert compute_store.transition(job_id, JobState.QUEUED, native_id="n-1")
    assert compute_store.transition(job_id, JobState.RUNNING)
    assert compute_store.transition(job_id, JobState.COMPLETED, result={"pi": 3.0})
    assert not compute_store.transition(job_id, JobState.CANCELED), "nothing leaves COMPLETED"
    history = compute_store.history(job_id)
    assert [c.state for c in history] == [JobState.NEW, JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED]
    assert [c.changed_at for c in history] == sorted(c.changed_at for c in history)
    record = compute_store.get(job_id)
    assert record.native_id == "n-1" and record.result == {"pi": 3.0}
    with pytest.raises(UnknownJob, match="job 999"):
        compute_store.transition(999, JobState.QUEUED)


def test_telemetry_reads_from_any_sequence_number(compute_store):
    job_id = compute_store.create_job(SPEC, backend="local")
    compute_store.append(job_id, [telemetry.progress(i, 3) for i in range(1, 4)])
    everything = compute_store.telemetry(job_id)
    assert [e.seq for e in everything] == [1, 2, 3, 4]
    assert compute_store.telemetry(job_id, since_seq=2) == everything[2:]
    assert compute_store.telemetry(job_id, since_seq=1, limit=1) == everything[1:2]
    with pytest.raises(UnknownJob):
        compute_store.append(999, [telemetry.heartbeat()])


def test_payloads_are_checked_per_kind():
    with pytest.raises(ValueError, match=r"progress event: payload .* lacks \['total'\]"):
        telemetry.NewEvent(Kind.PROGRESS, {"done": 1})
    with pytest.raises(ValueError, match="level 'loud'"):
        telemetry.log("x", "loud")


WRITER = """
import sys
from genesis_desktop.compute import telemetry
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.store import make_engine
store = JobStore(make_engine(sys.argv[1]))
for i in range(int(sys.argv[4])):
    store.append(int(sys.argv[2]), [telemetry.metric(sys.argv[3], i, i)])
"""


def test_concurrent_writers_get_gap_free_numbers(compute_url):
    """Two processes and three threads (two of them over a second engine, so that only the database
    serialises them) append at once: every event gets its own number, 1..N without gaps, and each
    writer's events keep their order."""
    store, other = JobStore(make_engine(compute_url)), JobStore(make_engine(compute_url))
    job_id = store.create_job(SPEC, backend="local")
    each = 40
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, compute_url, str(job_id), f"process-{i}", str(each)])
             for i in range(2)]

    def write(target: JobStore, name: str) -> None:
        for i in range(each):
            target.append(job_id, [telemetry.metric(name, i, i)])
    threads = [threading.Thread(target=write, args=(s, f"thread-{i}")) for i, s in enumerate((store, other, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=60) == 0 for p in procs)
    events = store.telemetry(job_id)
    assert [e.seq for e in events] == list(range(1, 1 + 1 + 5 * each))
    assert store.get(job_id).last_seq == len(events)
    for name in ("process-0", "process-1", "thread-0", "thread-1", "thread-2"):
        steps = [e.payload["step"] for e in events if e.kind is Kind.METRIC and e.payload["name"] == name]
        assert steps == list(range(each)), name
    store.close(), other.close()


def test_blocks_are_saved_replaced_and_filtered_by_kernel_version(compute_store):
    job_id = compute_store.create_job(SPEC, backend="local")
    partial = {"inside": np.array([7], dtype=np.int64), "grid": np.linspace(0, 1, 5)}
    compute_store.save_blocks(job_id, [Block(0, partial, 1, 0.5), Block(2, partial, 1, 0.25)], "1")
    compute_store.save_blocks(job_id, [Block(2, {"inside": np.array([9])}, 2, 0.1)], "1")
    compute_store.save_blocks(job_id, [Block(1, partial, 2, 0.1)], "0-old")
    saved = compute_store.blocks(job_id, "1")
    assert sorted(saved) == [0, 2]
    assert saved[2].run == 2 and saved[2].partial["inside"].tolist() == [9]
    np.testing.assert_array_equal(saved[0].partial["grid"], partial["grid"])
    assert sorted(compute_store.blocks(job_id)) == [0, 1, 2]
    assert compute_store.get(job_id).blocks_done == 3


def test_partials_hold_only_numeric_arrays():
    data = encode_partial({"a": np.arange(3), "b": np.array([[1.5]])})
    back = decode_partial(data)
    assert back["a"].tolist() == [0, 1, 2] and back["b"].tolist() == [[1.5]]
    with pytest.raises(TypeError, match="partial 'x': ndarray must be a numpy array of numbers"):
        encode_partial({"x": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(TypeError, match="partial 'y': list"):
        encode_partial({"y": [1, 2]})
