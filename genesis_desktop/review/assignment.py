"""Reviewer assignment: each proposal gets k different reviewers, each reviewer a load between its
minimum and maximum, no conflicted pair, and the total affinity of the chosen pairs is the largest.

Qt-free, numpy and scipy only, and pure: no database, no files. The request is checked first
(`assignment_check`), so an impossible one fails with an `InfeasibleAssignment` that says why.

Why a linear program is exact here: the constraints (one equality per proposal, two bounds per
reviewer, 0 <= x <= 1 per pair) form the incidence matrix of a bipartite graph, which is totally
unimodular, so every vertex of the polytope is whole-numbered and HiGHS's simplex optimum is an
assignment. We still check (round and compare) and fall back to `milp` if a vertex came out
fractional through round-off.

Large requests (thousands of proposals x thousands of reviewers) would need millions of variables.
Most of them are worthless: a proposal's best reviewers are among its few highest affinities. So the
LP starts on a candidate graph (each proposal's top reviewers, plus a feasible assignment from the
feasibility flow so that the small LP is never infeasible) and grows it by column generation: the
duals of the small LP price every pair left out (reduced profit = affinity - proposal price -
reviewer price); when none is positive the small LP's optimum is optimal for the full LP, which
LP duality proves. Until then, the duals give an upper bound on the full optimum (`lp_bound`), so
the gap is known at every round.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..compute.api import Stopped
from .assignment_check import Feasibility, InfeasibleAssignment, Request, check_feasibility, make_request

__all__ = ["Assignment", "AssignmentCancelled", "InfeasibleAssignment", "assign", "assignment_objective"]

# `auto` solves every eligible pair at once up to this many pairs; past it, column generation wins
# (measured: 200 x 60, 11,400 pairs: full 0.11 s, column generation 0.03 s; 1,000 x 300: 3.3 s
# against 0.2 s; 2,000 x 500: 25 s against 1.4 s).
FULL_LP_PAIRS = 5_000
PRICING_ROWS = 1_024  # proposals priced per block, so pricing needs a few MB, not n_p x n_r floats
# Column generation settings, tuned on the 5,000 x 1,500 benchmark (3 LP rounds, 14 s; the first
# settings tried took 18 rounds and 189 s). They change the speed, never the answer.
INITIAL_PER_K, INITIAL_EXTRA = 2, 4  # first LP: each proposal's 2k + 4 best reviewers
ADD_PER_K = 5  # each round adds up to 5k pairs per proposal ...
NEAR_MARGIN = 0.05  # ... among those with a reduced profit above -5% of the affinity scale


class AssignmentCancelled(Stopped):
    """`should_stop` answered True between two solver rounds (a Stopped, as the compute engine expects)."""


@dataclass(frozen=True)
class Assignment:
    """An optimal assignment (or the best one found, with its proven gap) and how it was found."""

    pairs: np.ndarray  # (m, 2) int64 rows (proposal, reviewer), sorted by proposal then reviewer
    reviewers_of: list[np.ndarray]  # reviewers_of[p]: the reviewers of proposal p, ascending
    loads: np.ndarray  # loads[r]: how many proposals reviewer r got
    objective: float  # total affinity of the chosen pairs
    lp_bound: float  # optimum of the full LP relaxation (an upper bound on any assignment)
    solve_seconds: float  # wall time of assign(), the feasibility check included
    method: str  # "full LP", "column generation" or either + " + milp"
    rounds: int  # LP solves
    columns: int  # pairs in the last LP
    eligible_pairs: int  # conflict-free pairs, the full LP's size

    @property
    def gap(self) -> float:
        """How far the objective may be from the best possible; zero (to round-off) when optimal."""
        return self.lp_bound - self.objective


def assignment_objective(affinity: np.ndarray, pairs: np.ndarray) -> float:
    """Total affinity of (proposal, reviewer) pairs."""
    return float(np.asarray(affinity, dtype=np.float64)[pairs[:, 0], pairs[:, 1]].sum()) if len(pairs) else 0.0


@dataclass(frozen=True)
class _LPResult:
    x: np.ndarray  # value of each column
    objective: float  # total affinity, maximised
    proposal_price: np.ndarray  # what one more review of proposal p is worth (free sign)
    max_load_price: np.ndarray  # what one more unit of reviewer r's maximum load is worth (>= 0)
    min_load_price: np.ndarray  # what one unit less of reviewer r's minimum load is worth (>= 0)

    @property
    def reviewer_price(self) -> np.ndarray:
        """What one proposal more for reviewer r costs the rest of the assignment."""
        return self.max_load_price - self.min_load_price


def _constraint_rows(request: Request, p_idx: np.ndarray, r_idx: np.ndarray):
    """Sparse incidence of columns: proposal rows (n_p x n) and reviewer rows (n_r x n)."""
    n_p, n_r = request.shape
    ones = np.ones(len(p_idx))
    cols = np.arange(len(p_idx))
    by_proposal = sp.csr_array((ones, (p_idx, cols)), shape=(n_p, len(p_idx)))
    by_reviewer = sp.csr_array((ones, (r_idx, cols)), shape=(n_r, len(p_idx)))
    return by_proposal, by_reviewer


def _solve_lp(affinity: np.ndarray, request: Request, p_idx: np.ndarray, r_idx: np.ndarray) -> _LPResult:
    """The LP relaxation on the given columns with HiGHS; its primal vertex and its duals."""
    by_proposal, by_reviewer = _constraint_rows(request, p_idx, r_idx)
    floored = np.flatnonzero(request.min_load > 0)
    # linprog takes only "<=" rows: the minimum loads become -load <= -min_load, for those that have one.
    a_ub = sp.vstack([by_reviewer, -by_reviewer[floored]], format="csr")
    b_ub = np.concatenate([request.max_load, -request.min_load[floored]]).astype(np.float64)
    result = linprog(-affinity[p_idx, r_idx], A_ub=a_ub, b_ub=b_ub, A_eq=by_proposal,
                     b_eq=request.k.astype(np.float64), bounds=(0.0, 1.0), method="highs-ds",
                     # Devex pricing: 3-4x fewer dual simplex iterations than the default steepest
                     # edge on these degenerate b-matching LPs (measured on 5,000 x 1,500: 2.9 s vs 9.8 s).
                     options={"simplex_dual_edge_weight_strategy": "devex"})
    if result.status != 0:
        # The candidate graph always holds a feasible assignment, so this is a solver failure.
        raise RuntimeError(f"HiGHS could not solve the assignment LP: {result.message}")
    # HiGHS reports marginals d(objective)/d(rhs) of the minimisation (<= 0 on "<=" rows); in profit
    # terms the prices are their negatives.
    n_r = request.shape[1]
    min_load_price = np.zeros(n_r)
    min_load_price[floored] = -result.ineqlin.marginals[n_r:]
    return _LPResult(result.x, -float(result.fun), -result.eqlin.marginals,
                     -result.ineqlin.marginals[:n_r], min_load_price)


def _whole_or_none(x: np.ndarray) -> np.ndarray | None:
    """The 0/1 vector x rounds to, or None if some value is not within 1e-6 of 0 or 1."""
    rounded = np.round(x)
    return rounded.astype(bool) if np.all(np.abs(x - rounded) <= 1e-6) else None


def _solve_milp(affinity: np.ndarray, request: Request, p_idx: np.ndarray, r_idx: np.ndarray) -> np.ndarray:
    """The same problem on the same columns as an integer program (the rare fallback)."""
    by_proposal, by_reviewer = _constraint_rows(request, p_idx, r_idx)
    constraints = [LinearConstraint(by_proposal, request.k, request.k),
                   LinearConstraint(by_reviewer, request.min_load, request.max_load)]
    result = milp(-affinity[p_idx, r_idx], integrality=np.ones(len(p_idx)), bounds=Bounds(0.0, 1.0),
                  constraints=constraints)
    if result.status != 0:
        raise RuntimeError(f"HiGHS could not solve the assignment MILP: {result.message}")
    return np.round(result.x).astype(bool)


def _price_out(affinity: np.ndarray, request: Request, in_lp: np.ndarray, lp: _LPResult,
               per_proposal: int, tolerance: float, margin: float) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Reduced profit of every eligible pair not in the LP. Returns the pairs to add, how many pairs
    improve the LP (reduced profit above `tolerance`; none means the LP optimum is the full one), and
    the sum of all positive reduced profits, which added to the LP optimum bounds the full LP from
    above (weak duality, with each left-out pair's x <= 1 row priced at its reduced profit).

    The pairs added are each proposal's best `per_proposal` with a reduced profit above -`margin`,
    not only the improving ones: the duals of these degenerate LPs jump between rounds, and pairs
    just below zero now are the ones that turn positive next round (without the margin the last
    rounds add a handful of pairs each, for 14 more rounds on the 5,000 x 1,500 benchmark)."""
    n_p = request.shape[0]
    add_p: list[np.ndarray] = []
    add_r: list[np.ndarray] = []
    improving, excess = 0, 0.0
    for start in range(0, n_p, PRICING_ROWS):
        stop = min(start + PRICING_ROWS, n_p)
        profit = affinity[start:stop] - lp.proposal_price[start:stop, None] - lp.reviewer_price[None, :]
        profit[~request.eligible[start:stop] | in_lp[start:stop]] = -np.inf
        positive = profit > 0
        excess += float(profit[positive].sum())
        improving += int(np.count_nonzero(profit > tolerance))
        take = min(per_proposal, profit.shape[1])
        best = np.argpartition(-profit, take - 1, axis=1)[:, :take]
        rows = np.repeat(np.arange(start, stop), take)
        cols = best.ravel()
        near = profit[rows - start, cols] > -margin
        add_p.append(rows[near])
        add_r.append(cols[near])
    return np.concatenate(add_p), np.concatenate(add_r), improving, excess


def _initial_columns(affinity: np.ndarray, request: Request, witness: np.ndarray,
                     per_proposal: int) -> np.ndarray:
    """Candidate graph as a boolean mask: each proposal's `per_proposal` best eligible reviewers,
    plus the feasibility flow's assignment, which keeps the first LP feasible."""
    n_p, n_r = request.shape
    in_lp = np.zeros((n_p, n_r), dtype=bool)
    take = min(per_proposal, n_r)
    if take:
        for start in range(0, n_p, PRICING_ROWS):
            stop = min(start + PRICING_ROWS, n_p)
            scores = np.where(request.eligible[start:stop], affinity[start:stop], -np.inf)
            best = np.argpartition(-scores, take - 1, axis=1)[:, :take]
            rows = np.repeat(np.arange(start, stop), take)
            in_lp[rows, best.ravel()] = True
    in_lp &= request.eligible
    in_lp[witness[:, 0], witness[:, 1]] = True
    return in_lp


def assign(affinity: np.ndarray, k: int | Sequence[int] | np.ndarray,
           max_load: int | Sequence[int] | np.ndarray, *, min_load: int | Sequence[int] | np.ndarray = 0,
           conflicts=None, proposal_ids: Sequence | None = None, reviewer_ids: Sequence | None = None,
           method: str = "auto", should_stop: Callable[[], bool] | None = None,
           progress: Callable[[str, float], None] | None = None, max_rounds: int = 100) -> Assignment:
    """The assignment of largest total affinity, or InfeasibleAssignment explaining why there is none.

    affinity: n_proposals x n_reviewers (any real numbers; `affinity.tfidf_affinity` gives [0, 1]).
    k: reviewers per proposal; max_load / min_load: proposals per reviewer (one int or one per item).
    conflicts: None, a boolean mask (True = forbidden) or (proposal, reviewer) pairs.
    proposal_ids / reviewer_ids: names used in the explanation of an infeasible request.
    method: "full" (every eligible pair in one LP), "column" (candidate graph + column generation)
    or "auto" (full up to FULL_LP_PAIRS eligible pairs). Both are exact.
    should_stop: checked between solver rounds; True raises AssignmentCancelled.
    progress(message, fraction): called as the work goes on.
    """
    started = time.perf_counter()
    affinity = np.asarray(affinity, dtype=np.float64)
    if affinity.ndim != 2 or not np.all(np.isfinite(affinity)):
        raise ValueError("affinity must be a 2-D array of finite numbers (proposals x reviewers)")
    if method not in ("auto", "full", "column"):
        raise ValueError(f"method must be 'auto', 'full' or 'column', not {method!r}")
    request = make_request(affinity.shape, k, max_load, min_load, conflicts, proposal_ids, reviewer_ids)

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    def check_stop() -> None:
        if should_stop is not None and should_stop():
            raise AssignmentCancelled("reviewer assignment cancelled")

    report("Checking that the request can be met", 0.0)
    feasibility: Feasibility = check_feasibility(request)
    if not feasibility.feasible:
        raise InfeasibleAssignment(feasibility)
    eligible_pairs = int(request.eligible.sum())
    if method == "auto":
        method = "full" if eligible_pairs <= FULL_LP_PAIRS else "column"
    k_most = int(request.k.max()) if request.k.size else 0
    if method == "full":
        in_lp = request.eligible.copy()
    else:
        in_lp = _initial_columns(affinity, request, feasibility.witness, INITIAL_PER_K * k_most + INITIAL_EXTRA)
    scale = max(1.0, float(np.abs(affinity).max(initial=0.0)))
    # HiGHS meets dual feasibility to 1e-7, so smaller reduced profits are round-off, not a reason
    # for another round; whatever they add up to is still counted in lp_bound.
    tolerance, margin = 1e-7 * scale, NEAR_MARGIN * scale
    rounds, lp_bound = 0, 0.0
    while True:
        check_stop()
        p_idx, r_idx = np.nonzero(in_lp)
        rounds += 1
        # Rounds are few and not known ahead: each one closes most of the remaining bar.
        report(f"Solving LP round {rounds} on {len(p_idx):,} of {eligible_pairs:,} pairs",
               0.1 + 0.8 * (1 - 0.6 ** rounds))
        if len(p_idx) == 0:  # nothing to assign (every k is 0): the empty assignment is optimal
            lp = _LPResult(np.zeros(0), 0.0, np.zeros(request.shape[0]), *np.zeros((2, request.shape[1])))
            break
        lp = _solve_lp(affinity, request, p_idx, r_idx)
        if method == "full":
            lp_bound = lp.objective
            break
        add_p, add_r, improving, excess = _price_out(affinity, request, in_lp, lp, max(ADD_PER_K * k_most, 2),
                                                     tolerance, margin)
        lp_bound = lp.objective + excess
        if improving == 0 or rounds >= max_rounds:
            break
        in_lp[add_p, add_r] = True
    chosen = _whole_or_none(lp.x)
    solver = "full LP" if method == "full" else "column generation"
    if method != "full" and rounds >= max_rounds and lp_bound - lp.objective > tolerance:
        solver += f" (stopped after {max_rounds} rounds; lp_bound holds)"
    if chosen is None:
        check_stop()
        report("The LP vertex was fractional: solving the integer program", 0.95)
        chosen = _solve_milp(affinity, request, p_idx, r_idx)
        solver += " + milp"
    pairs = np.column_stack([p_idx[chosen], r_idx[chosen]]).astype(np.int64)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    n_p, n_r = request.shape
    starts = np.searchsorted(pairs[:, 0], np.arange(n_p + 1))
    reviewers_of = [pairs[starts[p]:starts[p + 1], 1] for p in range(n_p)]
    objective = assignment_objective(affinity, pairs)
    report("Assignment done", 1.0)
    return Assignment(pairs, reviewers_of, np.bincount(pairs[:, 1], minlength=n_r), objective,
                      max(lp_bound, objective), time.perf_counter() - started, solver, rounds,
                      len(p_idx), eligible_pairs)
