"""Results through the real Slurm are bit-identical to the local backend's and to the in-process
reference, whatever the number of array tasks."""
from __future__ import annotations

import json

import pytest

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import JobState, Resources
from genesis_desktop.compute.testing import reference_result

pytestmark = pytest.mark.xdist_group("slurm")


def risk_params() -> dict:
    """A small portfolio (as tests/compute/test_risk_kernel.py builds them): 4 blocks of 2048 scenarios."""
    proposals = [{"code": f"P-{i:03d}", "cost": {"FY2026": 100_000.0 * (1 + i % 4), "FY2027": 250_000.0 + 10_000 * i},
                  "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.04 * i} for i in range(6)]
    proposals[0]["overrun_sigma"] = 0.6
    return {"currency": "USD", "proposals": proposals, "budgets": {2026: 800_000.0, 2027: 2_000_000.0},
            "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 30_000_000.0}}],
            "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": 8192, "block_size": 2048}


def run_on(backend, store, spec):
    job_id = store.create_job(spec, backend=backend.name)
    native = backend.submit(spec, job_id)
    return job_id, native


def test_risk_on_slurm_equals_local_and_reference(slurm_backend, store, wait_final):
    spec = service.make_spec("risk", risk_params(), seed=2026, resources=Resources(workers=1))
    assert spec.blocks == 4
    slurm = slurm_backend(store, array_tasks=2)
    _, native = run_on(slurm, store, spec)
    local = registry.load(registry.find("local"), store, {})
    try:
        local_id, local_native = run_on(local, store, spec)
        assert wait_final(local, local_native) is JobState.COMPLETED
        on_local = local.result(local_native)
    finally:
        local.close()
    assert wait_final(slurm, native) is JobState.COMPLETED
    on_slurm = slurm.result(native)
    assert on_slurm == on_local
    assert on_slurm == reference_result(spec)
    assert json.dumps(on_slurm, sort_keys=True) == json.dumps(on_local, sort_keys=True)


def test_array_tasks_do_not_change_the_result(slurm_backend, store, wait_final, slurm_cluster):
    spec = service.make_spec("pi", {"blocks": 6, "samples_per_block": 5_000}, seed=3, resources=Resources(workers=1))
    one, three = slurm_backend(store, array_tasks=1), slurm_backend(store, array_tasks=3)
    jobs = [run_on(b, store, spec) for b in (one, three)]
    assert all(wait_final(one, native) is JobState.COMPLETED for _, native in jobs)
    assert one.result(jobs[0][1]) == three.result(jobs[1][1]) == reference_result(spec)
    # The second job really was an array of three tasks, each telling its own start.
    starts = [e.payload["line"] for e in store.telemetry(jobs[1][0]) if e.kind.value == "log"
              and "started on" in e.payload["line"]]
    assert sorted(s.split(" started")[0] for s in starts) == ["run 1 task 0", "run 1 task 1", "run 1 task 2"]
    listed = slurm_cluster.slurm("squeue", "-h", "-t", "all", "-r", "-j", jobs[1][1], "-o", "%i")
    assert sorted(listed.split()) == [f"{jobs[1][1]}_{i}" for i in range(3)]
