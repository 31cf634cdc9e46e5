"""A scenario's money in the programme's reporting currency: requests per fiscal year converted
exactly at dated rates (the scenario's own rate assumptions first), and a call's total budget spread
over fiscal years like its live proposals' requests (portfolio.risk_inputs does the same for the
risk kernel; its exact `split` is reused here)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Iterable

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.frames_money import convert_minor, rate_book
from genesis_desktop.portfolio.money import CURRENCY_DIGITS, MoneyError
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal, ProposalBudget
from genesis_desktop.portfolio.risk_inputs import LIVE, split

from .scenario_spec import ScenarioError

ASSUMED = "scenario assumption"


class ScenarioRates:
    """Conversions to `reporting` at the rates of `on` (the latest published on or before it), except
    for the currencies the scenario assumes a rate for; remembers each rate it used."""

    def __init__(self, session: Session, reporting: str, on: date, override: dict[str, float]):
        self.book, self.reporting, self.on = rate_book(session.connection()), reporting, on
        self.override = {c: Decimal(repr(float(v))) for c, v in override.items() if c != reporting}
        self.used: dict[str, dict] = {}

    def to_reporting(self, minor: Iterable[int], currency: str, what: str) -> np.ndarray:
        """Integer minor units of `currency` as exact minor units of the reporting currency (half-even)."""
        amounts = np.asarray(list(minor), dtype=np.int64)
        if currency == self.reporting:
            return amounts
        return convert_minor(amounts, self._reporting_per_unit(currency, what), currency, self.reporting)

    def _reporting_per_unit(self, currency: str, what: str) -> Decimal:
        if currency in self.override:
            per_reporting = self.override[currency]
            self.used.setdefault(currency, {"rate": float(per_reporting), "on": None, "source": ASSUMED})
            return Decimal(1) / per_reporting
        try:
            r = self.book.rate(currency, self.reporting, self.on)
            shown = self.book.rate(self.reporting, currency, self.on)  # the same rate, as it was published
        except MoneyError as err:
            raise ScenarioError(f"rates: {what} is in {currency} and {err}; add the rate, move rates.on, or assume "
                                f"one in rates.override.{currency}") from None
        self.used.setdefault(currency, {"rate": float(shown.value), "on": shown.on.isoformat(), "source": shown.source})
        return r.value

    def major(self, minor: np.ndarray | int) -> np.ndarray | float:
        return np.asarray(minor, dtype=np.float64) / 10 ** CURRENCY_DIGITS[self.reporting]


def requests_by_year(session: Session, call_id: int, ids: list[int], currency_of: dict[int, str],
                     rates: ScenarioRates, codes: dict[int, str]) -> dict[int, dict[int, int]]:
    """{proposal id: {fiscal year: requested money in reporting minor units}} for `ids`, of the call."""
    wanted = set(ids)
    rows = session.execute(select(ProposalBudget.proposal_id, ProposalBudget.fiscal_year, ProposalBudget.amount_minor)
                           .join(Proposal, Proposal.id == ProposalBudget.proposal_id)
                           .where(Proposal.call_id == call_id)
                           .order_by(ProposalBudget.proposal_id, ProposalBudget.fiscal_year)).all()
    grouped: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, year, amount in rows:
        if pid in wanted:
            grouped[pid].append((int(year), int(amount)))
    out: dict[int, dict[int, int]] = {pid: {} for pid in ids}
    # One conversion per currency: the same rate for every proposal in it, as a person would do by hand.
    by_currency: dict[str, list[int]] = defaultdict(list)
    for pid in grouped:
        by_currency[currency_of[pid]].append(pid)
    for ccy, pids in sorted(by_currency.items()):
        flat = [amount for pid in pids for _, amount in grouped[pid]]
        converted = iter(rates.to_reporting(flat, ccy, f"the budget of {codes[pids[0]]}").tolist())
        for pid in pids:
            out[pid] = {year: next(converted) for year, _ in grouped[pid]}
    return out


def spread_call_budget(session: Session, call: Call, rates: ScenarioRates) -> dict[int, int]:
    """The call's total budget (reporting minor units) shared over fiscal years in proportion to what its
    live proposals (neither declined nor withdrawn) request in each, exactly."""
    demand: dict[int, int] = defaultdict(int)
    p, b = Proposal, ProposalBudget
    for year, ccy, amount in session.execute(
            select(b.fiscal_year, p.currency, func.sum(b.amount_minor)).join(p, p.id == b.proposal_id)
            .where(p.call_id == call.id, p.status.in_(LIVE)).group_by(b.fiscal_year, p.currency)):
        demand[int(year)] += int(rates.to_reporting([int(amount)], ccy, f"call {call.number}'s requests")[0])
    (total,) = rates.to_reporting([int(call.total_budget_minor)], call.currency, f"call {call.number}'s total budget")
    years = sorted(demand)
    return dict(zip(years, split(int(total), [demand[y] for y in years])))
