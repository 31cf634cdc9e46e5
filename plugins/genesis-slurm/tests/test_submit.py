"""Submitting: GPUs through GRES, impossible requests refused for good, an unreachable host falls back."""
from __future__ import annotations

import socket

import pytest

from genesis_desktop.compute import service
from genesis_desktop.compute.api import JobState, PermanentError, Resources

pytestmark = pytest.mark.xdist_group("slurm")

QUICK = {"blocks": 2, "samples_per_block": 1_000}


def test_an_impossible_gpu_count_is_refused_for_good_and_never_falls_back(slurm_options, store):
    spec = service.make_spec("pi", QUICK, seed=1, resources=Resources(gpus=99, partition="gpu"))
    with pytest.raises(PermanentError, match=r"gpus=99.*Requested node configuration is not available"):
        service.submit(store, spec, backend="slurm", options=slurm_options, tries=3, backoff_s=0.01)
    (record,) = store.jobs()
    assert record.backend == "slurm" and record.fallback_reason is None, "a permanent refusal never falls back"
    assert record.state is JobState.FAILED and "gpus=99" in record.error
    assert [c.state for c in store.history(record.id)] == [JobState.NEW, JobState.FAILED], "nothing ran"
    assert store.blocks(record.id) == {}


def test_one_gpu_runs_on_the_gpu_partition_and_the_worker_sees_it(slurm_backend, store, wait_final):
    spec = service.make_spec("pi", QUICK, seed=1, resources=Resources(gpus=1, partition="gpu"))
    backend = slurm_backend(store)
    job_id = store.create_job(spec, backend="slurm")
    native = backend.submit(spec, job_id)
    assert wait_final(backend, native) is JobState.COMPLETED
    starts = [line for line in backend.logs(native) if "started on" in line]
    assert starts and all("GPUs: 0" in line for line in starts), starts  # CUDA_VISIBLE_DEVICES=0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_an_unreachable_host_falls_back_to_local_with_the_reason(slurm_options, store, tmp_path):
    port = _closed_port()
    options = {**slurm_options, "host": "127.0.0.1", "port": port, "connect_timeout_s": 2,
               "state_dir": str(tmp_path / "cursors")}
    spec = service.make_spec("pi", QUICK, seed=4)
    submitted = service.submit(store, spec, backend="slurm", options=options, tries=2, backoff_s=0.01)
    try:
        assert submitted.backend.name == "local"
        record = service.follow(store, submitted.backend, submitted.job_id, poll_s=0.05)
    finally:
        submitted.backend.close()
    assert record.state is JobState.COMPLETED and record.backend == "local" and record.requested_backend == "slurm"
    assert "backend slurm: not reachable (2 tries)" in record.fallback_reason
    assert f"127.0.0.1:{port}" in record.fallback_reason, record.fallback_reason
