"""Probability of funding: the joint posterior draws, the funding rule, the budget, reproducibility,
stopping and the grey zone."""
from __future__ import annotations

import numpy as np
import pytest

from genesis_desktop.review.calibration import calibrate
from genesis_desktop.review.ranking import (Stopped, draw_qualities, fund_in_rank_order,
                                            funding_odds)


def simulated_calibration(n_proposals=120, n_reviewers=30, seed=5, planted=None):
    """Calibration of 4 reviews per proposal; `planted` overrides some true qualities."""
    rng = np.random.default_rng(seed)
    proposal = np.repeat(np.arange(n_proposals), 4)
    reviewer = np.concatenate([rng.choice(n_reviewers, 4, replace=False) for _ in range(n_proposals)])
    quality = rng.normal(0, 1, n_proposals)
    for index, value in (planted or {}).items():
        quality[index] = value
    score = 5 + quality[proposal] + rng.normal(0, 0.7, n_reviewers)[reviewer] + rng.normal(0, 0.5, len(proposal))
    return calibrate(proposal, reviewer, score)


def reference_funding(order, cost, budget):
    """The documented rule, one proposal at a time."""
    remaining, funded = budget, set()
    for index in order:
        if cost[index] <= remaining:
            funded.add(int(index))
            remaining -= cost[index]
    return funded


@pytest.fixture(scope="module")
def cal():
    return simulated_calibration(planted={0: 6.0, 1: -6.0})


@pytest.fixture(scope="module")
def cost():
    return np.random.default_rng(9).integers(50, 400, 120).astype(float)


def test_skip_rule_funds_a_cheaper_proposal_below_one_that_does_not_fit():
    funded = fund_in_rank_order(np.array([[0, 1, 2, 3]]), np.array([5.0, 6.0, 2.0, 0.0]), 8.0)
    assert funded.tolist() == [[True, False, True, True]]


def test_funding_rule_matches_one_at_a_time_reference():
    rng = np.random.default_rng(1)
    cost = rng.integers(0, 50, 40).astype(float)  # includes zero costs
    for budget in (0.0, 17.0, 300.0, 5000.0):
        orders = np.stack([rng.permutation(40) for _ in range(30)])
        funded = fund_in_rank_order(orders, cost, budget)
        for order, row in zip(orders, funded):
            assert set(np.flatnonzero(row).tolist()) == reference_funding(order, cost, budget)
            assert cost[row].sum() <= budget


def test_joint_draws_have_the_dense_posterior_covariance():
    """Draws of quality must carry the correlations that shared reviewers create, not just the
    marginal sds: compare with the quality block of the dense posterior covariance."""
    rng = np.random.default_rng(2)
    proposal = np.repeat(np.arange(8), 3)
    reviewer = np.concatenate([rng.choice(5, 3, replace=False) for _ in range(8)])
    score = rng.normal(0, 1, 8)[proposal] + rng.normal(0, 1.5, 5)[reviewer] + rng.normal(0, 0.3, 24)
    var_q, var_b, var_e = 1.0, 2.0, 0.1
    small = calibrate(proposal, reviewer, score, variances=(var_q, var_b, var_e))
    z = np.zeros((24, 13))
    z[np.arange(24), proposal] = 1
    z[np.arange(24), 8 + reviewer] = 1
    precision = z.T @ z / var_e + np.diag(np.r_[np.full(8, 1 / var_q), np.full(5, 1 / var_b)])
    dense_cov = np.linalg.inv(precision)[:8, :8]
    sd = np.sqrt(np.diag(dense_cov))
    assert (dense_cov / np.outer(sd, sd))[np.triu_indices(8, 1)].min() > 0.3  # correlations worth testing

    draws = draw_qualities(small, seed=3, first=0, stop=20_000)
    # Tolerances are about 6 standard errors of 20,000 draws.
    np.testing.assert_allclose(draws.mean(axis=0), small.quality_mean, atol=0.015)
    np.testing.assert_allclose(np.cov(draws.T), dense_cov, atol=0.007)


def test_probabilities_ranks_and_budget(cal, cost):
    budget = 0.3 * cost.sum()
    odds = funding_odds(cal, cost, budget, draws=400, seed=1)
    p = odds.probability_funded
    assert p.shape == (120,) and ((p >= 0) & (p <= 1)).all()
    assert p[0] == 1.0 and p[1] == 0.0  # planted clearly best and clearly worst
    assert odds.expected_rank[0] < 1.5 and odds.expected_rank[1] > 119
    assert odds.draws == 400 and odds.spent.shape == (400,)
    assert (odds.spent <= budget).all() and (odds.spent > 0.8 * budget).all()
    assert p.sum() == pytest.approx(odds.funded_count.mean())
    # Ranks are a permutation in every draw, so their means sum to 1 + ... + n.
    assert odds.expected_rank.sum() == pytest.approx(120 * 121 / 2)
    assert (odds.rank_low >= 1).all() and (odds.rank_low <= odds.rank_high).all() and (odds.rank_high <= 120).all()
    assert odds.rank_low[0] == odds.rank_high[0] == 1 and odds.rank_low[1] == odds.rank_high[1] == 120
    assert np.median(odds.rank_high - odds.rank_low) > 5  # the rest are genuinely uncertain


def test_grey_zone_is_exactly_between_ten_and_ninety_percent(cal, cost):
    odds = funding_odds(cal, cost, 0.3 * cost.sum(), draws=300, seed=2)
    p = odds.probability_funded
    assert odds.grey_zone.tolist() == ((p >= 0.1) & (p <= 0.9)).tolist()
    assert 0 < odds.grey_zone.sum() < 120


def test_same_seed_same_results_whatever_the_chunk_size(cal, cost):
    runs = [funding_odds(cal, cost, 0.25 * cost.sum(), draws=130, seed=7, chunk_size=k) for k in (1, 7, 100, 500)]
    for other in runs[1:]:
        for field in ("probability_funded", "expected_rank", "rank_low", "rank_high", "spent"):
            np.testing.assert_array_equal(getattr(other, field), getattr(runs[0], field))
    different = funding_odds(cal, cost, 0.25 * cost.sum(), draws=130, seed=8)
    assert not np.array_equal(different.spent, runs[0].spent)


def test_should_stop_stops_and_progress_reports(cal, cost):
    reports, asked = [], []

    def stop_on_third_chunk():
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(Stopped, match="after 100 of 500 draws"):
        funding_odds(cal, cost, 1000.0, draws=500, chunk_size=50, should_stop=stop_on_third_chunk,
                     progress=lambda done, total: reports.append((done, total)))
    assert reports == [(50, 500), (100, 500)]
    reports.clear()
    funding_odds(cal, cost, 1000.0, draws=120, chunk_size=50, progress=lambda d, t: reports.append((d, t)))
    assert reports == [(50, 120), (100, 120), (120, 120)]


def test_ineligible_proposals_neither_compete_nor_get_funded(cal, cost):
    eligible = np.ones(120, bool)
    eligible[[0, 5, 6]] = False
    odds = funding_odds(cal, cost, 0.3 * cost.sum(), draws=200, eligible=eligible)
    assert odds.probability_funded[~eligible].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(odds.expected_rank[~eligible]).all() and not odds.funded_at_mean[~eligible].any()
    assert odds.expected_rank[eligible].sum() == pytest.approx(117 * 118 / 2)


def test_funding_line_is_the_payline_of_the_posterior_mean_ranking(cal, cost):
    budget = 0.3 * cost.sum()
    odds = funding_odds(cal, cost, budget, draws=50)
    score = cal.calibrated_score
    assert cost[odds.funded_at_mean].sum() <= budget
    assert odds.funded_at_mean[score >= odds.funding_line].all()
    order = np.argsort(-score)
    assert set(np.flatnonzero(odds.funded_at_mean).tolist()) == reference_funding(order, cost, budget)
    first_skipped = order[np.argmin(np.cumsum(cost[order]) <= budget)]
    assert odds.funding_line > score[first_skipped]
    assert np.isnan(funding_odds(cal, cost, 1.0, draws=50).funding_line)  # not even the top fits


@pytest.mark.parametrize("kwargs, message", [
    (dict(cost=np.ones(3)), "one entry per proposal"),
    (dict(cost=-np.ones(120)), "finite and >= 0"),
    (dict(budget=-1.0), "budget must be finite"),
    (dict(draws=0), "draws must be a positive integer"),
    (dict(eligible=np.ones(120)), "boolean mask"),
])
def test_input_errors_name_the_problem(cal, kwargs, message):
    with pytest.raises(ValueError, match=message):
        funding_odds(cal, **{"cost": np.ones(120), "budget": 10.0, **kwargs})
