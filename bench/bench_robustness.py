"""Robustness of a selection at programme scale: the optimal portfolio re-solved over posterior draws of
the calibrated review scores, against greedy rank-order funding of the same draws, in this process.

    python bench/bench_robustness.py [--proposals 1000] [--reviews 3] [--draws 200] [--mip-rel-gap 1e-4]
                                     [--time-limit 60] [--threads 1] [--seed 2026]

The selection problem is bench_selection.py's (five fiscal years, Phase II requires, coverage per
challenge, lab and institution caps, forced choices); its value is merit from a calibration model
fitted to `--reviews` simulated reviews per proposal (NIH 1 to 9, reviewers with planted offsets,
about 10 reviews each). The robustness kernel runs block by block here, as a local-backend worker
would (BLAS on --threads threads). Printed:
- the calibration fit (the calibration kernel's own, as the robustness kernel reuses it): seconds;
- the robustness run: seconds per solve (mean, median, max), the draws' own seconds, total, and the
  core / borderline / exterior counts;
- the baseline: the same draws ranked and funded greedily by review.ranking.fund_in_rank_order
  against the whole budget (all years, less committed money): seconds, and the ratio of the two;
- what the baseline gives up: its mean value against the optimum's, how many of its portfolios
  meet every rule (selection.check), and how many of its core proposals are the optimum's.
Nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import time
import types


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proposals", type=int, default=1000)
    ap.add_argument("--reviews", type=int, default=3)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--mip-rel-gap", type=float, default=1e-4,
                    help="relative gap per solve (default 1e-4: far below the draws' own spread)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve at most (default 60)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1, as a local-backend worker)")
    ap.add_argument("--seed", type=int, default=2026)
    return ap.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads
        os.environ[_name] = str(ARGS.threads)

import numpy as np  # noqa: E402

import bench_selection  # noqa: E402  (this folder: the programme-shaped instance)
from genesis_desktop.compute.kernel import metrics_to  # noqa: E402
from genesis_desktop.decisions.kernel_selection import ROBUSTNESS, _robust  # noqa: E402
from genesis_desktop.decisions.selection import check, prepare  # noqa: E402
from genesis_desktop.decisions.selection_json import problem_to_json  # noqa: E402
from genesis_desktop.decisions.selection_merit import scale_merit  # noqa: E402
from genesis_desktop.review.kernel_calibration import fitted_model as calibration_model  # noqa: E402
from genesis_desktop.review.ranking import fund_in_rank_order  # noqa: E402

SCALE = {"low": 1, "high": 9, "best": "low"}


def reviews_for(codes: list[str], per_proposal: int, rng: np.random.Generator) -> list[list]:
    """Totals on NIH's 1 (best) to 9: 5 - quality - generosity + noise, clipped to the scale."""
    n = len(codes)
    reviewers = max(per_proposal + 1, n * per_proposal // 10)
    quality, generosity = rng.normal(0, 1.0, n), rng.normal(0, 0.7, reviewers)
    rows = []
    for i, code in enumerate(codes):
        for r in rng.choice(reviewers, per_proposal, replace=False):
            total = 5 - quality[i] - generosity[r] + rng.normal(0, 0.6)
            rows.append([code, f"r{r:05d}@lab.gov", float(np.clip(round(total, 2), 1, 9))])
    return rows


def main() -> None:
    args = ARGS
    rng = np.random.default_rng(args.seed)
    shape = types.SimpleNamespace(proposals=args.proposals, challenges=26, labs=17, institutions=43,
                                  budget_share=0.22)
    problem = bench_selection.instance(shape, rng)
    p = prepare(problem)
    calibration = {"call": "BENCH", "currency": "USD", "budget": 0, "costs": {c: 0 for c in problem.codes},
                   "fit_only": [], "scale": SCALE, "reviews": reviews_for(problem.codes, args.reviews, rng)}
    print(f"instance: {p.n:,} proposals x {args.reviews} reviews ({len(calibration['reviews']):,}), "
          f"{len(problem.years)} fiscal years, {len(problem.coverage)} coverage, {len(problem.caps)} caps, "
          f"{len(problem.requires)} requires; {args.draws} draws, mip_rel_gap {args.mip_rel_gap:g}, "
          f"time limit {args.time_limit:g} s per solve, BLAS threads {args.threads}")

    started = time.perf_counter()
    model = calibration_model(calibration)
    fit_seconds = time.perf_counter() - started
    merit = scale_merit(model.sign * (model.cal.mu + model.cal.quality_mean[:p.n]), SCALE)
    problem.value = merit
    params = ROBUSTNESS.prepare({"problem": problem_to_json(problem), "merit": merit.tolist(),
                                 "money": p.total.tolist(), "calibration": calibration, "draws": args.draws,
                                 "draws_per_block": 50, "objective": "merit", "time_limit": args.time_limit,
                                 "mip_rel_gap": args.mip_rel_gap})
    print(f"calibration fit (kernel_calibration's)  {fit_seconds:8.2f} s  converged {model.cal.converged}")

    solves: list[float] = []
    started = time.perf_counter()
    with metrics_to(lambda name, value, step: solves.append(value) if name == "solve seconds" else None):
        partials = [ROBUSTNESS.run_block(params, args.seed, b) for b in range(ROBUSTNESS.block_count(params))]
    result = ROBUSTNESS.combine(params, partials)
    total = time.perf_counter() - started
    s = np.array(solves)
    print(f"robustness: {len(s)} solves              {total:8.2f} s  per solve mean {s.mean():.3f} s, median "
          f"{np.median(s):.3f} s, max {s.max():.3f} s; draws and the rest {total - s.sum():.2f} s; "
          f"{result['time_limited']} stopped at the time limit")
    print(f"  core {len(result['core']):,}, borderline {len(result['borderline']):,}, exterior "
          f"{len(result['exterior']):,}; optimal value {result['objective']['mean']:.3f} "
          f"[{result['objective']['low']:.3f}, {result['objective']['high']:.3f}]")

    robust = _robust(params)
    budget = float((p.budget - p.committed).sum())
    started = time.perf_counter()
    values = robust.values(args.seed, 0, args.draws)
    funded = fund_in_rank_order(np.argsort(-values, axis=1), p.total, budget)
    greedy_seconds = time.perf_counter() - started
    print(f"baseline: greedy rank-order funding       {greedy_seconds:8.2f} s  (the same draws, the whole budget "
          f"{budget / 1e6:,.0f}M)")
    print(f"ratio robustness / greedy: {total / greedy_seconds:,.0f}")

    chosen = np.concatenate([part["chosen"] for part in partials])
    optimum = (values * chosen).sum(axis=1)
    greedy_value = (values * funded).sum(axis=1)
    valid = sum(not check(problem, funded[d]) for d in range(args.draws))
    greedy_share = funded.mean(axis=0)
    greedy_core = {problem.codes[i] for i in np.flatnonzero(greedy_share >= 0.9)}
    print(f"  greedy value / optimal value: mean {np.mean(greedy_value / optimum):.4f}; greedy portfolios meeting "
          f"every rule: {valid} of {args.draws}; greedy core {len(greedy_core):,}, of which in the optimum's core "
          f"{len(greedy_core & set(result['core'])):,}")


if __name__ == "__main__":
    main()
