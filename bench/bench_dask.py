"""What a job pays to run through a real Dask cluster rather than on this computer.

    python bench/bench_dask.py [--repeat 3]

Runs the same jobs on the local backend and on the dask backend, in this process, and prints for each:
submit -> first telemetry (the first event after QUEUED), submit -> result (COMPLETED in the store),
and their ratios; then the telemetry latency, from a task's `log_event` to its line in the job store.
Jobs: a small one (pi, 4 blocks) and a larger one (the risk kernel, a few seconds). Uses the cluster
named by GENESIS_TEST_DASK_DIR, or starts one with scripts/dask-cluster (a scheduler, 2 workers) and
stops it at the end. Each backend runs each job once untimed first (worker imports, process start).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import JobState, JobStore, Kind
from genesis_desktop.compute.jobstore import utcnow
from genesis_desktop.portfolio.store import open_store

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "dask-cluster"
POLL_S = 0.05


def risk_params(scenarios: int) -> dict:
    proposals = [{"code": f"P-{i:03d}",
                  "cost": {"FY2026": 100_000.0 * (1 + i % 4), "FY2027": 250_000.0 + 10_000 * i, 2028: 50_000.0 * (i % 3)},
                  "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.004 * i} for i in range(100)]
    return {"currency": "USD", "proposals": proposals, "budgets": {2026: 8e6, 2027: 3e7, 2028: 3e6},
            "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 3e8}}],
            "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": scenarios, "block_size": 16_384}


def timed(backend, store: JobStore, spec) -> tuple[float, float]:
    """(seconds to the first event after QUEUED, seconds to COMPLETED), from the times the store gave
    the events, so that the polling here (every POLL_S) does not round the figures."""
    job_id = store.create_job(spec, backend=backend.name)
    submitted = utcnow()
    native = backend.submit(spec, job_id)
    while not (state := backend.status([native])[native]).is_final:
        time.sleep(POLL_S)
    if state is not JobState.COMPLETED:
        raise SystemExit(f"job {job_id} on {backend.name} ended {state.value}: {store.get(job_id).error}")
    events = store.telemetry(job_id)
    queued = next(i for i, e in enumerate(events) if e.kind is Kind.STATE and e.payload["state"] == "queued")
    return ((events[queued + 1].at - submitted).total_seconds(), (events[-1].at - submitted).total_seconds())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", type=int, default=400_000)
    args = parser.parse_args()
    named = os.environ.get("GENESIS_TEST_DASK_DIR")
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="bench-dask-")) / "cluster"
    env = {**os.environ, "PYTHON": sys.executable}
    if not named:
        subprocess.run([sys.executable, str(SCRIPT), "start", str(folder)], check=True, env=env, capture_output=True)
    try:
        return run(args, folder)
    finally:
        import genesis_dask

        genesis_dask.shutdown()
        if not named:
            subprocess.run([sys.executable, str(SCRIPT), "stop", str(folder)], env=env, capture_output=True)


def run(args, folder: Path) -> int:
    from genesis_dask.monitor import TELEMETRY_LATENCIES_S

    address = (folder / "env").read_text().strip().partition("=")[2]
    with tempfile.TemporaryDirectory() as tmp:
        # The portfolio's own database (WAL, as the desktop opens it), migrated like the desktop's.
        store = JobStore(open_store(f"sqlite:///{tmp}/bench.sqlite").engine, owns_engine=True)
        backends = {"local": registry.load(registry.find("local"), store, {}),
                    "dask": registry.load(registry.find("dask"), store, {"scheduler": address})}
        jobs = {"pi, 4 blocks": service.make_spec("pi", {"blocks": 4, "samples_per_block": 100_000}, seed=1),
                f"risk, {args.scenarios:,} scenarios x 100 proposals":
                    service.make_spec("risk", risk_params(args.scenarios), seed=1)}
        print(f"dask cluster {address}: {backends['dask'].probe(5).reason}")
        for job, spec in jobs.items():
            print(f"\n{job} ({spec.blocks} blocks), median of {args.repeat}:")
            figures = {}
            for name, backend in backends.items():
                timed(backend, store, spec)  # warm: worker imports, first process start
                runs = [timed(backend, store, spec) for _ in range(args.repeat)]
                figures[name] = [statistics.median(r[i] for r in runs) for i in (0, 1)]
                print(f"  {name:6} submit->first telemetry {figures[name][0] * 1e3:8.1f} ms   "
                      f"submit->result {figures[name][1] * 1e3:8.1f} ms")
            d, lo = figures["dask"], figures["local"]
            print(f"  dask/local: first telemetry {d[0] / lo[0]:.2f}x, result {d[1] / lo[1]:.2f}x "
                  f"({(d[1] - lo[1]) * 1e3:+.1f} ms)")
        lat = sorted(TELEMETRY_LATENCIES_S)
        print(f"\ntelemetry latency, task log_event -> line in the store ({len(lat)} events): median "
              f"{statistics.median(lat) * 1e3:.1f} ms, p95 {lat[int(0.95 * (len(lat) - 1))] * 1e3:.1f} ms, "
              f"max {lat[-1] * 1e3:.1f} ms")
        for backend in backends.values():
            backend.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
