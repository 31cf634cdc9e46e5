"""Reviewer assignment: every constraint holds, the optimum is the true one (against brute force and an
independently built milp), column generation agrees with the full LP, and impossible requests are
explained in words."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

import genesis_desktop.review.assignment as assignment_module
from genesis_desktop.compute.kernel import Stopped
from genesis_desktop.review.assignment import AssignmentCancelled, InfeasibleAssignment, assign
from genesis_desktop.review.assignment_check import check_feasibility, make_request


def assert_valid(result, affinity, k, min_load, max_load, conflicts):
    n_p, n_r = affinity.shape
    k = np.broadcast_to(k, (n_p,))
    pairs = result.pairs
    assert len({tuple(p) for p in pairs.tolist()}) == len(pairs), "a pair appears twice"
    assert not conflicts[pairs[:, 0], pairs[:, 1]].any(), "a conflicted pair was assigned"
    np.testing.assert_array_equal(np.bincount(pairs[:, 0], minlength=n_p), k)
    loads = np.bincount(pairs[:, 1], minlength=n_r)
    np.testing.assert_array_equal(result.loads, loads)
    assert np.all(loads >= min_load) and np.all(loads <= max_load)
    for p in range(n_p):
        assert sorted(result.reviewers_of[p].tolist()) == sorted(pairs[pairs[:, 0] == p, 1].tolist())
    assert result.objective == pytest.approx(affinity[pairs[:, 0], pairs[:, 1]].sum(), abs=1e-9)
    assert result.lp_bound >= result.objective - 1e-9


def random_instance(seed, n_p, n_r, conflict_rate=0.1, topic=False):
    rng = np.random.default_rng(seed)
    if topic:  # low-rank, so that many proposals want the same reviewers and the caps bind
        proposals, reviewers = rng.dirichlet(np.full(5, 0.3), n_p), rng.dirichlet(np.full(5, 0.5), n_r)
        affinity = np.clip(proposals @ reviewers.T + rng.normal(0, 0.02, (n_p, n_r)), 0, 1)
    else:
        affinity = rng.random((n_p, n_r))
    return rng, affinity, rng.random((n_p, n_r)) < conflict_rate


@pytest.mark.parametrize("n_p, n_r, method", [(8, 5, "full"), (50, 20, "column"), (200, 60, "auto"),
                                              (400, 90, "column"), (400, 90, "full")])
def test_every_constraint_holds_on_random_instances(n_p, n_r, method):
    rng, affinity, conflicts = random_instance(n_p * 7 + n_r, n_p, n_r, topic=n_p > 100)
    k = rng.integers(1, 4, n_p)
    max_load = rng.integers(int(np.ceil(k.sum() / n_r)) + 1, int(np.ceil(k.sum() / n_r)) + 4, n_r)
    min_load = np.minimum(max_load, rng.integers(0, 2, n_r))
    result = assign(affinity, k, max_load, min_load=min_load, conflicts=conflicts, method=method)
    assert_valid(result, affinity, k, min_load, max_load, conflicts)
    assert result.gap == pytest.approx(0.0, abs=1e-7)


def brute_force_best(affinity, k, min_load, max_load, eligible):
    n_p, n_r = affinity.shape
    choices = [list(itertools.combinations(np.flatnonzero(eligible[p]).tolist(), k)) for p in range(n_p)]
    best = -np.inf
    for combo in itertools.product(*choices):
        loads = np.zeros(n_r, int)
        for reviewers in combo:
            loads[list(reviewers)] += 1
        if np.all(loads >= min_load) and np.all(loads <= max_load):
            best = max(best, sum(affinity[p, list(rs)].sum() for p, rs in enumerate(combo)))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_instances_match_brute_force(seed):
    rng, affinity, _ = random_instance(seed, 6, 4)
    conflicts = np.zeros((6, 4), bool)
    conflicts[rng.integers(0, 6, 3), rng.integers(0, 4, 3)] = True
    expected = brute_force_best(affinity, 2, 2, 4, ~conflicts)
    result = assign(affinity, 2, 4, min_load=2, conflicts=conflicts)
    assert_valid(result, affinity, 2, 2, 4, conflicts)
    assert result.objective == pytest.approx(expected, abs=1e-9)


def dense_milp_best(affinity, k, min_load, max_load, conflicts):
    """The same problem written independently: one binary per pair, conflicts fixed to 0."""
    n_p, n_r = affinity.shape
    per_proposal = np.kron(np.eye(n_p), np.ones(n_r))  # row p sums x[p, :]
    per_reviewer = np.kron(np.ones(n_p), np.eye(n_r))  # row r sums x[:, r]
    upper = np.where(conflicts.ravel(), 0.0, 1.0)
    result = milp(-affinity.ravel(), integrality=np.ones(n_p * n_r), bounds=Bounds(0, upper),
                  constraints=[LinearConstraint(per_proposal, k, k),
                               LinearConstraint(per_reviewer, min_load, max_load)])
    assert result.success
    return -result.fun


@pytest.mark.parametrize("seed", [3, 4])
def test_medium_small_instances_match_an_independent_milp(seed):
    rng, affinity, conflicts = random_instance(seed, 14, 7, topic=True)
    k = rng.integers(1, 4, 14)
    result = assign(affinity, k, 6, min_load=2, conflicts=conflicts, method="column")
    assert_valid(result, affinity, k, 2, 6, conflicts)
    assert result.objective == pytest.approx(dense_milp_best(affinity, k, 2, 6, conflicts), abs=1e-8)


@pytest.mark.parametrize("seed, min_load", [(5, 0), (6, 0), (7, 2)])
def test_column_generation_matches_the_full_lp(seed, min_load):
    rng, affinity, conflicts = random_instance(seed, 200, 60, conflict_rate=0.05, topic=True)
    full = assign(affinity, 3, 12, min_load=min_load, conflicts=conflicts, method="full")
    column = assign(affinity, 3, 12, min_load=min_load, conflicts=conflicts, method="column")
    assert_valid(column, affinity, 3, min_load, 12, conflicts)
    assert column.objective == pytest.approx(full.objective, abs=1e-7)
    assert column.lp_bound == pytest.approx(full.lp_bound, abs=1e-6)
    assert column.columns < full.columns == full.eligible_pairs


def crowded_instance():
    """Everyone prefers the same few reviewers, who can take only a few: the first candidate graph
    (each proposal's best reviewers) is far from enough, so pricing has to find the rest."""
    rng = np.random.default_rng(11)
    quality = np.sort(rng.random(40))[::-1]
    affinity = np.clip(quality[None, :] + rng.normal(0, 0.05, (150, 40)), 0, 1)
    return affinity, rng.random((150, 40)) < 0.05


def test_pricing_adds_the_pairs_the_candidate_graph_missed():
    affinity, conflicts = crowded_instance()
    full = assign(affinity, 2, 8, conflicts=conflicts, method="full")
    column = assign(affinity, 2, 8, conflicts=conflicts, method="column")
    assert column.rounds > 1
    assert column.objective == pytest.approx(full.objective, abs=1e-7)


def test_a_run_stopped_early_reports_a_true_upper_bound():
    affinity, conflicts = crowded_instance()
    full = assign(affinity, 2, 8, conflicts=conflicts, method="full")
    early = assign(affinity, 2, 8, conflicts=conflicts, method="column", max_rounds=1)
    assert_valid(early, affinity, 2, 0, 8, conflicts)
    assert early.gap > 1e-6 and "stopped" in early.method  # one round is not enough here, and it says so
    assert early.lp_bound >= full.objective - 1e-7 >= early.objective - 2e-7


def test_the_lp_prices_close_the_duality_gap_with_both_load_bounds_binding():
    # The prices are what pricing and the bound rest on: with them, the dual objective
    # sum k*proposal + sum max*max_price - sum min*min_price + sum of positive reduced profits
    # must equal the LP optimum, and each price must have its sign.
    affinity, conflicts = crowded_instance()
    request = make_request(affinity.shape, 2, 10, np.r_[np.zeros(35, int), np.full(5, 9)], conflicts)
    columns = assignment_module._initial_columns(affinity, request, check_feasibility(request).witness, 6)
    p_idx, r_idx = np.nonzero(columns)
    lp = assignment_module._solve_lp(affinity, request, p_idx, r_idx)
    assert (lp.max_load_price > 1e-6).any() and (lp.min_load_price > 1e-6).any()
    assert (lp.max_load_price >= -1e-9).all() and (lp.min_load_price >= -1e-9).all()
    profit = affinity[p_idx, r_idx] - lp.proposal_price[p_idx] - lp.reviewer_price[r_idx]
    dual = (request.k @ lp.proposal_price + request.max_load @ lp.max_load_price
            - request.min_load @ lp.min_load_price + np.maximum(profit, 0).sum())
    assert dual == pytest.approx(lp.objective, abs=1e-6)


def test_a_fractional_vertex_falls_back_to_milp(monkeypatch):
    rng, affinity, conflicts = random_instance(8, 30, 10)
    expected = assign(affinity, 2, 8, conflicts=conflicts)
    monkeypatch.setattr(assignment_module, "_whole_or_none", lambda x: None)
    result = assign(affinity, 2, 8, conflicts=conflicts)
    assert result.method.endswith("+ milp")
    assert_valid(result, affinity, 2, 0, 8, conflicts)
    assert result.objective == pytest.approx(expected.objective, abs=1e-9)


def infeasible(**request):
    with pytest.raises(InfeasibleAssignment) as caught:
        assign(**request)
    assert isinstance(caught.value, ValueError)
    return caught.value.feasibility, str(caught.value)


def test_a_proposal_whose_every_reviewer_is_conflicted_is_named():
    conflicts = np.zeros((4, 5), bool)
    conflicts[2, :] = True
    ids = ["P-A", "P-B", "P-C", "P-D"]
    feasibility, message = infeasible(affinity=np.ones((4, 5)), k=2, max_load=4, conflicts=conflicts,
                                      proposal_ids=ids)
    assert feasibility.short_proposals.tolist() == [2]
    assert "P-C (needs 2, has 0)" in message and "P-A" not in message
    assert "at most 6 of the 8 reviews" in message


def test_missing_capacity_is_stated():
    feasibility, message = infeasible(affinity=np.ones((10, 4)), k=3, max_load=5)
    assert (feasibility.reviews_needed, feasibility.capacity) == (30, 20)
    assert "30 reviews" in message and "add up to 20" in message and "10 reviews short" in message


def test_a_hall_violation_names_the_starved_proposals():
    # Proposals 0 and 1 need 2 reviewers each, and only reviewers 0, 1, 2 are free of conflicts with
    # them, each able to take one more proposal: 3 reviews for 4. Every count on its own looks fine.
    conflicts = np.zeros((4, 6), bool)
    conflicts[:2, 3:] = True
    max_load = np.array([1, 1, 1, 2, 2, 2])
    feasibility, message = infeasible(affinity=np.ones((4, 6)), k=2, max_load=max_load, conflicts=conflicts)
    assert feasibility.short_proposals.size == 0 and feasibility.capacity >= feasibility.reviews_needed
    assert feasibility.starved_proposals.tolist() == [0, 1]
    assert "Proposals 0 and 1 need 4 reviews" in message
    assert "reviewers 0, 1 and 2" in message and "at most 3" in message
    assert feasibility.reviews_placeable == 7


def test_minimum_loads_that_are_too_high_are_explained():
    _, total = infeasible(affinity=np.ones((4, 3)), k=1, max_load=3, min_load=2)
    assert "minimum loads add up to 6 reviews" in total and "need only 4" in total

    conflicts = np.zeros((6, 3), bool)
    conflicts[2:, 0] = True  # reviewer 0 may review only proposals 0 and 1
    f_one, one = infeasible(affinity=np.ones((6, 3)), k=1, max_load=4, min_load=[3, 0, 0], conflicts=conflicts)
    assert f_one.short_reviewers.tolist() == [0] and "reviewer 0 (minimum 3, may review 2)" in one

    conflicts = np.zeros((6, 4), bool)
    conflicts[2:, :2] = True  # reviewers 0 and 1 want 2 each, from proposals 0 and 1 that need 1 each
    f_group, group = infeasible(affinity=np.ones((6, 4)), k=1, max_load=3, min_load=[2, 2, 0, 0],
                                conflicts=conflicts)
    assert f_group.starved_reviewers.tolist() == [0, 1]
    assert "Reviewers 0 and 1 must take at least 4 reviews" in group and "at most 2" in group

    _, above = infeasible(affinity=np.ones((3, 2)), k=1, max_load=[1, 3], min_load=[2, 0])
    assert "minimum load is above the maximum load for reviewer 0 (min 2, max 1)" in above


def test_a_feasible_check_comes_with_a_witness_that_meets_every_bound():
    rng, affinity, conflicts = random_instance(9, 40, 12, conflict_rate=0.2)
    request = make_request(affinity.shape, 3, 12, 8, conflicts)
    feasibility = check_feasibility(request)
    assert feasibility.feasible and feasibility.problems == []
    witness = feasibility.witness
    assert not conflicts[witness[:, 0], witness[:, 1]].any()
    assert np.all(np.bincount(witness[:, 0], minlength=40) == 3)
    loads = np.bincount(witness[:, 1], minlength=12)
    assert np.all((loads >= 8) & (loads <= 12))


def test_cancel_and_progress():
    rng, affinity, conflicts = random_instance(10, 60, 20)
    seen = []
    assign(affinity, 2, 10, conflicts=conflicts, progress=lambda message, fraction: seen.append(fraction))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(AssignmentCancelled) as caught:
        assign(affinity, 2, 10, conflicts=conflicts, should_stop=lambda: True)
    assert isinstance(caught.value, Stopped)  # what the compute engine treats as a cancel


def test_conflicts_as_pairs_or_mask_agree_and_bad_input_is_refused():
    rng, affinity, conflicts = random_instance(12, 20, 8)
    by_mask = assign(affinity, 2, 6, conflicts=conflicts)
    by_pairs = assign(affinity, 2, 6, conflicts=list(zip(*np.nonzero(conflicts))))
    np.testing.assert_array_equal(by_mask.pairs, by_pairs.pairs)
    for bad in (dict(k=1.5, max_load=6), dict(k=[1, 2], max_load=6), dict(k=1, max_load=-1),
                dict(k=1, max_load=6, conflicts=[(20, 0)]), dict(k=1, max_load=6, conflicts=conflicts.T),
                dict(k=1, max_load=6, method="greedy")):
        with pytest.raises(ValueError):
            assign(affinity, **bad)
    with pytest.raises(ValueError):
        assign(np.full((2, 2), np.nan), 1, 2)


def test_nothing_to_assign_gives_an_empty_assignment():
    result = assign(np.ones((3, 2)), 0, 2)
    assert result.pairs.shape == (0, 2) and result.objective == 0.0 and result.loads.tolist() == [0, 0]
