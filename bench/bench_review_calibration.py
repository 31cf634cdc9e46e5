"""Reviewer calibration and funding odds at programme scale, against baselines run in this process.

    python bench/bench_review_calibration.py [--proposals 5000] [--reviewers 1500] [--reviews 3]
                                             [--draws 1000] [--loop-draws 50] [--threads 1]
                                             [--skip-dense]

A panel with planted effects (var_quality 1, var_offset 0.5, var_noise 0.36) is calibrated, then
1,000 posterior draws give the probability of funding under a budget of 20% of the total cost (costs
drawn from 100,000 to 2,000,000). BLAS runs on --threads threads (default 1, as in a local-backend
worker). Printed:
- calibrate(): seconds, marginal-likelihood evaluations, seconds per evaluation;
- the baseline for it: one evaluation of the same likelihood and posterior by a dense Cholesky of the
  whole (proposals + reviewers) posterior precision, scaled by the evaluations the fit used;
- recovery: coverage of the 95% intervals of offsets and qualities, fitted against planted variances;
- funding_odds(): seconds for the draws, against a plain per-draw Python loop (one triangular solve,
  sorted(), a Python funding loop) timed on --loop-draws draws and scaled.
Nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import time


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proposals", type=int, default=5000)
    ap.add_argument("--reviewers", type=int, default=1500)
    ap.add_argument("--reviews", type=int, default=3)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--loop-draws", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads (default 1, as a local-backend worker runs)")
    ap.add_argument("--skip-dense", action="store_true", help="skip the dense baseline (memory: (P+R)^2 doubles)")
    return ap.parse_args(argv)


if __name__ == "__main__":
    # Before numpy loads, as worker.init_worker does: BLAS reads its thread count once. On a 2-core
    # machine with other work running, 2 OpenBLAS threads made calibrate swing from 2.5 s to 25 s.
    ARGS = parse_args()
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = str(ARGS.threads)

import numpy as np  # noqa: E402
from scipy import linalg  # noqa: E402

from genesis_desktop.review.calibration import calibrate  # noqa: E402
from genesis_desktop.review.ranking import funding_odds  # noqa: E402

TRUE_VARIANCES = (1.0, 0.5, 0.36)


def simulate(proposals: int, reviewers: int, reviews: int, seed: int = 2026):
    rng = np.random.default_rng(seed)
    proposal = np.repeat(np.arange(proposals), reviews)
    # Distinct reviewers per proposal, drawn at random: loads vary (about 10 +- 3 reviews each).
    reviewer = np.concatenate([rng.choice(reviewers, reviews, replace=False) for _ in range(proposals)])
    var_q, var_b, var_e = TRUE_VARIANCES
    quality = rng.normal(0, np.sqrt(var_q), proposals)
    offset = rng.normal(0, np.sqrt(var_b), reviewers)
    score = 5.0 + quality[proposal] + offset[reviewer] + rng.normal(0, np.sqrt(var_e), len(proposal))
    cost = rng.integers(100_000, 2_000_000, proposals).astype(float)  # whole currency units
    return proposal, reviewer, score, quality, offset, cost


def dense_evaluation(proposal, reviewer, score, n_p, n_r, var_q, var_b, var_e, mu) -> float:
    """The textbook route: the joint posterior precision as one dense matrix, its Cholesky, the mean
    and log|Q| for the likelihood. Returns the log marginal likelihood (to check it agrees)."""
    n = len(score)
    precision = np.zeros((n_p + n_r, n_p + n_r))
    np.add.at(precision, (proposal, proposal), 1 / var_e)
    np.add.at(precision, (n_p + reviewer, n_p + reviewer), 1 / var_e)
    np.add.at(precision, (proposal, n_p + reviewer), 1 / var_e)
    np.add.at(precision, (n_p + reviewer, proposal), 1 / var_e)
    precision[np.diag_indices_from(precision)] += np.r_[np.full(n_p, 1 / var_q), np.full(n_r, 1 / var_b)]
    r = score - mu
    h = np.r_[np.bincount(proposal, r, n_p), np.bincount(reviewer, r, n_r)] / var_e
    chol = linalg.cholesky(precision, lower=True)
    mean = linalg.cho_solve((chol, True), h)
    quad = r @ r / var_e - h @ mean
    logdet = (n * np.log(var_e) + n_p * np.log(var_q) + n_r * np.log(var_b)
              + 2 * np.log(np.diag(chol)).sum())
    return -0.5 * (n * np.log(2 * np.pi) + logdet + quad)


def python_loop_draws(cal, cost, budget, draws, seed=0):
    """One draw at a time: draw offsets (a single-vector triangular solve), then qualities, rank with
    sorted(), fund in a Python loop."""
    post = cal.posterior
    n_off, n_p = post.n_offset_normals, len(post.quality_mean)
    funded_count = [0] * n_p
    counts = post.counts.tocsr()
    for d in range(draws):
        z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(d,))).standard_normal(n_off + n_p)
        dev = np.sqrt(post.var_noise) * linalg.solve_triangular(post.offset_factor, z[:n_off], lower=True, trans="T")
        shifts = counts @ dev
        quality = [post.quality_mean[i] - post.shrink[i] * shifts[i]
                   + z[n_off + i] * np.sqrt(post.var_noise * post.shrink[i]) for i in range(n_p)]
        remaining = budget
        for i in sorted(range(n_p), key=lambda k: -quality[k]):
            if cost[i] <= remaining:
                remaining -= cost[i]
                funded_count[i] += 1
    return funded_count


def main(args: argparse.Namespace) -> None:
    proposal, reviewer, score, quality, offset, cost = simulate(args.proposals, args.reviewers, args.reviews)
    print(f"{len(score):,} reviews, {args.proposals:,} proposals, {args.reviewers:,} reviewers; "
          f"{os.cpu_count()} CPUs, {args.threads} BLAS thread(s), load average {os.getloadavg()[0]:.2f}")

    t0 = time.perf_counter()
    cal = calibrate(proposal, reviewer, score, args.proposals, args.reviewers)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    calibrate(proposal, reviewer, score, args.proposals, args.reviewers,
              variances=(cal.var_quality, cal.var_offset, cal.var_noise))
    t_one = time.perf_counter() - t0
    evaluations = cal.evaluations + 1  # the search, then the final posterior
    print(f"calibrate                      {t_fit:8.2f} s   {evaluations} evaluations, "
          f"one evaluation at fixed variances {t_one:.2f} s")
    if not args.skip_dense:
        t0 = time.perf_counter()
        dense = dense_evaluation(proposal, reviewer, score, args.proposals, args.reviewers,
                                 cal.var_quality, cal.var_offset, cal.var_noise, cal.mu)
        t_dense = time.perf_counter() - t0
        print(f"dense joint precision, 1 eval  {t_dense:8.2f} s   x {evaluations} evaluations = "
              f"{t_dense * evaluations:.1f} s; ratio dense / calibrate {t_dense * evaluations / t_fit:.1f}  "
              f"(log-likelihoods agree to {abs(dense - cal.log_marginal_likelihood):.1e})")

    def cover(mean, sd, truth):
        return np.mean(np.abs(mean - truth) <= 1.96 * sd)
    print(f"95% interval coverage          offsets {cover(cal.offset_mean, cal.offset_sd, offset):.3f}, "
          f"qualities {cover(cal.quality_mean, cal.quality_sd, quality):.3f}; "
          f"corr(offset, planted) {np.corrcoef(cal.offset_mean, offset)[0, 1]:.3f}")
    print("variances fitted (planted)     quality {:.3f} ({}), offset {:.3f} ({}), noise {:.3f} ({})".format(
        cal.var_quality, TRUE_VARIANCES[0], cal.var_offset, TRUE_VARIANCES[1], cal.var_noise, TRUE_VARIANCES[2]))

    budget = 0.2 * cost.sum()
    t0 = time.perf_counter()
    odds = funding_odds(cal, cost, budget, draws=args.draws, seed=1)
    t_rank = time.perf_counter() - t0
    t0 = time.perf_counter()
    python_loop_draws(cal, cost, budget, args.loop_draws, seed=1)
    t_loop = (time.perf_counter() - t0) * args.draws / args.loop_draws
    print(f"funding_odds, {args.draws} draws       {t_rank:8.2f} s   {args.draws / t_rank:,.0f} draws/s")
    print(f"Python loop, {args.loop_draws} draws scaled  {t_loop:8.2f} s   ratio loop / funding_odds "
          f"{t_loop / t_rank:.1f}")
    print(f"funded per draw {odds.funded_count.mean():.1f} (sd {odds.funded_count.std():.1f}), "
          f"grey zone {odds.grey_zone.sum():,} proposals, max spent / budget {odds.spent.max() / budget:.4f}, "
          f"funding line {odds.funding_line:.3f}")


if __name__ == "__main__":
    main(ARGS)
