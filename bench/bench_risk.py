"""Portfolio risk Monte Carlo, 300 proposals x 1,000,000 scenarios, against its baselines.

    python bench/bench_risk.py [--proposals 300] [--scenarios 1000000] [--workers 2] [--repeat 1]
                               [--loop-scenarios 200]

Runs every block of one spec in a process pool (spawn, one thread per worker, as the local backend
does) and in this process with one worker, and prints seconds and scenario-proposals per second.
The baselines, on the same spec:
- the floor: drawing the same random numbers alone (risk_block.chunks), in the pool and in-process;
- numpy without numexpr: the same blocks with the multiplier arithmetic in plain numpy (same draws,
  same order of operations, so the same bits);
- a plain Python loop (random.random, random.gauss, math.exp), timed on a slice of scenarios and
  scaled to the whole spec.
Each line gives the wall time and the CPU time the blocks took (in whichever process ran them): on
a machine shared with other work the CPU times are the steadier figures, so ratios come both ways.
Targets from the issue: at least 100 times the plain loop, within 2 times the floor.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from genesis_desktop.compute.kernels import risk_block
from genesis_desktop.compute.kernels.risk import RISK
from genesis_desktop.compute.kernels.risk_model import Model
from genesis_desktop.compute.worker import init_worker

SEED = 2026


def make_spec(proposals: int, scenarios: int) -> dict:
    """A programme like the demo's: Phase I over two years, Phase II over three, a yen partner, and
    budgets a little below the plan (spending averages 4% under it), so every figure is in play."""
    rng = np.random.default_rng(4)
    props = []
    for i in range(proposals):
        if i % 4:
            years = {2026: float(rng.integers(200_000, 400_000)), 2027: float(rng.integers(200_000, 400_000))}
        else:
            years = {y: float(rng.integers(1_500_000, 3_750_000)) for y in (2027, 2028, 2029)}
        props.append({"code": f"P-{i:06d}", "cost": years, "value": float(sum(years.values()) * rng.uniform(0.5, 2)),
                      "delivery_probability": 0.8 if i % 4 else 0.7})
    planned = {y: sum(p["cost"].get(y, 0.0) for p in props) for y in (2026, 2027, 2028, 2029)}
    return RISK.prepare({
        "currency": "USD", "proposals": props, "budgets": {y: 0.94 * v for y, v in planned.items()},
        "partners": [{"code": "JP", "currency": "JPY", "amounts": {y: 0.02 * v * 150 for y, v in planned.items()}}],
        "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": scenarios, "block_size": 65_536,
    })


def kernel_block(params: dict, seed: int, block: int):
    """(partial, CPU seconds) of one block."""
    started = time.process_time()
    partial = RISK.run_block(params, seed, block)
    return partial, time.process_time() - started


def numpy_block(params: dict, seed: int, block: int):
    started = time.process_time()
    partial = risk_block.run_block(Model.of(params), seed, block, arithmetic=numpy_multipliers)
    return partial, time.process_time() - started


def draw_block(params: dict, seed: int, block: int):
    """The floor for one block: its random numbers, drawn and thrown away."""
    started = time.process_time()
    for _ in risk_block.chunks(Model.of(params), seed, block):
        pass
    return None, time.process_time() - started


def numpy_multipliers(u, z, c, out):
    """risk_block.multipliers with plain numpy in place of numexpr (the same operations, in order)."""
    cancelled = u < c.cancel
    reduced = u < c.cancel_or_under
    np.multiply(z, c.sigma, out=out)
    np.exp(out, out=out)
    out *= (risk_block.ONE + c.under_step * reduced) + c.cancel_step * cancelled
    delivered = cancelled ^ (u < c.under_delivers) ^ reduced ^ (u < c.plan_delivers)
    return delivered.view(np.uint8).sum(axis=1, dtype=np.uint16)


def run(params: dict, fn, workers: int) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds of the blocks, partials) of every block: in this process when
    `workers` is 0, else in a pool started for it (its start counts, as it does for the local backend)."""
    blocks = range(RISK.block_count(params))
    started = time.perf_counter()
    if workers == 0:
        done = [fn(params, SEED, b) for b in blocks]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=init_worker) as pool:
            done = [f.result() for f in [pool.submit(fn, params, SEED, b) for b in blocks]]
    return time.perf_counter() - started, sum(cpu for _, cpu in done), [part for part, _ in done]


def python_loop(params: dict, scenarios: int) -> float:
    """CPU seconds per scenario-proposal of the model written as a plain Python loop."""
    m = Model.of(params)
    rnd = random.Random(SEED)
    cost = m.cost.T.tolist()
    settings = list(zip(m.sigma.tolist(), m.p_cancel.tolist(), (m.p_cancel + m.p_under).tolist(),
                        m.f_cancel.tolist(), m.f_under.tolist(), m.deliver.tolist()))
    delivered, within, totals = [0] * len(cost), [0] * len(m.years), []
    started = time.process_time()
    for _ in range(scenarios):
        spend = [0.0] * len(m.years)
        for i, (sigma, cancel, reduced, f_cancel, f_under, deliver) in enumerate(settings):
            u = rnd.random()
            factor = f_cancel if u < cancel else f_under if u < reduced else 1.0
            if u >= cancel and rnd.random() < deliver:
                delivered[i] += 1
            k = factor * math.exp(sigma * rnd.gauss(0.0, 1.0))
            for y, c in enumerate(cost[i]):
                spend[y] += c * k
        rate = [r * math.exp(s * rnd.gauss(0.0, 1.0)) for r, s in zip(m.fx_rate.tolist(), m.fx_sigma.tolist())]
        for y, s in enumerate(spend):
            money = m.budget[y] + m.partner_fixed[y] + sum(a / r for a, r in zip(m.partner_foreign[:, y], rate))
            within[y] += s <= money
        totals.append(sum(spend))
    return (time.process_time() - started) / (scenarios * len(cost))


def best(runs: int, measure):
    """The run with the least wall time of `runs` runs of measure()."""
    return min((measure() for _ in range(runs)), key=lambda r: r[0])


def same(a: list, b: list) -> bool:
    return all(np.array_equal(x[k], y[k]) for x, y in zip(a, b) for k in x)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proposals", type=int, default=300)
    ap.add_argument("--scenarios", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    ap.add_argument("--loop-scenarios", type=int, default=200, help="scenarios the plain Python loop runs")
    args = ap.parse_args(argv)
    params = make_spec(args.proposals, args.scenarios)
    elements = args.proposals * args.scenarios
    print(f"risk: {args.proposals} proposals x {args.scenarios:,} scenarios = {elements:,} scenario-proposals "
          f"in {RISK.block_count(params)} blocks of {params['block_size']:,}")

    def line(label: str, wall: float, cpu: float, note: str = "") -> None:
        print(f"{label:34s} {wall:7.2f} s  {elements / wall / 1e6:6.1f} M/s  CPU {cpu:7.2f} s  {note}")

    print(f"{'':34s} {'wall':>9s}  {'scen-prop':>8s}  {'CPU of the blocks':>15s}")
    pool = best(args.repeat, lambda: run(params, kernel_block, args.workers))
    started = time.perf_counter()
    result = RISK.combine(params, pool[2])
    combine_s = time.perf_counter() - started
    line(f"kernel, pool of {args.workers} (spawn)", pool[0] + combine_s, pool[1],
         f"(incl. combine {combine_s:.2f} s)")
    one = best(args.repeat, lambda: run(params, kernel_block, 0))
    line("kernel, in-process, 1 worker", one[0], one[1], f"(same bits as the pool: {same(one[2], pool[2])})")
    floor_pool = best(args.repeat, lambda: run(params, draw_block, args.workers))
    line(f"floor (draws only), pool of {args.workers}", *floor_pool[:2])
    floor_one = best(args.repeat, lambda: run(params, draw_block, 0))
    line("floor (draws only), 1 worker", *floor_one[:2])
    plain = best(args.repeat, lambda: run(params, numpy_block, 0))
    line("numpy without numexpr, 1 worker", *plain[:2], f"(same bits: {same(plain[2], one[2])})")
    per_element = python_loop(params, args.loop_scenarios)
    loop_s = per_element * elements
    line("plain Python loop (scaled)", loop_s, loop_s,
         f"({per_element * 1e9:,.0f} ns of CPU each, on {args.loop_scenarios} scenarios)")
    wall = pool[0] + combine_s
    print(f"plain loop / kernel: {loop_s / wall:,.0f} (the loop's CPU time against the pool's wall time), "
          f"{loop_s / one[1]:,.0f} (CPU time against CPU time, one worker) (target >= 100)")
    print(f"kernel / floor: pool {wall / floor_pool[0]:.2f} (wall), one worker {one[0] / floor_one[0]:.2f} (wall), "
          f"{one[1] / floor_one[1]:.2f} (CPU) (target <= 2)")
    print(f"numpy without numexpr / kernel: {plain[0] / one[0]:.2f} (wall), {plain[1] / one[1]:.2f} (CPU)")
    cost, var, cvar = result["expected_cost"], result["value_at_risk"], result["conditional_value_at_risk"]
    print(f"result: expected cost {cost['estimate']:,.0f} (exact {cost['exact']:,.0f}), P(within all budgets) "
          f"{result['p_within_all_budgets']['estimate']:.4f}, VaR {var['estimate']:,.0f}, "
          f"CVaR {cvar['estimate']:,.0f}, tail contributions exact: {result['tail_contributions_exact']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
