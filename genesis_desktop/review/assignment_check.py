"""Can the reviewer assignment asked for be made at all, and if not, why, in words.

Qt-free, numpy and scipy only. The request: proposal p needs k[p] different reviewers, reviewer r
takes between min_load[r] and max_load[r] proposals, and conflicted pairs are forbidden. The verdict
is exact: one maximum flow on source -> proposal (k) -> conflict-free reviewer (1) -> sink, with the
reviewers' minimum loads as lower bounds (folded into the flow the textbook way, see `_max_flow`).
When it fails, simpler counts and minimum cuts name what is wrong so that a program officer can fix
it: proposals with too few conflict-free reviewers, missing capacity, minimum loads that cannot be
met, and groups of proposals (or reviewers) that conflicts starve although the totals look fine.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

_LISTED = 10  # names shown in one message before "and N more"


@dataclass(frozen=True)
class Request:
    """A checked request: per-proposal k, per-reviewer loads and the conflict-free (eligible) pairs."""

    k: np.ndarray  # (n_proposals,) int64
    min_load: np.ndarray  # (n_reviewers,) int64
    max_load: np.ndarray  # (n_reviewers,) int64
    eligible: np.ndarray  # (n_proposals, n_reviewers) bool: True where no conflict
    proposal_ids: Sequence | None = None
    reviewer_ids: Sequence | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.eligible.shape


def _per_item(value, n: int, name: str) -> np.ndarray:
    array = np.broadcast_to(np.asarray(value), (n,)) if np.ndim(value) == 0 else np.asarray(value)
    if array.shape != (n,):
        raise ValueError(f"{name} must be one number or {n} numbers, got shape {array.shape}")
    if array.size and (not np.all(np.isfinite(array.astype(float))) or np.any(array != np.round(array))):
        raise ValueError(f"{name} must be whole numbers")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must not be negative")
    return array.astype(np.int64)


def make_request(shape: tuple[int, int], k, max_load, min_load=0, conflicts=None,
                 proposal_ids: Sequence | None = None, reviewer_ids: Sequence | None = None) -> Request:
    """Check and normalise a request. `conflicts` is None, a boolean mask (n_proposals x n_reviewers,
    True = conflict) or (proposal, reviewer) pairs. Raises ValueError for malformed input (wrong
    shapes, negative or fractional counts, pairs out of range); an impossible request is not an
    error here: `check_feasibility` explains it."""
    n_p, n_r = shape
    eligible = np.ones((n_p, n_r), dtype=bool)
    if conflicts is not None:
        mask = np.asarray(conflicts)
        if mask.dtype == bool:
            if mask.shape != (n_p, n_r):
                raise ValueError(f"conflicts mask has shape {mask.shape}, expected {(n_p, n_r)}")
            eligible = ~mask
        else:
            pairs = np.asarray(list(conflicts) if not isinstance(conflicts, np.ndarray) else conflicts)
            if pairs.size and (pairs.ndim != 2 or pairs.shape[1] != 2):
                raise ValueError("conflicts must be a boolean mask or (proposal, reviewer) pairs")
            pairs = pairs.astype(np.int64) if pairs.size else np.zeros((0, 2), np.int64)
            bad = (pairs[:, 0] < 0) | (pairs[:, 0] >= n_p) | (pairs[:, 1] < 0) | (pairs[:, 1] >= n_r)
            if bad.any():
                raise ValueError(f"conflict pair {tuple(pairs[bad][0])} is outside {n_p} proposals x {n_r} reviewers")
            eligible[pairs[:, 0], pairs[:, 1]] = False
    for ids, n, what in ((proposal_ids, n_p, "proposal_ids"), (reviewer_ids, n_r, "reviewer_ids")):
        if ids is not None and len(ids) != n:
            raise ValueError(f"{what} has {len(ids)} entries for {n} items")
    return Request(_per_item(k, n_p, "k"), _per_item(min_load, n_r, "min_load"),
                   _per_item(max_load, n_r, "max_load"), eligible, proposal_ids, reviewer_ids)


@dataclass(frozen=True)
class Feasibility:
    """The verdict on a request and the figures behind it. `problems` is empty when feasible."""

    feasible: bool
    problems: list[str]
    reviews_needed: int  # sum of k
    reviews_placeable: int  # most reviews that conflicts and maximum loads allow (ignoring min loads)
    capacity: int  # sum of maximum loads
    min_load_total: int
    eligible_per_proposal: np.ndarray  # conflict-free reviewers of each proposal
    short_proposals: np.ndarray  # proposals with fewer conflict-free reviewers than k
    short_reviewers: np.ndarray  # reviewers whose minimum load cannot be met on their own
    starved_proposals: np.ndarray  # a set of proposals that conflicts starve (from a minimum cut)
    starved_reviewers: np.ndarray  # a set of reviewers whose minimum loads conflicts make impossible
    witness: np.ndarray = field(repr=False)  # (m, 2) a feasible (proposal, reviewer) set, if feasible

    def explain(self) -> str:
        return "\n".join(f"- {p}" for p in self.problems) if self.problems else "The request is feasible."


class InfeasibleAssignment(ValueError):
    """The request cannot be met; `feasibility` holds the figures, the message the reasons in words."""

    def __init__(self, feasibility: Feasibility):
        self.feasibility = feasibility
        super().__init__("The reviewer assignment cannot be made:\n" + feasibility.explain())


def _names(indices, ids: Sequence | None, what: str, detail=None) -> str:
    """'proposals 3, 7 and 9' (ids when given, else indices), each optionally followed by detail(i) in
    brackets; past _LISTED names, '... and N more'."""
    indices = [int(i) for i in indices]
    shown = [str(ids[i] if ids is not None else i) + (f" ({detail(i)})" if detail else "")
             for i in indices[:_LISTED]]
    label = what if len(indices) == 1 else what + "s"
    if len(indices) > _LISTED:
        return f"{label} {', '.join(shown)} and {len(indices) - _LISTED:,} more"
    if len(shown) > 1:
        return f"{label} {', '.join(shown[:-1])} and {shown[-1]}"
    return f"{label} {''.join(shown)}"


@dataclass(frozen=True)
class _Flow:
    value: int
    target: int
    pairs: np.ndarray  # (m, 2) left-right pairs that carry flow
    reachable_left: np.ndarray  # source side of the minimum cut (empty when value == target)


def _max_flow(supply: np.ndarray, left: np.ndarray, right: np.ndarray, capacity: np.ndarray,
              floor: np.ndarray | None = None) -> _Flow:
    """Maximum flow source -> left i (supply[i]) -> right j (1 per (left, right) pair) -> sink with
    right j taking at most capacity[j] and, if `floor` is given, at least floor[j].

    Lower bounds become a plain max flow through a hub node H: right j sends floor[j] straight to the
    sink and up to capacity[j] - floor[j] to H; the source feeds H with sum(floor) and H sends up to
    sum(supply) to the sink. Every unit of supply and every unit of floor reaches the sink (the flow
    equals `target`) exactly when a flow meeting supplies, floors and capacities exists.
    """
    n_l, n_r = len(supply), len(capacity)
    floor = np.zeros(n_r, np.int64) if floor is None else floor
    hub, source, sink = n_l + n_r, n_l + n_r + 1, n_l + n_r + 2
    rights = n_l + np.arange(n_r)
    total_floor = int(floor.sum())
    tail = np.concatenate([np.full(n_l, source), left, rights, rights, [source, hub]])
    head = np.concatenate([np.arange(n_l), n_l + right, np.full(n_r, sink), np.full(n_r, hub), [hub, sink]])
    cap = np.concatenate([supply, np.ones(len(left), np.int64), floor, capacity - floor,
                          [total_floor, int(supply.sum())]])
    keep = cap > 0
    n = n_l + n_r + 3
    graph = sp.csr_array((cap[keep].astype(np.int32), (tail[keep], head[keep])), shape=(n, n))
    result = maximum_flow(graph, source, sink)
    target = int(supply.sum()) + total_floor
    flow = result.flow
    pair_flow = sp.coo_array(flow[:n_l][:, n_l:n_l + n_r])
    used = pair_flow.data > 0
    pairs = np.column_stack([pair_flow.row[used], pair_flow.col[used]]).astype(np.int64)
    reachable = np.zeros(0, np.int64)
    if result.flow_value < target:
        # The residual graph: spare capacity forwards (cap - flow) and undo-able flow backwards.
        residual = sp.csr_array(graph - flow)
        residual.data[residual.data < 0] = 0
        residual.eliminate_zeros()
        nodes = breadth_first_order(residual, source, directed=True, return_predecessors=False)
        reachable = np.sort(nodes[nodes < n_l]).astype(np.int64)
    return _Flow(int(result.flow_value), target, pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))], reachable)


def check_feasibility(request: Request) -> Feasibility:
    """Decide exactly whether `request` can be met, and explain it in words when it cannot."""
    k, lo, hi, eligible = request.k, request.min_load, request.max_load, request.eligible
    p_ids, r_ids = request.proposal_ids, request.reviewer_ids
    left, right = np.nonzero(eligible)
    per_proposal = eligible.sum(axis=1)
    per_reviewer = eligible.sum(axis=0)
    needed, capacity, floors = int(k.sum()), int(hi.sum()), int(lo.sum())
    over = np.flatnonzero(lo > hi)
    # A minimum above the maximum is impossible whatever the conflicts (and would break the flow).
    exact = None if len(over) else _max_flow(k, left, right, hi, lo if floors else None)
    empty = np.zeros(0, np.int64)
    if exact is not None and exact.value == exact.target:
        return Feasibility(True, [], needed, needed, capacity, floors, per_proposal, empty, empty,
                           empty, empty, exact.pairs)

    problems: list[str] = []
    short_p = np.flatnonzero(per_proposal < k)
    if len(short_p):
        problems.append("Too few conflict-free reviewers for "
                        + _names(short_p, p_ids, "proposal",
                                 lambda i: f"needs {k[i]}, has {per_proposal[i]}"))
    if needed > capacity:
        problems.append(f"The proposals need {needed:,} reviews in all but the reviewers' maximum loads add "
                        f"up to {capacity:,}: {needed - capacity:,} reviews short. Raise maximum loads, add "
                        "reviewers or ask for fewer reviews per proposal.")
    upper = exact if exact is not None and not floors else _max_flow(k, left, right, hi)
    starved_p = empty
    if upper.value < upper.target and not problems:
        # Totals look fine, so conflicts starve a group: the proposals on the source side of a
        # minimum cut. Each reviewer can give them at most min(its max load, how many of them it may
        # review), and those amounts add up to less than the group needs (Hall's condition).
        starved_p = upper.reachable_left
        reach = eligible[starved_p].sum(axis=0)
        givers = np.flatnonzero(reach)
        can_give = int(np.minimum(hi, reach).sum())
        group = _names(starved_p, p_ids, "proposal")
        verb = "needs" if len(starved_p) == 1 else "need"
        problems.append(f"{group[0].upper()}{group[1:]} {verb} {int(k[starved_p].sum()):,} reviews "
                        f"between them, but the only reviewers free of conflicts with them "
                        f"({_names(givers, r_ids, 'reviewer')}) can give them at most {can_give:,} "
                        "(a reviewer reviews a proposal once, within its maximum load). Remove a "
                        "conflict, raise these reviewers' maximum loads or ask for fewer reviews.")
    if upper.value < upper.target:
        problems.append(f"In all, at most {upper.value:,} of the {needed:,} reviews asked for can be placed.")

    floor_problems: list[str] = []
    if len(over):
        floor_problems.append("The minimum load is above the maximum load for "
                              + _names(over, r_ids, "reviewer", lambda j: f"min {lo[j]}, max {hi[j]}"))
    if floors > needed:
        floor_problems.append(f"The reviewers' minimum loads add up to {floors:,} reviews but the proposals "
                              f"need only {needed:,}: lower the minimum loads by {floors - needed:,} in all.")
    short_r = np.flatnonzero(per_reviewer < lo)
    if len(short_r):
        floor_problems.append("Too few conflict-free proposals to reach the minimum load of "
                              + _names(short_r, r_ids, "reviewer",
                                       lambda j: f"minimum {lo[j]}, may review {per_reviewer[j]}"))
    starved_r = empty
    if floors and not floor_problems:
        # The same cut argument from the reviewers' side: a group whose minimum loads exceed what the
        # proposals free of conflicts with them can take from them.
        lower = _max_flow(lo, right, left, k)
        if lower.value < lower.target:
            starved_r = lower.reachable_left
            reach = eligible[:, starved_r].sum(axis=1)
            takers = np.flatnonzero(reach)
            can_take = int(np.minimum(k, reach).sum())
            group = _names(starved_r, r_ids, "reviewer")
            floor_problems.append(f"{group[0].upper()}{group[1:]} must take at least "
                                  f"{int(lo[starved_r].sum()):,} reviews between them, but the proposals "
                                  f"free of conflicts with them ({_names(takers, p_ids, 'proposal')}) can "
                                  f"take at most {can_take:,} of their reviews. Lower their minimum loads "
                                  "or remove a conflict.")
    problems += floor_problems
    if not problems:
        # Both sides are satisfiable on their own (this should not happen for a bipartite request,
        # but the exact flow is the verdict, so say so rather than claim it is feasible).
        problems.append("The minimum and maximum loads cannot both be met under these conflicts; "
                        "lower some minimum loads or raise some maximum loads.")
    return Feasibility(False, problems, needed, upper.value, capacity, floors, per_proposal, short_p,
                       short_r, starved_p, starved_r, np.zeros((0, 2), np.int64))
