"""Probability of funding and expected rank, from the calibrated qualities' joint posterior.

Each draw samples every proposal's quality jointly (reviewer offsets from their posterior, then each
quality given the offsets: exact, and it keeps the correlation between proposals that share a
reviewer), ranks the eligible proposals by mu + quality (rank 1 = best), and funds them.

The funding rule: go down the ranking and fund every proposal whose cost still fits in what is left
of the budget; one that does not fit is skipped and the next ones are still considered, so a cheaper
proposal further down can be funded after a dearer one above it was passed over. Zero-cost proposals
are always funded. Costs and budget are floats in one currency; pass integer minor units (exact below
2**53) so that "fits" is decided without rounding.

Random numbers: draw d uses the stream SeedSequence(seed, spawn_key=(d,)) and is computed within its
aligned block of DRAW_BLOCK draws, so the results depend only on (seed, draws), never on chunk_size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from genesis_desktop.review.calibration import Calibration

GREY_ZONE = (0.1, 0.9)
RANK_INTERVAL = (0.05, 0.95)
# Draws are computed in aligned blocks of this many, always whole: BLAS takes other paths (and
# rounds differently) for a triangular solve with few right-hand sides, so solving exactly the draws
# of a chunk would make the bits depend on chunk_size. A chunk_size that is a multiple of it never
# computes a block twice.
DRAW_BLOCK = 50


class Stopped(Exception):
    """funding_odds was asked to stop (should_stop() returned True) before it finished."""


@dataclass(frozen=True, eq=False)
class FundingOdds:
    probability_funded: np.ndarray  # per proposal; 0 for ineligible ones
    expected_rank: np.ndarray       # mean rank among eligible proposals (1 = best); NaN if ineligible
    rank_low: np.ndarray            # 5th percentile of the rank (the better end); NaN if ineligible
    rank_high: np.ndarray           # 95th percentile of the rank (the worse end); NaN if ineligible
    grey_zone: np.ndarray           # 0.1 <= probability_funded <= 0.9
    funded_at_mean: np.ndarray      # funded when proposals are ranked by their posterior mean
    funding_line: float             # see funding_odds; NaN when not even the top proposal fits
    spent: np.ndarray               # per draw: total cost funded (never above budget)
    funded_count: np.ndarray        # per draw: number of proposals funded
    draws: int


def _block_qualities(cal: Calibration, seed: int, block: int) -> np.ndarray:
    post = cal.posterior
    n_offsets = post.n_offset_normals
    draws = range(block * DRAW_BLOCK, (block + 1) * DRAW_BLOCK)
    z = np.stack([np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(d,))).standard_normal(
        n_offsets + len(post.quality_mean)) for d in draws])
    return post.draw_quality(z[:, :n_offsets], z[:, n_offsets:])


def draw_qualities(cal: Calibration, seed: int, first: int, stop: int) -> np.ndarray:
    """Qualities (stop - first, proposals) of draws first..stop-1, exactly as funding_odds uses them."""
    blocks = range(first // DRAW_BLOCK, -(-stop // DRAW_BLOCK))
    whole = np.concatenate([_block_qualities(cal, seed, b) for b in blocks])
    return whole[first - blocks.start * DRAW_BLOCK: stop - blocks.start * DRAW_BLOCK]


def fund_in_rank_order(order: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """Funded mask (draws, proposals) for rankings order (draws, k): order[d] lists proposal indices,
    best first. Applies the module's rule: fund whatever still fits, skip what does not."""
    order = np.atleast_2d(order)
    ranked_cost = cost[order]
    funded_ranked = np.zeros(order.shape, bool)
    # The unbroken top of each ranking fits as a block; only the rest needs the sequential rule.
    spent_before_break = np.cumsum(ranked_cost, axis=1)
    in_top = spent_before_break <= budget
    funded_ranked |= in_top
    top_len = in_top.sum(axis=1)
    rows = np.arange(len(order))
    remaining = budget - np.where(top_len > 0, spent_before_break[rows, np.maximum(top_len - 1, 0)], 0.0)
    # Cheapest positive cost from each position on: once the remaining budget is below it for every
    # draw, nothing further can be funded (zero costs are funded separately, below).
    positive = np.where(ranked_cost > 0, ranked_cost, np.inf)
    cheapest_after = np.minimum.accumulate(positive[:, ::-1], axis=1)[:, ::-1]
    for pos in range(int(top_len.min()) if order.shape[1] else 0, order.shape[1]):
        if (remaining < cheapest_after[:, pos]).all():
            break
        take = (pos > top_len) & (ranked_cost[:, pos] <= remaining)
        remaining -= np.where(take, ranked_cost[:, pos], 0.0)
        funded_ranked[:, pos] |= take
    funded_ranked |= ranked_cost == 0
    funded = np.zeros((len(order), len(cost)), bool)
    np.put_along_axis(funded, order, funded_ranked, axis=1)
    return funded


def _validated(cal, cost, budget, draws, eligible, chunk_size):
    n = len(cal.quality_mean)
    cost = np.asarray(cost, float)
    if cost.shape != (n,):
        raise ValueError(f"cost must have one entry per proposal ({n}), got shape {cost.shape}")
    if not np.isfinite(cost).all() or (cost < 0).any():
        at = int(np.flatnonzero(~(np.isfinite(cost) & (cost >= 0)))[0])
        raise ValueError(f"cost must be finite and >= 0, got {cost[at]} for proposal {at}")
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be finite and >= 0, got {budget}")
    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws}")
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
    if eligible is None:
        eligible = np.ones(n, bool)
    eligible = np.asarray(eligible)
    if eligible.shape != (n,) or eligible.dtype != bool:
        raise ValueError(f"eligible must be a boolean mask of {n} proposals, got {eligible.dtype} {eligible.shape}")
    return cost, float(budget), int(draws), eligible, int(chunk_size)


def funding_odds(cal: Calibration, cost: np.ndarray, budget: float, draws: int = 1000,
                 seed: int = 0, eligible: np.ndarray | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 chunk_size: int = 100) -> FundingOdds:
    """Probability of funding and rank distribution of each proposal over `draws` posterior draws.

    Only `eligible` proposals (default: all) compete for the budget. `funding_line` is where to draw
    the line on a chart of calibrated scores (mu + quality_mean): the calibrated score of the last
    proposal funded before the first one that does not fit, in the posterior-mean ranking. Every
    eligible proposal scoring at or above it is funded at the mean; below it, only those that
    `funded_at_mean` marks (cheaper ones the skip rule reached). should_stop() is asked before each
    chunk of draws (raises Stopped); progress(done, draws) is told after each."""
    cost, budget, draws, eligible, chunk_size = _validated(cal, cost, budget, draws, eligible, chunk_size)
    n = len(cost)
    candidates = np.flatnonzero(eligible)
    n_candidates = len(candidates)
    candidate_cost = cost[candidates]
    rank_dtype = np.uint16 if n_candidates < 2 ** 16 else np.uint32
    ranks = np.empty((draws, n_candidates), rank_dtype)  # kept whole for the rank percentiles
    funded_total = np.zeros(n_candidates)
    spent = np.zeros(draws)
    funded_count = np.zeros(draws, int)

    for first in range(0, draws, chunk_size):
        if should_stop is not None and should_stop():
            raise Stopped(f"funding odds stopped after {first} of {draws} draws")
        stop = min(first + chunk_size, draws)
        quality = draw_qualities(cal, seed, first, stop)[:, candidates]
        order = np.argsort(-quality, axis=1)  # ties have probability zero: any sort will do
        np.put_along_axis(ranks[first:stop], order,
                          np.arange(1, n_candidates + 1, dtype=rank_dtype)[None, :], axis=1)
        funded = fund_in_rank_order(order, candidate_cost, budget)
        funded_total += funded.sum(axis=0)
        spent[first:stop] = funded @ candidate_cost
        funded_count[first:stop] = funded.sum(axis=1)
        if progress is not None:
            progress(stop, draws)

    probability = np.zeros(n)
    probability[candidates] = funded_total / draws
    expected_rank, rank_low, rank_high = (np.full(n, np.nan) for _ in range(3))
    if n_candidates:
        expected_rank[candidates] = ranks.mean(axis=0)
        # inverted_cdf keeps the interval's ends on ranks that actually occurred.
        rank_low[candidates], rank_high[candidates] = np.quantile(ranks, RANK_INTERVAL, axis=0,
                                                                  method="inverted_cdf")

    mean_order = np.argsort(-cal.quality_mean[candidates], kind="stable")
    funded_at_mean = np.zeros(n, bool)
    funded_at_mean[candidates] = fund_in_rank_order(mean_order, candidate_cost, budget)[0]
    top_run = np.cumsum(candidate_cost[mean_order]) <= budget
    unbroken = int(np.argmin(top_run)) if not top_run.all() else n_candidates
    funding_line = (float(cal.mu + cal.quality_mean[candidates[mean_order[unbroken - 1]]])
                    if unbroken else float("nan"))
    return FundingOdds(probability_funded=probability, expected_rank=expected_rank, rank_low=rank_low,
                       rank_high=rank_high,
                       grey_zone=(probability >= GREY_ZONE[0]) & (probability <= GREY_ZONE[1]),
                       funded_at_mean=funded_at_mean, funding_line=funding_line, spent=spent,
                       funded_count=funded_count, draws=draws)
