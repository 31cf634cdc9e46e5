"""The risk kernel on a GPU (CuPy) against numpy, through the cluster worker's own entry point.

    python bench/bench_gpu.py [--proposals 300] [--scenarios 4194304] [--run MODULE:TASKS[:PRECISION]]...
                              [--warmup] [--local] [--json FILE] [--against FILE] [--work DIR]

Each --run (default: numpy:1 and cupy:1) lays out a job folder as the Slurm backend does (spec.json,
run-1.blocks.json; see cluster_worker.py), starts TASKS worker processes at once,
`python -m genesis_desktop.compute.worker JOB_DIR --run 1 --task I --tasks TASKS` with
GENESIS_ARRAY_MODULE=MODULE and one thread per numerical library, and times them from the first
start to the last exit: interpreter start, imports, CuPy's set-up, every block and its file. The
blocks are then combined with the kernel's own `combine`, and every estimate is compared with the
first run of the same precision (default float32). --warmup first runs a small job with CuPy,
untimed, so that its compiled kernels are in CuPy's cache as on any node that ran a job before.

--floor times what a GPU worker still does on its host's one core, whatever the GPU: drawing every
block's numbers (PCG64, as block_rng draws them) in GPU-width passes, in this process. One CuPy
worker process cannot finish the job faster than that.

--local times the same job on this machine's local backend (one worker process per core, blocks
saved in a job store) through the job service, as the desktop runs it. --json writes each run's
figures and headline estimates; --against FILE compares this machine's runs with those in a file
written elsewhere (the GPU node's numpy against this machine's, say).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_risk, beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # genesis_desktop, run from anywhere

from bench_risk import make_spec  # noqa: E402

from genesis_desktop.compute.cluster_worker import block_path  # noqa: E402
from genesis_desktop.compute.jobstore import decode_partial  # noqa: E402
from genesis_desktop.compute.kernels.risk import RISK  # noqa: E402
from genesis_desktop.compute.service import make_spec as job_spec  # noqa: E402

SEED = 2026
HEADLINE = ("expected_value", "expected_cost", "p_within_all_budgets", "value_at_risk", "conditional_value_at_risk")
# One thread per numerical library in each worker, as the local backend's workers have.
ONE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"), "1")


def params_for(proposals: int, scenarios: int, precision: str) -> dict:
    return RISK.prepare({**make_spec(proposals, scenarios), "precision": precision})


def run_workers(params: dict, module: str, tasks: int, work: Path) -> dict:
    """Run the job's blocks with `tasks` worker processes; its figures and (in memory) its partials."""
    spec = job_spec("risk", params, seed=SEED)
    job_dir = Path(tempfile.mkdtemp(prefix=f"{module}-{tasks}-", dir=work))
    (job_dir / "spec.json").write_text(json.dumps(spec.to_json()))
    (job_dir / "run-1.blocks.json").write_text(json.dumps(list(range(spec.blocks))))
    env = {**os.environ, **ONE_THREAD, "GENESIS_ARRAY_MODULE": module, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-m", "genesis_desktop.compute.worker", str(job_dir), "--run", "1",
                                 "--task", str(i), "--tasks", str(tasks)], env=env) for i in range(tasks)]
    codes = [w.wait() for w in workers]
    wall = time.perf_counter() - started
    told = [json.loads(line) for f in sorted((job_dir / "telemetry").glob("*.jsonl"))
            for line in f.read_text().splitlines()]
    failed = [t for t in told if t["kind"] == "failed"]
    if any(codes) or failed:
        raise SystemExit(f"{module}:{tasks}: workers exited {codes}: {failed[0]['error'] if failed else ''}")
    partials = [decode_partial(block_path(job_dir, b).read_bytes()) for b in range(spec.blocks)]
    shutil.rmtree(job_dir)
    arrays = sorted({t["arrays"] for t in told if t["kind"] == "start"})
    block_s = [t["seconds"] for t in told if t["kind"] == "block"]
    return {"label": f"{module}:{tasks}", "wall_s": wall, "block_s": sum(block_s), "blocks": len(block_s),
            "arrays": arrays, "partials": partials}


def run_local(params: dict, work: Path) -> dict:
    """The job on this machine's local backend, submitted and followed through the job service."""
    from genesis_desktop.compute import service
    from genesis_desktop.compute.jobstore import JobStore
    from genesis_desktop.compute.runner import default_workers

    store = JobStore.standalone(f"sqlite:///{work / 'local.sqlite'}")
    try:
        started = time.perf_counter()
        submitted = service.submit(store, job_spec("risk", params, seed=SEED))
        record = service.follow(store, submitted.backend, submitted.job_id)
        wall = time.perf_counter() - started
        submitted.backend.close()
        if record.result is None:
            raise SystemExit(f"local backend: job ended {record.state.value}: {record.error}")
        blocks = store.blocks(submitted.job_id, RISK.version)
        partials = [blocks[b].partial for b in range(len(blocks))]
    finally:
        store.close()
    return {"label": f"local backend ({default_workers()} workers)", "wall_s": wall,
            "block_s": sum(b.seconds for b in blocks.values()),
            "blocks": len(partials), "arrays": ["numpy (this machine)"], "partials": partials}


def host_floor(params: dict) -> dict:
    """Seconds to draw every block's numbers as a CuPy worker draws them (passes as wide as a GPU's)."""
    from genesis_desktop.compute.kernels import risk_block, risk_block_xp
    from genesis_desktop.compute.kernels.risk_model import Model

    m = Model.of(params)
    per_pass = risk_block_xp.GPU_ELEMENTS // (len(m.codes) * risk_block.CHUNK) or 1
    started = time.perf_counter()
    for block in range(m.blocks):
        for _ in risk_block_xp.passes(m, SEED, block, per_pass):
            pass
    return {"label": "host floor (draws only, 1 core)", "wall_s": time.perf_counter() - started}


def summarise(run: dict, params: dict) -> dict:
    """The run's result and the scenario-level arrays the comparisons need (partials dropped)."""
    partials = run.pop("partials")
    run["result"] = RISK.combine(params, partials)
    run["totals"] = np.concatenate([p["total_cost"] for p in partials])
    run["delivered"] = sum(p["delivered"] for p in partials)
    run["within_year"] = sum(p["within_year"] for p in partials)
    run["within_all"] = int(sum(int(p["within_all"][0]) for p in partials))
    return run


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def differences(ref: dict, other: dict) -> dict[str, str]:
    """Each estimate's difference from the reference run: relative for money, in scenarios for counts."""
    a, b = ref["result"], other["result"]

    def worst(pairs) -> str:
        return f"{max(relative(x, y) for x, y in pairs):.1e}"

    out = {name: worst([(a[name]["estimate"], b[name]["estimate"])]) for name in HEADLINE}
    out["p_within_all_budgets"] += f" ({abs(ref['within_all'] - other['within_all'])} scen.)"
    for name in ("expected_cost_by_year", "expected_partner_money_by_year"):
        out[name + " (max)"] = worst((a[name][y]["estimate"], b[name][y]["estimate"]) for y in a[name])
    out["p_within_budget_by_year (max)"] = f"{int(np.max(np.abs(ref['within_year'] - other['within_year'])))} scen."
    out["tail_contributions (max)"] = worst((v, b["tail_contributions"][k]) for k, v in a["tail_contributions"].items())
    moved = int(np.abs(ref["delivered"] - other["delivered"]).sum())
    out["delivered counts"] = f"{moved} moved in all" if moved else "same"
    apart = ref["totals"] != other["totals"]
    spread = np.abs(ref["totals"] - other["totals"]) / np.abs(ref["totals"])
    out["scenario totals"] = f"{int(apart.sum()):,} differ, max {spread.max():.1e}" if apart.any() else "same bits"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proposals", type=int, default=300)
    ap.add_argument("--scenarios", type=int, default=4 * 2**20)
    ap.add_argument("--run", action="append", help="MODULE:TASKS[:PRECISION], e.g. cupy:8:float64 (repeat)")
    ap.add_argument("--warmup", action="store_true", help="run a small CuPy job first, untimed")
    ap.add_argument("--floor", action="store_true", help="time the draws a GPU worker makes on its host")
    ap.add_argument("--local", action="store_true", help="also time the job on this machine's local backend")
    ap.add_argument("--json", type=Path, help="write each run's figures and headline estimates here")
    ap.add_argument("--against", type=Path, help="compare with the runs in a JSON file from another machine")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args(argv)
    asked = args.run or ([] if args.local or args.floor else ["numpy:1", "cupy:1"])
    runs = [(r.split(":") + ["float32"])[:3] for r in asked] + ([["local", "", "float32"]] if args.local else [])
    spec = {p: params_for(args.proposals, args.scenarios, p) for p in ("float32", "float64")}
    work = Path(tempfile.mkdtemp(prefix="bench-gpu-", dir=args.work))
    elements = args.proposals * args.scenarios
    print(f"risk: {args.proposals} proposals x {args.scenarios:,} scenarios = {elements:,} scenario-proposals, "
          f"{RISK.block_count(spec['float32'])} blocks; {os.cpu_count()} CPUs")
    done: list[tuple[str, dict]] = []
    try:
        if args.floor:
            floor = host_floor(spec["float32"])
            print(f"{floor['label']:34s} wall {floor['wall_s']:7.2f} s  {elements / floor['wall_s'] / 1e6:7.1f} "
                  "M scen-prop/s", flush=True)
        if args.warmup:
            for precision in ("float32", "float64"):
                run_workers(params_for(args.proposals, 2 * 65_536, precision), "cupy", 1, work)
        for module, tasks, precision in runs:
            try:
                measured = run_local(spec[precision], work) if module == "local" else \
                    run_workers(spec[precision], module, int(tasks), work)
            except SystemExit as failed:  # one failed run still leaves the others' figures
                print(f"{module}:{tasks} {precision}: FAILED: {failed}", flush=True)
                continue
            run = {**summarise(measured, spec[precision]), "precision": precision}
            done.append((precision, run))
            print(f"{run['label'] + ' ' + precision:34s} wall {run['wall_s']:7.2f} s  "
                  f"{elements / run['wall_s'] / 1e6:7.1f} M scen-prop/s  blocks {run['block_s']:7.2f} s of compute "
                  f"in {run['blocks']}  [{'; '.join(run['arrays'])}]", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(done, args, elements)
    return 0


def report(done: list[tuple[str, dict]], args, elements: int) -> None:
    first: dict[str, dict] = {}
    for precision, run in done:
        first.setdefault(precision, run)
    for precision, run in done:
        ref = first[precision]
        if run is not ref:
            print(f"speed-up of {run['label']} over {ref['label']} ({precision}): "
                  f"{ref['wall_s'] / run['wall_s']:.2f} (wall)")
    for precision, ref in first.items():
        others = [run for p, run in done if p == precision and run is not ref]
        if others:
            table(f"agreement with {ref['label']} at {precision}", [differences(ref, o) for o in others], others)
    if "float32" in first and "float64" in first:
        table("float64 against float32 (numpy reference runs)", [differences(first["float32"], first["float64"])],
              [first["float64"]])
    if args.against:
        elsewhere = json.loads(args.against.read_text())
        for run in [r for _, r in done]:
            match = next((e for e in elsewhere if e["precision"] == run["precision"]
                          and e["scenario_proposals"] == elements), None)
            if match:
                worst = max(relative(match["estimates"][n], run["result"][n]["estimate"]) for n in HEADLINE)
                print(f"{run['label']} {run['precision']} against {match['label']} in {args.against.name}: "
                      f"largest relative difference of a headline estimate {worst:.1e}")
    for _, run in done[:1]:
        r = run["result"]
        print(f"result ({run['label']}): expected cost {r['expected_cost']['estimate']:,.0f} (exact "
              f"{r['expected_cost']['exact']:,.0f}), P(within all budgets) "
              f"{r['p_within_all_budgets']['estimate']:.4f}, VaR {r['value_at_risk']['estimate']:,.0f}, "
              f"CVaR {r['conditional_value_at_risk']['estimate']:,.0f}")
    if args.json:
        args.json.write_text(json.dumps([
            {"label": run["label"], "precision": p, "wall_s": run["wall_s"], "block_s": run["block_s"],
             "arrays": run["arrays"], "scenario_proposals": elements,
             "estimates": {n: run["result"][n]["estimate"] for n in HEADLINE}} for p, run in done], indent=1))


def table(title: str, rows: list[dict[str, str]], runs: list[dict]) -> None:
    print(f"\n{title}: relative difference of each estimate (counts: scenarios that moved)")
    print(f"{'':38s}" + "".join(f"{r['label']:>28s}" for r in runs))
    for name in rows[0]:
        print(f"{name:38s}" + "".join(f"{row[name]:>28s}" for row in rows))
    print()


if __name__ == "__main__":
    sys.exit(main())
