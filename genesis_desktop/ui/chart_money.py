"""Exact amounts turned into what a chart draws: bar lengths in a readable unit ("USD millions")
and tooltip text with every minor unit (money.format_grouped)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from genesis_desktop.portfolio.money import format_grouped, minor_digits

from .chart_items import money_unit


def money_text(minor: int, currency: str) -> str:
    """'1,850,000.50 USD': exact, grouped, with the currency."""
    return f"{format_grouped(int(minor), currency)} {currency}"


@dataclass(frozen=True)
class MoneyScale:
    """How one chart shows amounts of one currency: all its bars share the unit."""

    currency: str
    divisor: float  # of major units: 1e6 for millions
    word: str  # "millions", or "" for plain units

    @classmethod
    def fitting(cls, currency: str, *minors: Iterable[int]) -> "MoneyScale":
        """The unit in which the largest amount of `minors` (arrays of minor units) reads as 10 to
        9,999 or so."""
        arrays = [np.asarray(m, dtype="float64") for m in minors]
        largest = max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)
        divisor, word = money_unit(largest / 10 ** minor_digits(currency))
        return cls(currency, divisor, word)

    @property
    def label(self) -> str:
        return f"{self.currency} {self.word}".strip()

    def lengths(self, minor: Iterable[int]) -> np.ndarray:
        """Bar lengths in this unit (floats: for drawing only; tooltips keep the exact figures)."""
        major = np.asarray(minor, dtype="float64") / 10 ** minor_digits(self.currency)
        return major / self.divisor
