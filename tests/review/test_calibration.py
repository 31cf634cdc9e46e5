"""Reviewer calibration: recovery of planted effects, agreement with brute-force dense algebra, and
input errors that name the problem."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from genesis_desktop.review.calibration import calibrate


def simulate(n_proposals, n_reviewers, var_q, var_b, var_e, seed, mu=5.0, reviews=(3, 4)):
    """Each proposal gets 3 or 4 distinct reviewers at random; returns the reviews and the truth."""
    rng = np.random.default_rng(seed)
    per = rng.integers(reviews[0], reviews[1] + 1, n_proposals)
    proposal = np.repeat(np.arange(n_proposals), per)
    reviewer = np.concatenate([rng.choice(n_reviewers, k, replace=False) for k in per])
    quality = rng.normal(0, np.sqrt(var_q), n_proposals)
    offset = rng.normal(0, np.sqrt(var_b), n_reviewers)
    score = mu + quality[proposal] + offset[reviewer] + rng.normal(0, np.sqrt(var_e), len(proposal))
    return proposal, reviewer, score, quality, offset


def dense_model(proposal, reviewer, n_proposals, n_reviewers, var_q, var_b, var_e):
    """Incidence matrices, the scores' covariance and the joint posterior precision, built whole."""
    n = len(proposal)
    a = np.zeros((n, n_proposals))
    a[np.arange(n), proposal] = 1
    b = np.zeros((n, n_reviewers))
    b[np.arange(n), reviewer] = 1
    cov = var_e * np.eye(n) + var_q * a @ a.T + var_b * b @ b.T
    z = np.hstack([a, b])
    prior = np.r_[np.full(n_proposals, 1 / var_q), np.full(n_reviewers, 1 / var_b)]
    precision = z.T @ z / var_e + np.diag(prior)
    return z, cov, precision


def coverage(mean, sd, truth):
    return np.mean(np.abs(mean - truth) <= 1.96 * sd)


def test_recovers_planted_offsets_and_qualities():
    var_q, var_b, var_e = 1.0, 0.5, 0.25
    proposal, reviewer, score, quality, offset = simulate(300, 80, var_q, var_b, var_e, seed=11)
    cal = calibrate(proposal, reviewer, score)
    assert cal.converged and cal.at_bound == ()
    assert coverage(cal.offset_mean, cal.offset_sd, offset) >= 0.88
    assert coverage(cal.quality_mean, cal.quality_sd, quality) >= 0.90
    assert 0.6 * var_q < cal.var_quality < 1.6 * var_q
    assert 0.5 * var_b < cal.var_offset < 2.0 * var_b
    assert 0.6 * var_e < cal.var_noise < 1.6 * var_e
    # The posterior means track the truth, not just cover it: offsets are pinned by 15 reviews each.
    assert np.corrcoef(cal.offset_mean, offset)[0, 1] > 0.9
    assert abs(cal.mu - 5.0) < 0.5


def test_calibrated_ranking_beats_raw_mean_when_offsets_are_large():
    proposal, reviewer, score, quality, _ = simulate(300, 80, 1.0, 2.0, 0.25, seed=12)
    cal = calibrate(proposal, reviewer, score)
    calibrated = stats.spearmanr(cal.quality_mean, quality).statistic
    raw = stats.spearmanr(cal.raw_mean, quality).statistic
    assert calibrated > raw + 0.1
    assert calibrated > 0.85


def small_instance():
    """12 proposals (10 and 11 unreviewed), 7 reviewers (6 reviews nothing), one repeated review."""
    rng = np.random.default_rng(3)
    proposal = np.r_[np.repeat(np.arange(10), 3), 4]
    reviewer = np.r_[np.concatenate([rng.choice(6, 3, replace=False) for _ in range(10)]), 0]
    proposal[-1], reviewer[-1] = proposal[1], reviewer[1]  # the same reviewer scores proposal 0 twice
    score = 3 + rng.normal(0, 1, 10)[proposal] + rng.normal(0, 0.8, 6)[reviewer] + rng.normal(0, 0.5, len(proposal))
    return proposal, reviewer, score, 12, 7


def test_closed_form_posterior_equals_dense_solve():
    proposal, reviewer, score, n_p, n_r = small_instance()
    cal = calibrate(proposal, reviewer, score, n_p, n_r)
    z, cov, precision = dense_model(proposal, reviewer, n_p, n_r, cal.var_quality, cal.var_offset, cal.var_noise)
    posterior_cov = np.linalg.inv(precision)
    mean = posterior_cov @ z.T @ (score - cal.mu) / cal.var_noise
    np.testing.assert_allclose(cal.quality_mean, mean[:n_p], atol=1e-9)
    np.testing.assert_allclose(cal.offset_mean, mean[n_p:], atol=1e-9)
    np.testing.assert_allclose(cal.quality_sd, np.sqrt(np.diag(posterior_cov)[:n_p]), rtol=1e-9)
    np.testing.assert_allclose(cal.offset_sd, np.sqrt(np.diag(posterior_cov)[n_p:]), rtol=1e-9)
    # mu is the generalised-least-squares mean under the model covariance.
    inv_cov = np.linalg.inv(cov)
    ones = np.ones(len(score))
    assert cal.mu == pytest.approx(ones @ inv_cov @ score / (ones @ inv_cov @ ones), abs=1e-10)
    direct = stats.multivariate_normal(np.full(len(score), cal.mu), cov).logpdf(score)
    assert cal.log_marginal_likelihood == pytest.approx(direct, abs=1e-8)


def test_given_variances_match_dense_at_arbitrary_values():
    proposal, reviewer, score, n_p, n_r = small_instance()
    variances = (0.7, 2.5, 0.1)
    cal = calibrate(proposal, reviewer, score, n_p, n_r, variances=variances)
    assert (cal.var_quality, cal.var_offset, cal.var_noise) == pytest.approx(variances, rel=1e-12)
    _, cov, precision = dense_model(proposal, reviewer, n_p, n_r, *variances)
    direct = stats.multivariate_normal(np.full(len(score), cal.mu), cov).logpdf(score)
    assert cal.log_marginal_likelihood == pytest.approx(direct, abs=1e-8)
    np.testing.assert_allclose(cal.quality_sd, np.sqrt(np.diag(np.linalg.inv(precision))[:n_p]), rtol=1e-9)


def test_fitted_variances_maximise_the_marginal_likelihood():
    proposal, reviewer, score, _, _ = simulate(60, 15, 1.0, 0.5, 0.3, seed=4)
    cal = calibrate(proposal, reviewer, score)
    fitted = np.array([cal.var_quality, cal.var_offset, cal.var_noise])
    for i in range(3):
        for factor in (0.9, 1.1):
            moved = fitted.copy()
            moved[i] *= factor
            other = calibrate(proposal, reviewer, score, variances=tuple(moved))
            assert other.log_marginal_likelihood < cal.log_marginal_likelihood


def test_unreviewed_proposals_and_reviewers_keep_the_prior():
    proposal, reviewer, score, n_p, n_r = small_instance()
    cal = calibrate(proposal, reviewer, score, n_p, n_r)
    assert cal.quality_mean[10:].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(cal.quality_sd[10:], np.sqrt(cal.var_quality))
    assert np.isnan(cal.raw_mean[10:]).all() and np.isfinite(cal.raw_mean[:10]).all()
    assert cal.offset_mean[6] == 0.0 and cal.offset_sd[6] == pytest.approx(np.sqrt(cal.var_offset))
    assert cal.reviews_per_proposal[0] == 4 and cal.reviews_per_proposal[11] == 0
    # Reviewed proposals are known better than the prior.
    assert (cal.quality_sd[:10] < np.sqrt(cal.var_quality)).all()


def test_lenient_reviewer_gets_a_positive_offset():
    proposal, reviewer, score, _, _ = simulate(200, 40, 1.0, 0.3, 0.3, seed=8)
    score = np.where(reviewer == 7, score + 3.0, score)
    cal = calibrate(proposal, reviewer, score)
    assert np.argmax(cal.offset_mean) == 7 and cal.offset_mean[7] > 2.0


GOOD = dict(proposal=np.array([0, 0, 1]), reviewer=np.array([0, 1, 0]), score=np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("change, message", [
    (dict(score=np.array([1.0, 2.0])), "same length"),
    (dict(proposal=np.array([0, -1, 1])), r"proposal index must be >= 0, got -1 at review 1"),
    (dict(reviewer=np.array([0, 1, -2])), r"reviewer index must be >= 0, got -2 at review 2"),
    (dict(score=np.array([1.0, np.nan, 3.0])), r"score must be finite, got nan at review 1"),
    (dict(score=np.array([1.0, 2.0, np.inf])), r"score must be finite, got inf at review 2"),
    (dict(proposal=np.array([0.0, 0.0, 1.0])), "proposal must hold integer indices"),
    (dict(proposal=np.array([0]), reviewer=np.array([0]), score=np.array([1.0])), "at least 2 reviews"),
    (dict(proposal=np.zeros((3, 1), int)), "1-D"),
    (dict(score=np.array([2.0, 2.0, 2.0])), "no variation"),
    (dict(n_proposals=1), r"n_proposals=1 but proposal index 1 occurs"),
    (dict(n_reviewers=1), r"n_reviewers=1 but reviewer index 1 occurs"),
    (dict(variances=(1.0, 0.0, 1.0)), "variances must be three positive"),
])
def test_input_errors_name_the_problem(change, message):
    with pytest.raises(ValueError, match=message):
        calibrate(**{**GOOD, **change})
