"""Jobs that go wrong: the node dies mid-run, the job vanishes from the queue, a block comes back
different; and a job followed again after a restart of the program."""
from __future__ import annotations

import io
import os
import random
import time

import numpy as np
import pytest

from genesis_desktop.compute import service
from genesis_desktop.compute.api import JobState, JobStore, Resources, UnknownJob
from genesis_desktop.compute.testing import reference_result
from genesis_slurm import jobdir

pytestmark = pytest.mark.xdist_group("slurm")


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return value


def test_a_dead_node_makes_the_job_lost_and_resume_computes_only_the_missing_blocks(
        slurm_backend, store, slurm_cluster, wait_final):
    spec = service.make_spec("pi", {"blocks": 6, "samples_per_block": 1_000, "sleep_s": 0.6}, seed=8,
                             resources=Resources(workers=1))
    backend = slurm_backend(store, lost_after_s=3.0)
    job_id = store.create_job(spec, backend="slurm")
    first = backend.submit(spec, job_id)
    try:
        wait_for(lambda: backend.status([first]) and len(store.blocks(job_id)) >= 2, 30, "two blocks saved")
        slurm_cluster.command("kill-node")
        assert wait_final(backend, first, timeout=30) is JobState.LOST
        note = store.history(job_id)[-1].note
        assert "no telemetry from its tasks" in note and "limit 3 s" in note, note
    finally:
        slurm_cluster.command("start-node")  # later tests need the node, whatever happened here
    before = {b: saved.run for b, saved in store.blocks(job_id).items()}
    assert before and set(before.values()) == {1} and len(before) < spec.blocks
    backend.resume(first)
    record = store.get(job_id)
    assert record.state is JobState.QUEUED and record.run == 2 and record.native_id != first
    assert wait_final(backend, record.native_id) is JobState.COMPLETED
    assert backend.status([first])[first] is JobState.COMPLETED, "the first run's id still names the job"
    after = store.blocks(job_id)
    assert {b: after[b].run for b in before} == before, "blocks saved before the node died were kept"
    assert sorted(b for b, saved in after.items() if saved.run == 2) == sorted(set(range(spec.blocks)) - set(before))
    folder = jobdir.find(backend.shell, backend.work_dir, record.native_id)
    assert folder.read_json("run-2.blocks.json") == sorted(set(range(spec.blocks)) - set(before))
    assert backend.result(record.native_id) == reference_result(spec)


def _crafted(backend, store, spec, computed: list[int], run_worker) -> tuple[int, str, jobdir.JobDir]:
    """A job whose folder the real worker filled with `computed` blocks, under a Slurm id the
    controller never had (as after MinJobAge purged it): Slurm cannot list it, only files remain."""
    job_id = store.create_job(spec, backend="slurm")
    folder = jobdir.create(backend.shell, backend.work_dir, job_id, spec)
    folder.write_json(computed, "run-1.blocks.json")
    run_worker(folder.path, 1)
    native = str(random.randrange(5_000_000, 9_000_000))
    jobdir.record_native(folder, backend.work_dir, native, 1)
    assert store.transition(job_id, JobState.QUEUED, native_id=native, run=1)
    return job_id, native, folder


def test_a_vanished_job_with_all_its_blocks_is_completed(slurm_backend, store, run_worker):
    spec = service.make_spec("pi", {"blocks": 3, "samples_per_block": 2_000}, seed=21)
    backend = slurm_backend(store)
    job_id, native, _ = _crafted(backend, store, spec, [0, 1, 2], run_worker)
    assert backend.status([native])[native] is JobState.COMPLETED
    assert backend.result(native) == reference_result(spec)


def test_a_vanished_job_with_missing_blocks_is_lost_and_resumes(slurm_backend, store, run_worker, wait_final):
    spec = service.make_spec("pi", {"blocks": 4, "samples_per_block": 2_000}, seed=22)
    backend = slurm_backend(store)
    job_id, native, _ = _crafted(backend, store, spec, [0, 2], run_worker)
    assert backend.status([native])[native] is JobState.LOST
    assert "no longer lists the job and 2 blocks are missing" in store.history(job_id)[-1].note
    assert sorted(store.blocks(job_id)) == [0, 2]
    backend.resume(native)
    assert wait_final(backend, native) is JobState.COMPLETED
    assert backend.result(native) == reference_result(spec)


def test_a_block_that_comes_back_different_is_a_defect(slurm_backend, store, wait_final):
    spec = service.make_spec("pi", {"blocks": 3, "samples_per_block": 1_000, "sleep_s": 1.0}, seed=23,
                             resources=Resources(workers=1))
    backend = slurm_backend(store)
    job_id = store.create_job(spec, backend="slurm")
    native = backend.submit(spec, job_id)
    wait_for(lambda: backend.status([native]) and 0 in store.blocks(job_id), 30, "block 0 saved")
    folder = jobdir.find(backend.shell, backend.work_dir, native)
    path = folder.file("blocks", "000000.npz")
    with np.load(path) as npz:
        changed = {k: npz[k] for k in npz.files}
    first = next(iter(changed))
    changed[first] = changed[first] + 1  # what a non-deterministic node would hand back
    buf = io.BytesIO()
    np.savez(buf, **changed)
    with open(path + ".tmp", "wb") as f:
        f.write(buf.getvalue())
    os.replace(path + ".tmp", path)
    assert wait_final(backend, native) is JobState.FAILED
    record = store.get(job_id)
    assert record.error.startswith("defect: block 0 was computed twice with different results"), record.error
    assert any("defect: block 0" in line for line in backend.logs(native))


def test_attach_after_a_restart_follows_the_job_to_the_end(slurm_backend, store, tmp_path, wait_final):
    spec = service.make_spec("pi", {"blocks": 3, "samples_per_block": 1_000, "sleep_s": 0.3}, seed=24,
                             resources=Resources(workers=1))
    first = slurm_backend(store)
    job_id = store.create_job(spec, backend="slurm")
    native = first.submit(spec, job_id)
    first.close()
    with JobStore.standalone(f"sqlite:///{tmp_path / 'jobs.sqlite'}") as again_store:  # as a new program would
        again = slurm_backend(again_store)
        assert again.attach(native) in {JobState.QUEUED, JobState.RUNNING}
        assert wait_final(again, native) is JobState.COMPLETED
        assert again.result(native) == reference_result(spec)
        with pytest.raises(UnknownJob, match="not a job of this backend"):
            again.attach("4999999")
