"""The risk kernel's canonical parameters as arrays: one column per proposal, one row per fiscal year."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..kernel import SpecError
from .risk_spec import prepare


@dataclass(frozen=True)
class Model:
    """The canonical parameters as arrays: one column per proposal, one row per fiscal year.

    Money is float64 in major units of the reporting currency, except `cost32`, the single-precision
    copy that the blocks multiply.
    """

    params: dict[str, Any]
    codes: tuple[str, ...]
    years: tuple[int, ...]
    cost: np.ndarray  # (years, p) float64: planned cost of each proposal in each year
    cost32: np.ndarray  # the same in float32, for the blocks' products
    cost_total: np.ndarray  # (p,) float64
    value: np.ndarray  # (p,) float64
    deliver: np.ndarray  # (p,) float64: probability of delivering, when not cancelled
    sigma: np.ndarray  # (p,) float64 lognormal overrun
    p_cancel: np.ndarray
    f_cancel: np.ndarray
    p_under: np.ndarray
    f_under: np.ndarray
    budget: np.ndarray  # (years,) float64
    partner_fixed: np.ndarray  # (years,) partner money already in the reporting currency
    partner_foreign: np.ndarray  # (currencies, years) in each foreign currency's units
    fx_rate: np.ndarray  # (currencies,) units of the foreign currency one reporting unit buys (median)
    fx_sigma: np.ndarray  # (currencies,)
    scenarios: int
    block_size: int
    tail: float

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> "Model":
        p = prepare(params)
        props = p["proposals"]
        col = lambda key: np.array([x.get(key, p.get(key)) for x in props], dtype=np.float64)  # noqa: E731
        cost = np.array([x["cost"] for x in props], dtype=np.float64).T.copy()
        foreign = sorted(p["fx"])
        partner_fixed = np.zeros(len(p["fiscal_years"]))
        partner_foreign = np.zeros((len(foreign), len(p["fiscal_years"])))
        for c in p["partners"]:
            target = partner_fixed if c["currency"] == p["currency"] else partner_foreign[foreign.index(c["currency"])]
            target += np.asarray(c["amounts"], dtype=np.float64)
        return cls(
            params=p, codes=tuple(x["code"] for x in props), years=tuple(p["fiscal_years"]), cost=cost,
            cost32=cost.astype(np.float32), cost_total=cost.sum(axis=0), value=col("value"),
            deliver=col("delivery_probability"), sigma=col("overrun_sigma"), p_cancel=col("cancel_probability"),
            f_cancel=col("cancel_spend"), p_under=col("underspend_probability"), f_under=col("underspend_spend"),
            budget=np.asarray(p["budgets"], dtype=np.float64), partner_fixed=partner_fixed,
            partner_foreign=partner_foreign, fx_rate=np.array([p["fx"][c]["rate"] for c in foreign]),
            fx_sigma=np.array([p["fx"][c]["sigma"] for c in foreign]), scenarios=p["scenarios"],
            block_size=p["block_size"], tail=p["tail"],
        )

    @property
    def blocks(self) -> int:
        return math.ceil(self.scenarios / self.block_size)

    def block_span(self, block: int) -> tuple[int, int]:
        """(first scenario, number of scenarios) of a block: only the last block may be short."""
        if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not 0 <= block < self.blocks:
            raise SpecError(f"block: {block!r} must be a whole number from 0 to {self.blocks - 1}")
        first = int(block) * self.block_size
        return first, min(self.block_size, self.scenarios - first)
