"""Score calibration and funding odds as a compute job: the fit once per process, the posterior draws
in blocks.

Parameters (plain JSON, made from a call's records by job_inputs.calibration_params):

    call             the call's number, kept with the run
    currency         ISO 4217 code of the costs and the budget
    budget           the money to share, integer minor units
    costs            {code: integer minor units}: the proposals that compete for the budget
    fit_only         [code]: proposals whose reviews help measure the reviewers but that do not
                     compete (declined or withdrawn ones); default none
    scale            {low, high, best}: the scale of the rubric total; best "low" for NIH's 1..9
    reviews          [[code, email, total]]: submitted reviews, total on `scale`; every code is in
                     costs or fit_only
    titles, names    {code: title}, {email: name}: shown with the result (default empty)
    draws            posterior draws (1000); draws_per_block (100, a multiple of ranking.DRAW_BLOCK)
    notes            free JSON kept with the run (what job_inputs left out and why)

The model (calibration.calibrate) is fitted on scores made "higher is better" (negated when best is
"low"); everything in the result is turned back to the rubric's own scale, except leniency, whose
sign always means generosity. A competing proposal without reviews is listed with probability 0
and no rank: there is nothing to rank it by. Block b holds draws [b x draws_per_block, ...) computed
as ranking.draw_qualities does, so combining the blocks in order gives exactly ranking.funding_odds.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from genesis_desktop.compute.jobs import whole_number
from genesis_desktop.compute.kernel import Estimate, Partial, SpecError, checkpoint
from genesis_desktop.portfolio.money import MoneyError, check_currency, minor_digits

from .calibration import Calibration, calibrate
from .kernel_params import with_defaults
from .ranking import DRAW_BLOCK, GREY_ZONE, RANK_INTERVAL, draw_qualities, fund_in_rank_order

Z95 = 1.959963984540054
MAX_DRAWS = 200_000  # the ranks of every draw are kept (for their percentiles): 2 bytes x draws x proposals
DEFAULTS: Mapping[str, Any] = {"fit_only": [], "titles": {}, "names": {}, "draws": 1000, "draws_per_block": 100,
                               "notes": []}
REQUIRED = ("call", "currency", "budget", "costs", "scale", "reviews")


@dataclass(frozen=True, eq=False)
class _Model:
    params: dict[str, Any]
    codes: list[str]  # competing proposals (sorted), then fit-only ones
    emails: list[str]  # reviewers who reviewed, sorted
    cost: np.ndarray  # minor units as floats (exact below 2**53), 0 for fit-only proposals
    candidates: np.ndarray  # indices of the proposals that compete and have reviews
    sign: float  # +1 when a high total is best, -1 when low is best
    cal: Calibration

    @property
    def rank_dtype(self):
        return np.uint16 if len(self.candidates) < 2 ** 16 else np.uint32  # as ranking.funding_odds


def _mapping(name: str, value: Any, of: type) -> dict:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, of) for k, v in value.items()):
        raise SpecError(f"{name}: must be an object of text keys and {of.__name__} values, got {value!r:.80}")
    return dict(value)


def _canonical(params: Mapping[str, Any]) -> _Model:
    p = with_defaults("calibration", params, REQUIRED, DEFAULTS)
    call = str(p["call"]) if isinstance(p["call"], int) and not isinstance(p["call"], bool) else p["call"]
    if not isinstance(call, str) or not call.strip():
        raise SpecError(f"call: {p['call']!r} must be a call number (a text that is not empty)")
    try:
        currency = check_currency(p["currency"])
    except MoneyError as err:
        raise SpecError(f"currency: {err}") from None
    budget = whole_number("budget", p["budget"], minimum=0, maximum=2 ** 53)
    costs = _mapping("costs", p["costs"], int)
    for code, amount in costs.items():
        whole_number(f"costs[{code!r}]", amount, minimum=0, maximum=2 ** 53)
    if not costs:
        raise SpecError("costs: at least one proposal must compete for the budget")
    fit_only = p["fit_only"]
    if not isinstance(fit_only, list) or not all(isinstance(c, str) for c in fit_only):
        raise SpecError(f"fit_only: {fit_only!r:.80} must be a list of proposal codes")
    both = sorted(set(fit_only) & set(costs))
    if both:
        raise SpecError(f"fit_only: {both[:5]} also have a cost; a proposal either competes or is fit-only")
    scale = p["scale"]
    if not isinstance(scale, Mapping) or set(scale) != {"low", "high", "best"}:
        raise SpecError(f"scale: {scale!r} must be {{low, high, best}}")
    low = whole_number("scale.low", scale["low"], minimum=-10 ** 6)
    high = whole_number("scale.high", scale["high"], minimum=low + 1)
    if scale["best"] not in ("low", "high"):
        raise SpecError(f"scale.best: {scale['best']!r} must be 'low' or 'high'")
    draws = whole_number("draws", p["draws"], minimum=1, maximum=MAX_DRAWS)
    per_block = whole_number("draws_per_block", p["draws_per_block"], minimum=DRAW_BLOCK, maximum=MAX_DRAWS)
    if per_block % DRAW_BLOCK:
        raise SpecError(f"draws_per_block: {per_block} must be a multiple of {DRAW_BLOCK} (ranking.DRAW_BLOCK), "
                        "so that no block computes a draw another block computes too")
    codes = sorted(costs) + sorted(set(fit_only))
    where = {c: i for i, c in enumerate(codes)}
    if not isinstance(p["reviews"], list):
        raise SpecError("reviews: must be a list of [code, email, total]")
    rows, seen = [], {}
    for i, item in enumerate(p["reviews"]):
        if not (isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[1], str)
                and isinstance(item[2], (int, float)) and not isinstance(item[2], bool)):
            raise SpecError(f"reviews[{i}]: {item!r} must be [code, email, total]")
        code, email, total = item
        if code not in where:
            raise SpecError(f"reviews[{i}]: proposal {code!r} is neither in costs nor in fit_only")
        if not (math.isfinite(total) and low <= total <= high):
            raise SpecError(f"reviews[{i}]: total {total!r} of {code} by {email} is outside the scale {low} to {high}")
        if (code, email) in seen:
            raise SpecError(f"reviews[{i}]: {email} reviewed {code} already at reviews[{seen[code, email]}]; "
                            "one review per reviewer and proposal")
        seen[code, email] = i
        rows.append([code, email, float(total)])
    emails = sorted({r[1] for r in rows})
    who = {e: i for i, e in enumerate(emails)}
    sign = 1.0 if scale["best"] == "high" else -1.0
    try:
        cal = calibrate(np.array([where[r[0]] for r in rows], np.int64), np.array([who[r[1]] for r in rows], np.int64),
                        sign * np.array([r[2] for r in rows], float), len(codes), len(emails))
    except (ValueError, np.linalg.LinAlgError) as err:
        raise SpecError(f"reviews: the calibration cannot be fitted: {err}") from None
    canonical = {"call": call, "currency": currency, "budget": budget, "costs": costs,
                 "fit_only": sorted(set(fit_only)),
                 "scale": {"low": low, "high": high, "best": scale["best"]}, "reviews": rows,
                 "titles": _mapping("titles", p["titles"], str), "names": _mapping("names", p["names"], str),
                 "draws": draws, "draws_per_block": per_block, "notes": p["notes"]}
    cost = np.array([float(costs.get(c, 0)) for c in codes])
    reviewed = cal.reviews_per_proposal > 0
    candidates = np.flatnonzero(reviewed & (np.arange(len(codes)) < len(costs)))
    if not len(candidates):
        raise SpecError(f"costs: none of the {len(costs)} competing proposals has a review in reviews; "
                        "there is nothing to rank them by")
    return _Model(canonical, codes, emails, cost, candidates, sign, cal)


def fitted_model(params: Mapping[str, Any]) -> _Model:
    """The calibration fitted to `params`, once per process for the same parameters (the engine asks
    for estimates often; the robustness kernel draws from the same fit)."""
    try:
        key = json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return _canonical(params)
    return _model_of_json(key)


@lru_cache(maxsize=4)
def _model_of_json(key: str) -> _Model:
    return _canonical(json.loads(key))


def _none(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


class CalibrationKernel:
    name = "calibration"
    version = "1"

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return fitted_model(params).params

    def block_count(self, params: Mapping[str, Any]) -> int:
        return -(-params["draws"] // params["draws_per_block"])

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        m = fitted_model(params)
        per_block, draws = m.params["draws_per_block"], m.params["draws"]
        first, stop = block * per_block, min(draws, (block + 1) * per_block)
        n = len(m.candidates)
        ranks = np.empty((stop - first, n), m.rank_dtype)
        funded_total = np.zeros(n, np.int64)
        counts = np.zeros(stop - first, np.int64)
        cost = m.cost[m.candidates]
        for a in range(first, stop, DRAW_BLOCK):  # aligned chunks: a cancel is seen between them
            checkpoint()
            b = min(a + DRAW_BLOCK, stop)
            order = np.argsort(-draw_qualities(m.cal, seed, a, b)[:, m.candidates], axis=1)
            np.put_along_axis(ranks[a - first:b - first], order, np.arange(1, n + 1, dtype=m.rank_dtype)[None, :],
                              axis=1)
            funded = fund_in_rank_order(order, cost, float(m.params["budget"]))
            funded_total += funded.sum(axis=0)
            counts[a - first:b - first] = funded.sum(axis=1)
        return {"ranks": ranks, "funded": funded_total, "funded_count": counts,
                "seed": np.array([seed], np.int64)}

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        m = fitted_model(params)
        odds = _odds(m, partials)
        p, cal, sign = m.params, m.cal, m.sign
        scale = 10.0 ** minor_digits(p["currency"])
        proposals = []
        for i, code in enumerate(m.codes[:len(p["costs"])]):
            proposals.append({
                "code": code, "title": p["titles"].get(code, ""), "reviews": int(cal.reviews_per_proposal[i]),
                "raw_total": _none(sign * cal.raw_mean[i]),
                "calibrated_total": float(sign * (cal.mu + cal.quality_mean[i])),
                "calibrated_sd": float(cal.quality_sd[i]), "probability_funded": float(odds["probability"][i]),
                "expected_rank": _none(odds["expected_rank"][i]), "rank_low": _none(odds["rank_low"][i]),
                "rank_high": _none(odds["rank_high"][i]),
                "grey_zone": bool(GREY_ZONE[0] <= odds["probability"][i] <= GREY_ZONE[1]),
                "funded_at_mean": bool(odds["funded_at_mean"][i]), "cost": p["costs"][code] / scale})
        proposals.sort(key=lambda x: (x["expected_rank"] is None, x["expected_rank"] or 0.0, x["code"]))
        # offset_mean is in "higher is better" units, so it is generosity on any scale: kept as it is.
        reviewers = [{"email": e, "name": p["names"].get(e, ""), "reviews": n,
                      "leniency": float(cal.offset_mean[j]), "leniency_sd": float(cal.offset_sd[j])}
                     for j, (e, n) in enumerate(zip(m.emails, _review_counts(m)))]
        return {"call": p["call"], "currency": p["currency"], "budget": p["budget"] / scale, "draws": p["draws"],
                "seed": int(partials[0]["seed"][0]), "scale": dict(p["scale"]), "mu": float(sign * cal.mu),
                "variances": {"quality": cal.var_quality, "offset": cal.var_offset, "noise": cal.var_noise},
                "converged": bool(cal.converged), "funding_line": _none(sign * odds["funding_line"]),
                "proposals": proposals, "reviewers": reviewers}

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        """The expected number of proposals funded, with its 95% Monte Carlo interval."""
        if not partials:
            return []
        counts = np.concatenate([p["funded_count"] for p in partials]).astype(float)
        mean = float(counts.mean())
        half = Z95 * float(counts.std(ddof=1)) / math.sqrt(len(counts)) if len(counts) > 1 else math.inf
        return [Estimate("proposals funded", mean, mean - half, mean + half, len(counts))]


def _review_counts(m: _Model) -> list[int]:
    counts = dict.fromkeys(m.emails, 0)
    for _, email, _ in m.params["reviews"]:
        counts[email] += 1
    return list(counts.values())


def _odds(m: _Model, partials: Sequence[Partial]) -> dict[str, Any]:
    """What ranking.funding_odds computes, from the blocks' ranks and counts, line for line the same
    arithmetic so that the numbers are the same bits."""
    n, c = len(m.codes), m.candidates
    draws = m.params["draws"]
    ranks = np.concatenate([p["ranks"] for p in partials])
    funded_total = np.sum([p["funded"] for p in partials], axis=0).astype(float)
    probability = np.zeros(n)
    probability[c] = funded_total / draws
    expected_rank, rank_low, rank_high = (np.full(n, np.nan) for _ in range(3))
    if len(c):
        expected_rank[c] = ranks.mean(axis=0)
        rank_low[c], rank_high[c] = np.quantile(ranks, RANK_INTERVAL, axis=0, method="inverted_cdf")
    cost = m.cost[c]
    budget = float(m.params["budget"])
    mean_order = np.argsort(-m.cal.quality_mean[c], kind="stable")
    funded_at_mean = np.zeros(n, bool)
    funded_at_mean[c] = fund_in_rank_order(mean_order, cost, budget)[0]
    top_run = np.cumsum(cost[mean_order]) <= budget
    unbroken = int(np.argmin(top_run)) if not top_run.all() else len(c)
    line = float(m.cal.mu + m.cal.quality_mean[c[mean_order[unbroken - 1]]]) if unbroken else float("nan")
    return {"probability": probability, "expected_rank": expected_rank, "rank_low": rank_low,
            "rank_high": rank_high, "funded_at_mean": funded_at_mean, "funding_line": line}


CALIBRATION = CalibrationKernel()
