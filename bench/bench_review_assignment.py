"""Reviewer assignment at programme scale, against a greedy baseline and the full LP.

    python bench/bench_review_assignment.py [--proposals 5000] [--reviewers 1500] [--k 3]
                                            [--max-load 12] [--conflicts 0.05] [--topics 40]
                                            [--full-lp-proposals 1000] [--seed 2026]

The instance: affinities from a low-rank topic model (each proposal and each reviewer a Dirichlet
mix of topics; affinity = cosine of the mixes plus a little noise, in [0, 1]), so that many
proposals want the same few specialists and the load caps bind, as in a real call; 5% of pairs
conflicted at random. Printed:
- assign() (candidate graph + column generation, exact): seconds, rounds, LP columns, objective,
  the full problem's LP bound and the gap;
- the feasibility check alone (one max flow over every eligible pair): seconds;
- greedy by descending affinity (the usual quick fix): seconds, reviews placed, objective, and the
  ratios to assign();
- on a smaller instance of the same kind (--full-lp-proposals, reviewers scaled alike), the full LP
  with a variable per eligible pair against column generation: seconds, objectives, the ratio.
Nothing is asserted: figures only.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from genesis_desktop.review.assignment import assign
from genesis_desktop.review.assignment_check import check_feasibility, make_request


def topic_affinity(n_p: int, n_r: int, topics: int, rng: np.random.Generator) -> np.ndarray:
    """Cosine of Dirichlet topic mixes, plus noise, clipped to [0, 1]. Reviewers are broader
    (a larger concentration) than proposals, and topics differ in popularity."""
    popularity = rng.dirichlet(np.full(topics, 2.0)) * topics
    proposals = rng.dirichlet(0.3 * popularity, size=n_p)
    reviewers = rng.dirichlet(np.full(topics, 0.5), size=n_r)
    proposals /= np.linalg.norm(proposals, axis=1, keepdims=True)
    reviewers /= np.linalg.norm(reviewers, axis=1, keepdims=True)
    affinity = proposals @ reviewers.T + rng.normal(0.0, 0.03, size=(n_p, n_r))
    return np.clip(affinity, 0.0, 1.0)


def greedy(affinity: np.ndarray, conflicts: np.ndarray, k: int, max_load: int) -> tuple[np.ndarray, float]:
    """Pairs in order of descending affinity, taken while the proposal needs one and the reviewer
    has room. Fast and simple, but neither optimal nor sure to place every review."""
    n_p, n_r = affinity.shape
    scores = np.where(conflicts, -np.inf, affinity).ravel()
    order = np.argsort(-scores, kind="stable")
    need = np.full(n_p, k)
    room = np.full(n_r, max_load)
    chosen: list[int] = []
    left = int(need.sum())
    for flat in order.tolist():
        if scores[flat] == -np.inf or left == 0:
            break
        p, r = divmod(flat, n_r)
        if need[p] and room[r]:
            need[p] -= 1
            room[r] -= 1
            left -= 1
            chosen.append(flat)
    return np.array(chosen, dtype=np.int64), float(scores[chosen].sum())


def instance(n_p: int, n_r: int, args, rng: np.random.Generator):
    affinity = topic_affinity(n_p, n_r, args.topics, rng)
    conflicts = rng.random((n_p, n_r)) < args.conflicts
    return affinity, conflicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--reviewers", type=int, default=1500)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--max-load", type=int, default=12)
    parser.add_argument("--conflicts", type=float, default=0.05)
    parser.add_argument("--topics", type=int, default=40)
    parser.add_argument("--full-lp-proposals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n_p, n_r, k, cap = args.proposals, args.reviewers, args.k, args.max_load

    affinity, conflicts = instance(n_p, n_r, args, rng)
    print(f"instance: {n_p:,} proposals x {n_r:,} reviewers, k={k}, max load {cap}, "
          f"{conflicts.mean():.1%} conflicts, {int((~conflicts).sum()):,} eligible pairs, "
          f"{n_p * k:,} reviews for {n_r * cap:,} places")

    started = time.perf_counter()
    check_feasibility(make_request(affinity.shape, k, cap, 0, conflicts))
    check_seconds = time.perf_counter() - started

    log: list[tuple[float, str]] = []
    started = time.perf_counter()
    result = assign(affinity, k, cap, conflicts=conflicts,
                    progress=lambda message, fraction: log.append((time.perf_counter() - started, message)))
    for at, message in log:
        print(f"  {at:7.2f} s  {message}")
    print(f"assign (column generation)  {result.solve_seconds:8.2f} s  rounds {result.rounds}, "
          f"LP columns {result.columns:,} of {result.eligible_pairs:,}")
    print(f"  objective {result.objective:.6f}  full LP bound {result.lp_bound:.6f}  gap {result.gap:.2e} "
          f"({result.gap / result.lp_bound:.1e} relative)  method: {result.method}")
    print(f"  the feasibility check alone (one max flow over all pairs, part of assign) {check_seconds:6.2f} s")

    started = time.perf_counter()
    flat, greedy_objective = greedy(affinity, conflicts, k, cap)
    greedy_seconds = time.perf_counter() - started
    print(f"greedy by affinity          {greedy_seconds:8.2f} s  placed {len(flat):,} of {n_p * k:,} reviews, "
          f"objective {greedy_objective:.6f}")
    print(f"  ratios: time assign / greedy {result.solve_seconds / greedy_seconds:.2f}, "
          f"objective greedy / assign {greedy_objective / result.objective:.4f}, "
          f"reviews left unplaced by greedy {n_p * k - len(flat):,}")

    m_p = args.full_lp_proposals
    m_r = max(1, round(n_r * m_p / n_p))
    small_affinity, small_conflicts = instance(m_p, m_r, args, rng)
    print(f"smaller instance: {m_p:,} x {m_r:,}, {int((~small_conflicts).sum()):,} eligible pairs")
    full = assign(small_affinity, k, cap, conflicts=small_conflicts, method="full")
    column = assign(small_affinity, k, cap, conflicts=small_conflicts, method="column")
    print(f"  full LP (every pair)      {full.solve_seconds:8.2f} s  objective {full.objective:.6f}")
    print(f"  column generation         {column.solve_seconds:8.2f} s  objective {column.objective:.6f}  "
          f"rounds {column.rounds}, columns {column.columns:,}")
    print(f"  ratio full / column generation: {full.solve_seconds / column.solve_seconds:.1f}x, "
          f"objective difference {abs(full.objective - column.objective):.2e}")


if __name__ == "__main__":
    main()
