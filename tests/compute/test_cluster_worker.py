"""The worker a cluster node runs (`python -m genesis_desktop.compute.worker`), as a real subprocess over
a real job folder, and what a remote backend does with its output (remote.BlockIngest)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import decode_partial, encode_partial
from genesis_desktop.compute.remote import BlockIngest, Defect, same_partial
from genesis_desktop.compute.service import make_spec
from genesis_desktop.compute.testing import reference_result, wait_for


def prepare(job_dir: Path, spec, run: int, blocks: list[int]) -> None:
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / "spec.json").write_text(json.dumps(spec.to_json()))
    (job_dir / f"run-{run}.blocks.json").write_text(json.dumps(blocks))


def worker(job_dir: Path, run: int, *extra: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "genesis_desktop.compute.worker", str(job_dir), "--run",
                             str(run), *extra], env={"GENESIS_ARRAY_MODULE": "numpy", "PATH": "/usr/bin:/bin"},
                            **kwargs)


def lines(job_dir: Path) -> list[dict]:
    return [json.loads(line) for f in sorted((job_dir / "telemetry").glob("*.jsonl"))
            for line in f.read_text().splitlines()]


def ingest_folder(store, job_id, spec, job_dir: Path, run: int) -> BlockIngest:
    ingest = BlockIngest(store, job_id, spec)
    seconds = {t["block"]: t["seconds"] for t in lines(job_dir) if t["kind"] == "block"}
    ingest.add([(int(f.stem), decode_partial(f.read_bytes()), seconds.get(int(f.stem), 0.0))
                for f in sorted((job_dir / "blocks").glob("*.npz"))], run)
    return ingest


def test_two_array_tasks_compute_every_block_once_and_the_result_is_the_kernels(tmp_path, compute_store):
    spec = make_spec("pi", {"blocks": 5, "samples_per_block": 5_000}, seed=7)
    prepare(tmp_path, spec, 1, list(range(5)))
    tasks = [worker(tmp_path, 1, "--task", str(i), "--tasks", "2") for i in (0, 1)]
    assert [t.wait(60) for t in tasks] == [0, 0]
    told = lines(tmp_path)
    assert sorted(t["block"] for t in told if t["kind"] == "block") == [0, 1, 2, 3, 4]
    assert [t["kind"] for t in told].count("start") == 2 and [t["kind"] for t in told].count("done") == 2
    assert {t["arrays"] for t in told if t["kind"] == "start"} == {"numpy (asked for)"}
    job_id = compute_store.create_job(spec, backend="test")
    compute_store.transition(job_id, JobState.QUEUED)
    ingest = ingest_folder(compute_store, job_id, spec, tmp_path, 1)
    assert ingest.missing == [] and ingest.finish()
    record = compute_store.get(job_id)
    assert record.state is JobState.COMPLETED and record.result == reference_result(spec)


def test_a_block_already_written_is_not_computed_again(tmp_path):
    spec = make_spec("pi", {"blocks": 3, "samples_per_block": 1_000}, seed=7)
    prepare(tmp_path, spec, 2, [0, 1, 2])
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "000001.npz").write_bytes(encode_partial({"inside": np.array([1]), "samples": np.array([1])}))
    assert worker(tmp_path, 2).wait(60) == 0
    assert sorted(t["block"] for t in lines(tmp_path) if t["kind"] == "block") == [0, 2]


def test_the_cancel_file_stops_a_running_block(tmp_path):
    spec = make_spec("pi", {"blocks": 2, "samples_per_block": 1_000, "sleep_s": 60.0}, seed=7)
    prepare(tmp_path, spec, 1, [0, 1])
    proc = worker(tmp_path, 1)
    wait_for(lambda: (tmp_path / "telemetry").exists() and any(t["kind"] == "start" for t in lines(tmp_path)),
             30, what="the worker starting its first block")
    (tmp_path / "cancel").touch()
    assert proc.wait(10) == 3, "stopped inside the 60-second block, not after it"
    assert lines(tmp_path)[-1]["kind"] == "stopped"
    assert not (tmp_path / "blocks").exists() or not any((tmp_path / "blocks").iterdir())


def test_a_failing_block_is_told_with_its_error(tmp_path):
    spec = make_spec("pi", {"blocks": 2, "samples_per_block": 1_000, "fail_block": 1}, seed=7)
    prepare(tmp_path, spec, 1, [0, 1])
    assert worker(tmp_path, 1).wait(60) == 1
    failed = [t for t in lines(tmp_path) if t["kind"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"] == "RuntimeError: block 1 fails on purpose (fail_block = 1)"
    assert "Traceback" in failed[0]["trace"]


def test_a_block_seen_twice_with_other_bytes_is_a_defect(compute_store):
    spec = make_spec("pi", {"blocks": 2, "samples_per_block": 1_000}, seed=7)
    job_id = compute_store.create_job(spec, backend="test")
    compute_store.transition(job_id, JobState.QUEUED)
    compute_store.transition(job_id, JobState.RUNNING)
    first = {"inside": np.array([700], dtype=np.int64), "samples": np.array([1000], dtype=np.int64)}
    ingest = BlockIngest(compute_store, job_id, spec)
    assert ingest.add([(0, first, 0.1)], run=1) == 1
    again = BlockIngest(compute_store, job_id, spec)  # as after a restart: what was saved is known
    assert again.add([(0, {k: v.copy() for k, v in first.items()}, 0.1)], run=2) == 0, "the same bytes: fine"
    other = {**first, "inside": np.array([701], dtype=np.int64)}
    with pytest.raises(Defect, match="block 0 was computed twice with different results"):
        again.add([(0, other, 0.1)], run=2)
    assert not same_partial(first, {**first, "inside": first["inside"].astype(np.int32)}), "dtypes count too"
    again.fail_with_defect(Defect("block 0 was computed twice with different results (run 2)"))
    record = compute_store.get(job_id)
    assert record.state is JobState.FAILED and record.error.startswith("defect: block 0")
