"""Portfolio selection at programme scale, exact (milp) against a greedy baseline and the LP relaxation.

    python bench/bench_selection.py [--proposals 5000] [--seed 2026] [--challenges 26] [--labs 17]
                                    [--institutions 43] [--budget-share 0.16] [--time-limit SECONDS]
                                    [--mip-rel-gap 0.0] [--quick-gap 1e-4]

The instance, seeded but shaped like the programme's: a quarter of the proposals are Phase II (3
years at 3-5x a Phase I amount per year), the rest Phase I ($0.5-0.75M in one year); 40% of the
Phase II proposals continue a Phase I proposal in the pool and require it. Five fiscal years,
budgets a share of each year's demand (so that about a third of the proposals can be funded), 5% of
each year already committed. Each proposal addresses 1-3 of 26 challenges (some far more popular
than others) and is led by one of 17 labs or 43 institutions (a few lead most); coverage asks 3-8
funded per challenge (and a minimum of money for every third), labs are capped at 10% of all money,
institutions at 40% of their proposals. Value is merit (Beta(2, 2)). 20 Phase I proposals are
forced in, 50 proposals forced out. Printed:
- the exact solve: seconds to build the rows, seconds to solve, objective, dual bound, gap, chosen;
- the same with a small relative gap (--quick-gap), the usual setting when seconds matter;
- the LP relaxation alone: seconds and bound;
- greedy by value per dollar, then a coverage repair: seconds, objective as a ratio of the optimum,
  and whether it meets every constraint (check()).
Nothing is asserted: figures only.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from genesis_desktop.decisions.selection import (Cap, Coverage, SelectionProblem, build_rows, check, prepare,
                                                 solve)


def instance(args, rng: np.random.Generator) -> SelectionProblem:
    n, years = args.proposals, 5
    phase_two = rng.random(n) < 0.25
    base = rng.uniform(0.5e6, 0.75e6, n).round(-3)
    start = np.where(phase_two, rng.integers(0, 3, n), rng.integers(0, 3, n))
    phase_one = np.flatnonzero(~phase_two)
    requires = []
    for i in np.flatnonzero(phase_two):
        if rng.random() < 0.4:  # continues a Phase I in the pool: starts the year after it
            j = int(rng.choice(phase_one[start[phase_one] <= 1]))
            requires.append((int(i), j))
            start[i] = start[j] + 1
    cost = np.zeros((n, years))
    for i in range(n):
        if phase_two[i]:
            cost[i, start[i]:start[i] + 3] = (base[i] * rng.uniform(3, 5, 3)).round(-3)
        else:
            cost[i, start[i]] = base[i]
    budget = (cost.sum(axis=0) * args.budget_share).round(-3)
    popularity = rng.dirichlet(np.full(args.challenges, 1.5))
    challenges = np.zeros((args.challenges, n), dtype=bool)
    for i in range(n):
        challenges[rng.choice(args.challenges, int(rng.integers(1, 4)), replace=False, p=popularity), i] = True
    forced_in = rng.choice(np.setdiff1d(phase_one, [j for _, j in requires]), 20, replace=False)
    forced_out = rng.choice(np.setdiff1d(np.arange(n), forced_in), 50, replace=False)
    open_to = challenges.copy()
    open_to[:, forced_out] = False
    coverage = [Coverage(f"challenge GEN-{c + 1:02d}", challenges[c], min(int(rng.integers(3, 9)),
                         int(open_to[c].sum()) // 2), float(0.01 * budget.sum()) if c % 3 == 0 else 0.0)
                for c in range(args.challenges)]
    orgs = args.labs + args.institutions
    weight = 1.0 / np.arange(1, orgs + 1) ** 0.8
    lead = rng.choice(orgs, n, p=weight / weight.sum())
    caps = [Cap(f"lab L{k:02d}", lead == k, max_money=float(0.10 * budget.sum())) for k in range(args.labs)]
    caps += [Cap(f"institution I{k:02d}", lead == args.labs + k,
                 max_count=int(np.ceil(0.4 * (lead == args.labs + k).sum()))) for k in range(args.institutions)]
    return SelectionProblem(
        codes=[f"P-{i:06d}" for i in range(n)], value=rng.beta(2.0, 2.0, n), cost=cost,
        years=list(range(2026, 2026 + years)), budget=budget, committed=(0.05 * budget).round(-3),
        coverage=coverage, caps=caps, requires=requires,
        forced_in=frozenset(forced_in.tolist()), forced_out=frozenset(forced_out.tolist()))


def greedy(problem: SelectionProblem) -> np.ndarray:
    """Forced-in first, then by value per dollar, taking what fits every budget and cap and whose
    Phase I is already taken; then each coverage still short takes its best members that fit."""
    p = prepare(problem)
    caps_of: list[list[int]] = [[] for _ in range(p.n)]
    for k, members in enumerate(p.cap_members):
        for i in members.tolist():
            caps_of[i].append(k)
    cap_money = np.array([np.inf if c.max_money is None else c.max_money for c in problem.caps])
    cap_count = np.array([np.inf if c.max_count is None else c.max_count for c in problem.caps])
    needs = {int(i): int(j) for i, j in p.requires.tolist()}
    chosen = np.zeros(p.n, dtype=bool)
    spend, used_money, used_count = p.committed.copy(), np.zeros(len(problem.caps)), np.zeros(len(problem.caps))

    def take(i: int, force: bool = False) -> None:
        nonlocal spend
        k = caps_of[i]
        fits = (np.all(spend + p.cost[i] <= p.budget) and np.all(used_money[k] + p.total[i] <= cap_money[k])
                and np.all(used_count[k] + 1 <= cap_count[k]) and (i not in needs or chosen[needs[i]]))
        if force or (fits and not chosen[i] and not p.forced_out[i]):
            chosen[i] = True
            spend = spend + p.cost[i]
            used_money[k] += p.total[i]
            used_count[k] += 1

    for i in np.flatnonzero(p.forced_in).tolist():
        take(i, force=True)
    ratio = p.value / np.maximum(p.total, 1.0)
    for i in np.argsort(-ratio, kind="stable").tolist():
        if p.value[i] > 0:
            take(i)
    for c, members in zip(problem.coverage, p.coverage_members):
        for i in members[np.argsort(-ratio[members], kind="stable")].tolist():
            funded = members[chosen[members]]
            if len(funded) >= c.min_count and p.total[funded].sum() >= c.min_money:
                break
            take(i)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--challenges", type=int, default=26)
    parser.add_argument("--labs", type=int, default=17)
    parser.add_argument("--institutions", type=int, default=43)
    parser.add_argument("--budget-share", type=float, default=0.16)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--mip-rel-gap", type=float, default=0.0)
    parser.add_argument("--quick-gap", type=float, default=1e-4)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    problem = instance(args, rng)
    p = prepare(problem)
    print(f"instance: {p.n:,} proposals, {len(problem.years)} fiscal years, {len(problem.coverage)} coverage, "
          f"{len(problem.caps)} caps, {len(problem.requires)} Phase II requires, {len(problem.forced_in)} forced in, "
          f"{len(problem.forced_out)} forced out; demand {p.cost.sum() / 1e6:,.0f}M against budgets "
          f"{p.budget.sum() / 1e6:,.0f}M ({p.committed.sum() / 1e6:,.0f}M committed)")

    started = time.perf_counter()
    rows = build_rows(problem, p)
    build_seconds = time.perf_counter() - started
    print(f"build rows                  {build_seconds:8.3f} s  {rows.matrix.shape[0]:,} rows, "
          f"{rows.matrix.nnz:,} nonzeros")

    exact = solve(problem, time_limit=args.time_limit, mip_rel_gap=args.mip_rel_gap)
    print(f"solve (milp, gap {args.mip_rel_gap:g})       {exact.seconds:8.2f} s  status {exact.status}, "
          f"chosen {int(exact.chosen.sum()):,}, spend {exact.spend.sum() / 1e6:,.1f}M")
    print(f"  objective {exact.objective:.6f}  dual bound {exact.bound:.6f}  gap {exact.gap:.2e} "
          f"(relative)  check(): {'ok' if check(problem, exact.chosen) == [] else 'BROKEN'}")

    quick = solve(problem, mip_rel_gap=args.quick_gap)
    print(f"solve (milp, gap {args.quick_gap:g})    {quick.seconds:8.2f} s  objective {quick.objective:.6f}  "
          f"bound {quick.bound:.6f}  ratio to exact {quick.objective / exact.objective:.6f}")

    started = time.perf_counter()
    relaxed = milp(-p.value, integrality=np.zeros(p.n),
                   bounds=Bounds(p.forced_in.astype(float), (~p.forced_out).astype(float)),
                   constraints=[LinearConstraint(rows.matrix, rows.lower, rows.upper)])
    lp_seconds = time.perf_counter() - started
    print(f"LP relaxation               {lp_seconds:8.2f} s  bound {-relaxed.fun:.6f}  "
          f"(exact objective / LP bound {exact.objective / -relaxed.fun:.6f}), "
          f"{int(((relaxed.x > 1e-6) & (relaxed.x < 1 - 1e-6)).sum())} fractional proposals")

    started = time.perf_counter()
    chosen = greedy(problem)
    greedy_seconds = time.perf_counter() - started
    broken = check(problem, chosen)
    objective = float(p.value[chosen].sum())
    print(f"greedy by value per dollar  {greedy_seconds:8.2f} s  chosen {int(chosen.sum()):,}, objective "
          f"{objective:.6f}, ratio to optimum {objective / exact.objective:.4f}")
    print(f"  meets every constraint: {'yes' if not broken else f'no, {len(broken)} broken'}"
          + "".join(f"\n    {line}" for line in broken[:5]))


if __name__ == "__main__":
    main()
