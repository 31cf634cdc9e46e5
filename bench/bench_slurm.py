"""A job through a real one-node Slurm cluster against the same job on the local backend, in one process.

For a small run (pi, 4 blocks) and a larger one (the risk kernel, a few seconds of compute): seconds
from submit to the first telemetry a worker caused (a log or progress event, not the state changes
the backend itself records) and from submit to the result, and the ratios Slurm / local. Then the
telemetry latency: from a Slurm worker writing a heartbeat line (its own clock) to the program seeing
the resource event in the job store, polling status every 20 ms.

Uses the cluster in GENESIS_TEST_SLURM_DIR if set, else starts one with scripts/slurm-cluster in a
temporary folder and stops it at the end. Never asserts on time.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from genesis_desktop.compute import registry
from genesis_desktop.compute.api import JobState, JobStore, Kind, Resources
from genesis_desktop.compute.service import make_spec

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "slurm-cluster"
POLL_S = 0.02


def risk_params(scenarios: int, block_size: int) -> dict:
    proposals = [{"code": f"P-{i:03d}", "cost": {"FY2026": 100_000.0 * (1 + i % 4), "FY2027": 250_000.0 + 10_000 * i},
                  "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.04 * i} for i in range(6)]
    return {"currency": "USD", "proposals": proposals, "budgets": {2026: 800_000.0, 2027: 2_000_000.0},
            "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 30_000_000.0}}],
            "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": scenarios, "block_size": block_size}


def timed_run(backend, store: JobStore, spec) -> tuple[float, float, dict]:
    """(submit -> first worker telemetry, submit -> result, result)."""
    started = time.perf_counter()
    job_id = store.create_job(spec, backend=backend.name)
    native = backend.submit(spec, job_id)
    first = None
    while True:
        state = backend.status([native])[native]
        if first is None and any(e.kind is not Kind.STATE for e in store.telemetry(job_id)):
            first = time.perf_counter() - started
        if state.is_final:
            break
        time.sleep(POLL_S)
    result = backend.result(native)
    total = time.perf_counter() - started
    if state is not JobState.COMPLETED:
        raise SystemExit(f"job {job_id} on {backend.name} ended {state.value}")
    return first if first is not None else total, total, result


def telemetry_latency(backend, store: JobStore) -> list[float]:
    """Seconds from each heartbeat line a worker wrote to its resource event showing in the store."""
    spec = make_spec("pi", {"blocks": 1, "samples_per_block": 1_000, "sleep_s": 6.0}, seed=5,
                     resources=Resources(workers=1))
    job_id = store.create_job(spec, backend=backend.name)
    native = backend.submit(spec, job_id)
    seen: list[float] = []
    while not backend.status([native])[native].is_final:
        now = time.time()
        count = sum(1 for e in store.telemetry(job_id) if e.kind is Kind.RESOURCE)
        seen += [now] * (count - len(seen))
        time.sleep(POLL_S)
    from genesis_slurm import jobdir

    path = Path(jobdir.find(backend.shell, backend.work_dir, native).file("telemetry", "run-1.task-0.jsonl"))
    written = [json.loads(line)["t"] for line in path.read_text().splitlines() if '"heartbeat"' in line]
    return [s - w for s, w in zip(seen, written)]


def main() -> None:
    given = os.environ.get("GENESIS_TEST_SLURM_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-slurm-") as tmp:
        cluster = Path(given) if given else Path(tmp) / "cluster"
        if not given:
            subprocess.run([str(SCRIPT), "start", str(cluster)], check=True, capture_output=True)
        store = JobStore.standalone(f"sqlite:///{tmp}/jobs.sqlite")
        options = {"slurm_conf": str(cluster / "slurm.conf"), "work_dir": f"{tmp}/work", "poll_min_s": 0.05,
                   "array_tasks": 2}
        slurm = registry.load(registry.find("slurm"), store, options)
        local = registry.load(registry.find("local"), store, {})
        try:
            print(f"Slurm: {slurm.probe(5).reason}; this machine: {os.cpu_count()} cores")
            warm = make_spec("pi", {"blocks": 1, "samples_per_block": 10}, seed=1)
            timed_run(slurm, store, warm)  # the first job after a cluster start waits for the scheduler
            cases = [("pi, 4 blocks", make_spec("pi", {"blocks": 4, "samples_per_block": 100_000}, seed=1,
                                                resources=Resources(workers=1))),
                     ("risk, 16 blocks", make_spec("risk", risk_params(4_194_304, 262_144), seed=1,
                                                   resources=Resources(workers=1)))]
            print(f"{'run':<18}{'backend':<8}{'first telemetry':>17}{'result':>10}")
            for name, spec in cases:
                figures = {}
                for backend in (local, slurm):
                    first, total, result = timed_run(backend, store, spec)
                    figures[backend.name] = (first, total, result)
                    print(f"{name:<18}{backend.name:<8}{first:>15.3f} s{total:>8.3f} s")
                same = figures["local"][2] == figures["slurm"][2]
                print(f"{name:<18}{'ratio':<8}{figures['slurm'][0] / figures['local'][0]:>17.2f}"
                      f"{figures['slurm'][1] / figures['local'][1]:>10.2f}   results identical: {same}")
            latencies = telemetry_latency(slurm, store)
            print(f"telemetry latency (worker line -> job store), {len(latencies)} heartbeats: "
                  f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
        finally:
            slurm.close()
            local.close()
            store.close()
            if not given:
                subprocess.run([str(SCRIPT), "stop", str(cluster)], check=True, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
