"""Portfolio risk: Monte Carlo of what a selection of proposals will cost, year by year, and deliver.

Parameters (plain JSON; amounts are float major units of the reporting currency unless a partner
contribution names another currency; fiscal years as 2026 or "FY2026"):

    currency        the reporting currency, "USD"
    fiscal_years    optional; else every year that a cost, budget or partner amount names
    proposals       [{code, cost: {year: amount}, value, delivery_probability, and optionally any of
                      overrun_sigma, cancel_probability, cancel_spend, underspend_probability,
                      underspend_spend to override the run's setting for this proposal}]
    budgets         {year: amount}: the programme's own money for each fiscal year (all years)
    partners        [{code, currency, amounts: {year: amount}}]: co-funding, default none
    fx              {currency: {rate, sigma}}: `rate` units of that currency buy one unit of the
                    reporting currency (median); required for each partner currency that is foreign
    overrun_sigma 0.15, cancel_probability 0.05, cancel_spend 0.5, underspend_probability 0.15,
    underspend_spend 0.8, scenarios 1,000,000, block_size 65,536, tail 0.95, sources (free JSON,
    kept with the run: where the inputs came from), precision "float32" (or "float64": see Precision)

The model, for each scenario s and proposal i, independently across proposals and scenarios:

- The outcome is cancelled with probability cancel_probability, underspent with probability
  underspend_probability, otherwise as planned. A cancelled proposal spends cancel_spend of its cost
  (it stops part-way) and delivers nothing; an underspent one spends underspend_spend of it.
- A proposal that is not cancelled delivers its value with probability delivery_probability,
  independently of underspending. So E[value] = sum of value x (1 - cancel_probability) x
  delivery_probability.
- Its cost overruns by a lognormal factor exp(overrun_sigma x Z), Z standard normal (median 1, mean
  exp(sigma^2 / 2)), the same factor in every year of the proposal.
- Spending in year y = sum over proposals of planned cost(i, y) x outcome factor x overrun factor;
  total cost = the sum over years.
- Partner money raises the money available: available(y) = budget(y) + partner amounts in the
  reporting currency + foreign amounts / rate, where the exchange rate of each foreign currency is
  lognormal, rate x exp(sigma x Z'), one draw per scenario for the whole horizon. Partner money does
  not change the cost, so VaR and CVaR are of the programme's cost alone.
- A year is within budget when spending(y) <= available(y); all years, when each one is.

The result (risk_combine.combine): expected value and cost (total and by year) with 95% intervals
and their closed forms, the probability of staying within each year's budget and within all of them,
the value at risk (VaR) and conditional value at risk (CVaR) of the total cost at `tail`, and each
proposal's contribution to CVaR: its mean cost over the tail scenarios (Euler allocation), which add
up to CVaR.

Blocks: scenario j of the run lies in block j // block_size, so the blocks are a function of the
parameters only. Each block draws its numbers from block_rng(seed, stream, block): stream 0 the
outcome uniforms, 1 the overrun normals, 2 the exchange-rate normals (risk_block). Its partial holds
every scenario's total cost (so VaR is exact), the multipliers of its highest-cost scenarios (so the
tail contributions are exact), and sums; combining in block order makes the result bit-identical
whatever the number of workers or the order blocks ran in, on the same kind of processor.

Precision: draws and the per-element arithmetic are float32 (half the memory traffic of float64, and
24-bit uniforms place outcome probabilities within 6e-8), spending is summed in float32 proposal by
proposal (relative error about 1e-6, far below the Monte Carlo error), totals and every statistic in
float64. A year whose budget lies
within about a millionth of its spending may count either way.

precision "float64" keeps the same float32 draws (so the same scenarios) and does the per-element
arithmetic and the spending in double precision, through risk_block_xp.run_block_xp. Its use: a GPU's
float32 exp and sums round differently from numpy's, so float32 estimates from CuPy and numpy agree
only to about 1e-6; in float64 they agree to about 1e-12, bar a budget comparison that falls within
that of a tie. On a CPU it costs some time over float32 and changes no estimate beyond float32's
rounding.

Where the arithmetic runs: arrays.xp() of the thread (numpy, or CuPy on a GPU worker). numpy at
float32 takes run_block, the CPU path with numexpr; anything else takes run_block_xp.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from .. import arrays
from ..kernel import Estimate, Partial
from . import risk_block, risk_block_xp, risk_combine
from .risk_model import Model, prepare


def _model(params: Mapping[str, Any]) -> Model:
    """The arrays of `params`, built once per process for the same parameters: checking 300
    proposals takes some 20 ms, and the engine asks for estimates several times a second."""
    try:
        key = json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return Model.of(params)  # not JSON: let prepare name what is wrong
    return _model_of_json(key)


@lru_cache(maxsize=8)
def _model_of_json(key: str) -> Model:
    return Model.of(json.loads(key))


class RiskKernel:
    name = "risk"
    version = "1"

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return prepare(params)

    def block_count(self, params: Mapping[str, Any]) -> int:
        return _model(params).blocks

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        m, xp = _model(params), arrays.xp()
        if xp is np and m.params["precision"] == "float32":
            return risk_block.run_block(m, seed, block)
        return risk_block_xp.run_block_xp(m, seed, block, xp)

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        return risk_combine.combine(_model(params), partials)

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        return risk_combine.estimates(_model(params), partials)


RISK = RiskKernel()
