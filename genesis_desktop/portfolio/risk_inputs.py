"""The risk kernel's parameters from a portfolio's records (Qt-free): a selection of proposals with their
cost per fiscal year, value and delivery probability, the budgets of their calls per year, and the
partners' commitments, all stated in one reporting currency at dated rates, which the parameters
name (`sources.rates`).

How each input is derived from what the records hold (`sources.rules` says the same):

- Selection: the codes given, else every proposal marked recommended or awarded.
- Cost: each proposal's requested budget per fiscal year, converted exactly (minor units, half-even)
  at the latest rate published on or before `rates_on` (default today), in major units.
- Value: the money requested, weighted by the reviews: x (10 - s) / (10 - s_mean), where s is the
  mean of the proposal's submitted review scores on the 1 (exceptional) to 9 (poor) scale and
  s_mean that mean over every reviewed proposal of the portfolio; an unreviewed proposal keeps 1.
- Delivery probability: by phase, DELIVERY_BY_PHASE (a nine-month Phase I study delivers more
  often than a three-year Phase II programme), DELIVERY_OTHER for any other phase.
- Budgets: each call's total budget, spread over fiscal years in proportion to what its live
  proposals (neither declined nor withdrawn) request in each year, summed over the selection's
  calls, for the years in which the selection spends.
- Partners: commitments not cancelled whose funds name an area or challenge of the selection
  (a fund matches an area that contains it: "quantum" matches "quantum information science"),
  pledged amounts per fiscal year, moved from the partner's fiscal calendar to the programme's by
  the days the years share, for the years in which the selection spends. They raise the money
  available (see the kernel). Amounts in a currency other than the reporting one stay in that
  currency, with an `fx` entry: its rate on `rates_on` as the median and FX_SIGMA as the spread.

Keyword `overrides` are kernel parameters that replace the derived ones (scenarios, tail, budgets,
partners, fx, overrun_sigma, ...). The result is the kernel's prepared, canonical parameters.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import Engine, func, select

from ..compute.kernel import SpecError
from ..compute.kernels.risk import RISK
from . import frames
from .api import as_date
from .fiscal import CALENDARS, FiscalCalendar, calendar_for
from .frames_money import convert_minor, rate_book
from .money import CURRENCY_DIGITS, Rate, RateBook, check_currency
from .partners import Commitment, CommitmentState, CommitmentYear, Partner
from .programme import Call, Challenge, Programme
from .proposals import Proposal, ProposalBudget, ProposalChallenge, ProposalStatus

SELECTED = (ProposalStatus.RECOMMENDED, ProposalStatus.AWARDED)
LIVE = [s for s in ProposalStatus if s not in (ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN)]
DELIVERY_BY_PHASE = {"I": 0.8, "II": 0.7}
DELIVERY_OTHER = 0.75
# The log spread of an exchange rate, one draw for the whole horizon: USD/JPY moves about 10% in a
# year, so this is the calm side for a programme of several years (pass fx to widen it).
FX_SIGMA = 0.10
SCORE_WORST = 9  # review scores run from 1 (exceptional) to 9 (poor)


def risk_params_from_portfolio(engine: Engine, codes: Iterable[str] | None = None,
                               reporting_currency: str | None = None, rates_on: date | str | None = None,
                               **overrides: Any) -> dict[str, Any]:
    """The risk kernel's parameters for a selection of the portfolio behind `engine` (or a Store)."""
    engine = getattr(engine, "engine", engine)
    on = _day(rates_on)
    if isinstance(codes, str):  # from a command line: "P-000001,P-000002"
        codes = [c.strip() for c in codes.replace(";", ",").split(",") if c.strip()]
    with engine.connect() as conn:
        programme = conn.execute(select(Programme.reporting_currency, Programme.fiscal_calendar)).first()
        currency = check_currency(reporting_currency or (programme[0] if programme else "USD"))
        calendar = calendar_for(programme[1] if programme else "US")
        rates = _Rates(rate_book(conn), currency, on)
        chosen = _selection(conn, None if codes is None else list(codes))
        ids = chosen["id"].tolist()
        costs = _costs(conn, ids, chosen, rates)
        # The years the selection spends in (the current one if it asks for nothing at all).
        years = sorted({y for per_year in costs.values() for y in per_year}) or [calendar.year_of(on)]
        props = [{"code": code, "cost": {f"FY{y}": v for y, v in costs[code].items()}, "value": value,
                  "delivery_probability": DELIVERY_BY_PHASE.get(phase, DELIVERY_OTHER)}
                 for code, phase, value in zip(chosen["code"], chosen["phase"], _values(conn, chosen, costs))]
        budgets = _budgets(conn, sorted(set(chosen["call_id"])), years, rates)
        partners, fx, used = _partners(conn, ids, years, calendar, rates)
    params = {
        "currency": currency, "fiscal_years": years, "proposals": props,
        "budgets": budgets, "partners": partners, "fx": fx,
        "sources": {
            "portfolio": engine.url.render_as_string(hide_password=True),
            "selection": "the codes given" if codes is not None else "proposals recommended or awarded",
            "rates_on": on.isoformat(), "rates": rates.used, "calls": sorted(set(chosen["call"])),
            "partner_commitments": used, "rules": RULES,
        },
    }
    params.update(overrides)
    return RISK.prepare(params)


RULES = {
    "cost": "requested budget per fiscal year, converted at the latest rate on or before rates_on",
    "value": f"requested money x ({SCORE_WORST + 1} - mean review score) / ({SCORE_WORST + 1} - portfolio mean score); "
             "1 (exceptional) to 9 (poor); unreviewed: the requested money",
    "delivery_probability": f"by phase: {DELIVERY_BY_PHASE}, otherwise {DELIVERY_OTHER}",
    "budgets": "each call's total budget spread over fiscal years like its live proposals' requests",
    "partners": "commitments not cancelled whose funds name an area or challenge of the selection; pledged "
                "amounts moved to the programme's fiscal years by shared days; foreign currencies stay foreign, "
                f"with the rate on rates_on as median and sigma {FX_SIGMA}",
}


def _day(rates_on: date | str | None) -> date:
    try:
        return date.today() if rates_on is None else as_date(rates_on)
    except (TypeError, ValueError):
        raise SpecError(f"rates_on: {rates_on!r} must be a date such as 2026-06-01") from None


class _Rates:
    """Conversions at one date, remembering each rate used (for `sources.rates`)."""

    def __init__(self, book: RateBook, reporting: str, on: date):
        self.book, self.reporting, self.on = book, reporting, on
        self.used: list[dict[str, str]] = []

    def rate(self, base: str, quote: str, used_for: str) -> Rate:
        r = self.book.rate(base, quote, self.on)
        entry = {"base": r.base, "quote": r.quote, "on": r.on.isoformat(), "rate": str(r.value),
                 "source": r.source, "used_for": used_for}
        if base != quote and entry not in self.used:
            self.used.append(entry)
        return r

    def to_reporting(self, minor: list[int], currency: str, used_for: str) -> list[int]:
        if currency == self.reporting:
            return list(minor)
        r = self.rate(currency, self.reporting, used_for)
        return convert_minor(minor, r.value, currency, self.reporting).tolist()

    def major(self, minor: int) -> float:
        return minor / 10 ** CURRENCY_DIGITS[self.reporting]


def _frame(conn, stmt) -> pd.DataFrame:
    """A small result as a DataFrame (frames.read's fast path cannot bind the IN lists used here)."""
    result = conn.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _selection(conn, codes: list[str] | None) -> pd.DataFrame:
    p = Proposal
    stmt = (select(p.id, p.code, p.phase, p.currency, Call.id.label("call_id"), Call.number.label("call"))
            .join(Call, Call.id == p.call_id).order_by(p.code))
    stmt = stmt.where(p.status.in_(SELECTED)) if codes is None else stmt.where(p.code.in_(codes))
    chosen = _frame(conn, stmt)
    if codes is not None:
        unknown = sorted(set(codes) - set(chosen["code"]))
        if unknown:
            raise SpecError(f"codes: {unknown[:10]} are not proposals of this portfolio")
    if chosen.empty:
        raise SpecError("codes: none given and no proposal is recommended or awarded; give the codes to assess")
    return chosen


def _costs(conn, ids: list[int], chosen: pd.DataFrame, rates: _Rates) -> dict[str, dict[int, float]]:
    """{code: {fiscal year: cost in major units of the reporting currency}}."""
    b = ProposalBudget
    rows = _frame(conn, select(b.proposal_id, b.fiscal_year, b.amount_minor).where(b.proposal_id.in_(ids))
                  .order_by(b.proposal_id, b.fiscal_year))
    by_id = dict(zip(chosen["id"], zip(chosen["code"], chosen["currency"])))
    out: dict[str, dict[int, float]] = {code: {} for code in chosen["code"]}
    for pid, group in rows.groupby("proposal_id", sort=True):
        code, ccy = by_id[pid]
        converted = rates.to_reporting(group["amount_minor"].astype(int).tolist(), ccy, "proposal budgets")
        out[code] = {int(y): rates.major(v) for y, v in zip(group["fiscal_year"], converted)}
    return out


def _values(conn, chosen: pd.DataFrame, costs: dict[str, dict[int, float]]) -> list[float]:
    reviews = frames.reviews(conn)
    reviews = reviews[reviews["state"] == "submitted"]
    score = reviews.groupby("proposal")["mean_score"].mean().dropna()
    mean = float(score.mean()) if len(score) else float("nan")
    weight = {code: (SCORE_WORST + 1 - s) / (SCORE_WORST + 1 - mean) for code, s in score.items()}
    return [sum(costs[code].values()) * weight.get(code, 1.0) for code in chosen["code"]]


def _budgets(conn, call_ids: list[int], years: list[int], rates: _Rates) -> dict[str, float]:
    """The selection's calls' budgets in each of `years`, exact in minor units until the last step."""
    total: dict[int, int] = defaultdict(int)
    b, p = ProposalBudget, Proposal
    for call_id, number, ccy, budget in conn.execute(
            select(Call.id, Call.number, Call.currency, Call.total_budget_minor).where(Call.id.in_(call_ids))):
        demand: dict[int, int] = defaultdict(int)
        for year, pccy, amount in conn.execute(
                select(b.fiscal_year, p.currency, func.sum(b.amount_minor)).join(p, p.id == b.proposal_id)
                .where(p.call_id == call_id, p.status.in_(LIVE)).group_by(b.fiscal_year, p.currency)):
            demand[int(year)] += rates.to_reporting([int(amount)], pccy, f"call {number}: requests")[0]
        (money,) = rates.to_reporting([int(budget)], ccy, f"call {number}: total budget")
        for year, share in zip(sorted(demand), split(money, [demand[y] for y in sorted(demand)])):
            total[year] += share
    return {f"FY{y}": rates.major(total[y]) for y in years}


def split(amount: int, weights: list[int]) -> list[int]:
    """`amount` in whole units shared in proportion to `weights`, exactly: largest remainders get the rest."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [amount * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def _partners(conn, ids: list[int], years: list[int], calendar: FiscalCalendar,
              rates: _Rates) -> tuple[list[dict], dict[str, dict[str, float]], list[str]]:
    """(partner contributions, fx entries, commitment codes used)."""
    c, y, pc = Commitment, CommitmentYear, ProposalChallenge
    topics = conn.execute(select(Challenge.code, Challenge.area).join(pc, pc.challenge_id == Challenge.id)
                          .where(pc.proposal_id.in_(ids)).distinct()).all()
    names = {code.lower() for code, _ in topics}
    areas = [area.lower() for _, area in topics]
    rows = conn.execute(select(c.code, c.currency, c.funds, Partner.fiscal_calendar, y.fiscal_year, y.pledged_minor)
                        .join(Partner, Partner.id == c.partner_id).join(y, y.commitment_id == c.id)
                        .where(c.state != CommitmentState.CANCELLED).order_by(c.code, y.fiscal_year)).all()
    amounts: dict[tuple[str, str], dict[int, int]] = {}
    for code, ccy, funds, partner_calendar, fy, pledged in rows:
        if not any(f.lower() in names or any(f.lower() in a for a in areas) for f in funds or []):
            continue
        per_year = amounts.setdefault((code, ccy), defaultdict(int))
        for year, part in programme_years(int(fy), int(pledged), CALENDARS[partner_calendar], calendar):
            per_year[year] += part
    partners, fx = [], {}
    for (code, ccy), per_year in amounts.items():
        kept = {year: money for year, money in per_year.items() if year in years and money}
        if not kept:
            continue
        partners.append({"code": code, "currency": ccy,
                         "amounts": {f"FY{yr}": v / 10 ** CURRENCY_DIGITS[ccy] for yr, v in sorted(kept.items())}})
        if ccy != rates.reporting and ccy not in fx:
            r = rates.rate(rates.reporting, ccy, "partner money: median exchange rate")
            fx[ccy] = {"rate": float(r.value), "sigma": FX_SIGMA}
    return partners, fx, [p["code"] for p in partners]


def programme_years(fy: int, amount: int, theirs: FiscalCalendar, ours: FiscalCalendar) -> list[tuple[int, int]]:
    """A partner's fiscal-year amount as (programme fiscal year, amount), shared by the days in common."""
    start, end = theirs.start(fy), theirs.end(fy)
    spans = [(y, (min(end, ours.end(y)) - max(start, ours.start(y))).days + 1) for y in ours.years_between(start, end)]
    return list(zip([y for y, _ in spans], split(amount, [days for _, days in spans])))
