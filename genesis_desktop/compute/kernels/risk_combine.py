"""The risk result from the blocks' partials, given in block order: exact tail measures, tail
contributions, expectations with 95% intervals, and the closed forms they estimate.

Value at risk is exact: every block returns its scenarios' total costs, so the global quantile is
taken over all of them. Tail contributions are exact too whenever each block kept all of its tail
scenarios' multipliers (TAIL_SIGMAS in risk_block makes a miss a one-in-a-billion event); for a block
that did not, the missing tail money is split like the block's kept rows and the result says
`tail_contributions_exact: false`. Either way they sum to the conditional value at risk.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..kernel import Estimate, Partial
from .risk_model import Model

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def exact_moments(m: Model) -> dict[str, np.ndarray]:
    """Closed forms: expected cost of each year (row) and proposal (column), value of each
    proposal, partner money of each year in the reporting currency.

    A cost multiplier k = f x exp(sigma Z) has E[k] = E[f] exp(sigma^2 / 2), f being cancel_spend,
    underspend_spend or 1; a rate R = rate exp(sigma Z') has E[1 / R] = exp(sigma^2 / 2) / rate."""
    plan = 1.0 - m.p_cancel - m.p_under
    multiplier = (m.p_cancel * m.f_cancel + m.p_under * m.f_under + plan) * np.exp(m.sigma**2 / 2)
    per_unit = np.exp(m.fx_sigma**2 / 2) / m.fx_rate
    return {"cost": m.cost * multiplier, "value": m.value * (1.0 - m.p_cancel) * m.deliver,
            "partner": m.partner_fixed + per_unit @ m.partner_foreign}


def interval(estimate: float, stderr: float) -> dict[str, float]:
    return {"estimate": estimate, "low": estimate - Z95 * stderr, "high": estimate + Z95 * stderr}


def wilson(hits: int, n: int) -> dict[str, float]:
    """A share with its Wilson 95% interval: sensible at 0 and 1, where the normal one collapses."""
    share, z2 = hits / n, Z95 * Z95
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return {"estimate": share, "low": max(0.0, centre - half), "high": min(1.0, centre + half)}


class Tail:
    """Value at risk and conditional value at risk of the total cost at level `tail`.

    VaR is the smallest cost c with F(c) >= tail over the N scenarios (the ceil(tail N)-th lowest);
    CVaR = (sum of costs above VaR + (N(1 - tail) - #above) x VaR) / (N(1 - tail)), the mean of
    the worst N(1 - tail) scenarios, where scenarios tied at VaR share the remaining weight.
    """

    def __init__(self, totals: np.ndarray, tail: float):
        n = totals.size
        self.weight = float((1 - Fraction(str(tail))) * n)  # N(1 - tail) scenarios' worth
        k = math.ceil(Fraction(str(tail)) * n)
        self.var = float(np.partition(totals, k - 1)[k - 1])
        above = totals > self.var
        self.above, self.tied = int(np.count_nonzero(above)), int(np.count_nonzero(totals == self.var))
        self.tie_weight = self.weight - self.above  # in [0, tied): the share of the tied scenarios
        self.cvar = (float(totals[above].sum()) + self.tie_weight * self.var) / self.weight
        self.low, self.high = self._var_interval(totals, tail)
        # The influence of each scenario on CVaR; its spread gives CVaR's standard error.
        excess = np.maximum(totals - self.var, 0.0) / (1.0 - tail)
        self.cvar_stderr = float(excess.std(ddof=1) / math.sqrt(n))

    def _var_interval(self, totals: np.ndarray, tail: float) -> tuple[float, float]:
        """Order statistics bracketing the quantile with 95% confidence (binomial, normal approximation)."""
        n = totals.size
        half = Z95 * math.sqrt(n * tail * (1 - tail))
        lo, hi = max(1, math.floor(n * tail - half)), min(n, math.ceil(n * tail + half))
        part = np.partition(totals, [lo - 1, hi - 1])
        return float(part[lo - 1]), float(part[hi - 1])

    def scenario_weights(self, totals: np.ndarray) -> np.ndarray:
        """Each scenario's weight in the tail: 1 above VaR, an equal share of tie_weight at VaR."""
        return np.where(totals > self.var, 1.0, np.where(totals == self.var, self.tie_weight / self.tied, 0.0))


def tail_contributions(m: Model, partials: Sequence[Partial], tail: Tail) -> tuple[np.ndarray, bool]:
    """Each proposal's share of CVaR: its mean cost over the tail scenarios (Euler allocation).

    A tail scenario's cost is split among proposals as its own spending splits (cost_total x the
    kept multipliers, renormalised to the scenario's total), so the shares add up to CVaR exactly.
    """
    share = np.zeros(len(m.codes))
    exact = True
    for part in partials:
        kept = part["tail_total"]
        rows = part["tail_multiplier"].T * m.cost_total  # (kept, p) float64
        spent = rows.sum(axis=1)
        weight = tail.scenario_weights(kept)
        scale = np.divide(weight * kept, spent, out=np.zeros_like(spent), where=spent > 0)
        share += scale @ rows
        # Tail scenarios of this block that it did not keep: their money is known from the block's
        # totals, their split is not; it follows the split of the rows the block kept.
        weights = tail.scenario_weights(part["total_cost"])
        weights[part["tail_index"]] = 0.0
        if weights.any():
            exact = False
            missing = float(weights @ part["total_cost"])
            mix = rows.sum(axis=0) if spent.sum() > 0 else m.cost_total
            if mix.sum() > 0:
                share += missing * mix / mix.sum()
    return share / tail.weight, exact


def headline(m: Model, partials: Sequence[Partial]) -> tuple[np.ndarray, Tail, dict[str, dict[str, float]]]:
    """(every scenario's total cost, its tail, the five headline figures with their 95% intervals:
    expected value and cost, the chance of keeping within every budget, VaR and CVaR)."""
    totals = np.concatenate([p["total_cost"] for p in partials])
    n = totals.size
    tail = Tail(totals, m.tail)
    delivered = sum(p["delivered"] for p in partials) / n
    # Proposals deliver independently: Var(value) = sum of value^2 p (1 - p), with p estimated.
    value_variance = float(np.sum(m.value**2 * delivered * (1.0 - delivered)))
    return totals, tail, {
        "expected_value": interval(float(m.value @ delivered), math.sqrt(value_variance / n)),
        "expected_cost": interval(float(totals.mean()), float(totals.std(ddof=1) / math.sqrt(n))),
        "p_within_all_budgets": wilson(int(sum(int(p["within_all"].sum()) for p in partials)), n),
        "value_at_risk": {"estimate": tail.var, "low": tail.low, "high": tail.high},
        "conditional_value_at_risk": interval(tail.cvar, tail.cvar_stderr),
    }


def estimates(m: Model, partials: Sequence[Partial]) -> list[Estimate]:
    """The running estimates of the blocks finished so far (given in block order)."""
    if not partials:
        return []
    totals, _, figures = headline(m, partials)
    return [Estimate(name, f["estimate"], f["low"], f["high"], totals.size) for name, f in figures.items()]


def combine(m: Model, partials: Sequence[Partial]) -> dict[str, Any]:
    totals, tail, figures = headline(m, partials)
    n = totals.size
    exact = exact_moments(m)
    shares, shares_exact = tail_contributions(m, partials, tail)
    labels = [f"FY{y}" for y in m.years]
    year_mean = sum(p["year_cost_sum"] for p in partials) / n
    year_var = np.maximum(sum(p["year_cost_sumsq"] for p in partials) / n - year_mean**2, 0.0) * (n / (n - 1))
    within = sum(p["within_year"] for p in partials)
    partner = sum(p["partner_money_sum"] for p in partials) / n
    figures["expected_value"]["exact"] = float(exact["value"].sum())
    figures["expected_cost"]["exact"] = float(exact["cost"].sum())
    return {
        "currency": m.params["currency"], "scenarios": n, "tail": m.tail, "fiscal_years": labels,
        "proposals": len(m.codes), **figures,
        "expected_cost_by_year": {
            y: {**interval(float(year_mean[i]), math.sqrt(year_var[i] / n)), "exact": float(exact["cost"][i].sum())}
            for i, y in enumerate(labels)},
        "budget_by_year": dict(zip(labels, m.budget.tolist())),
        "expected_partner_money_by_year": {
            y: {"estimate": float(partner[i]), "exact": float(exact["partner"][i])} for i, y in enumerate(labels)},
        "p_within_budget_by_year": {y: wilson(int(within[i]), n) for i, y in enumerate(labels)},
        "tail_contributions": dict(zip(m.codes, shares.tolist())),
        "tail_contributions_exact": shares_exact,
    }
