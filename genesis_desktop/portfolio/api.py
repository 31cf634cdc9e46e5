"""The analysts' notebook API: a portfolio as pandas DataFrames, with no Qt anywhere.

    from genesis_desktop.portfolio.api import open_portfolio

    with open_portfolio("sqlite:///demo.sqlite") as p:
        proposals = p.proposals(reporting_currency="USD")
        budgets = p.proposal_budgets()                 # one row per proposal and fiscal year
        japan = p.commitments(reporting_currency="USD")  # at each commitment's pledge-date rate
        foa = p.call("DE-FOA-0003612")                 # {"call", "phases", "proposals", "budgets"}

Columns are typed: int64 counts and years, categoricals for statuses, phases, areas and kinds,
datetime64 for dates, str for text, bool for flags. Lists (keywords, team, challenges, funds) are
one string with items joined by "; ", as in the flat files; `.str.split("; ")` recovers them.
Records name each other by natural keys: institution and challenge codes, call numbers, proposal
and partner codes, reviewer emails.

Money. Every amount comes as `<name>_minor` (exact int64 minor units of the row's `currency`: use
it for sums that must balance) and `<name>` (float64 major units, for analysis and plots). With
`reporting_currency="USD"` a frame also gets `<name>_usd_minor` (exact, rounded half-even as
money.Money.convert does), `<name>_usd` (float64), `rate` (units of USD per unit of the row's
currency) and `rate_date` (the publication date of the rate used). The rate is the latest in the
portfolio's exchange_rate table published on or before `rates_on`; `rates_on` defaults to today,
except for commitments, which by default use each commitment's `pledged_on` date: the value of a
pledge is the value at which it was made, and it does not drift with the market. Pass `rates_on`
to revalue every commitment at one date. A pair with no rate on or before the date raises
money.MoneyError naming the pair and the date.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pandas as pd

from . import frames
from .frames_money import add_converted, rate_book
from .money import RateBook
from .store import Store, open_store


def open_portfolio(url: str | None = None) -> "Portfolio":
    """Open an existing portfolio by SQLAlchemy URL (`sqlite:///path/to/file.sqlite`); None means
    GENESIS_DB or the desktop's default file. A missing SQLite file is an error, never created; a
    file from an older Genesis Desktop is upgraded as the desktop would (a backup is kept beside it)."""
    return Portfolio(open_store(url, create=False))


def as_date(value: date | datetime | str) -> date:
    """A rates_on argument as a date: a date, a datetime or pandas Timestamp (its day), or ISO text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"rates_on must be a date or ISO text such as '2026-06-01', got {value!r}")


class Portfolio:
    """Read-only frames over one portfolio. Close it (or use `with`) to release the database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def url(self) -> str:
        return self.store.url

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Portfolio":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Portfolio({self.store.url!r})"

    def _read(self, reader: Callable[..., pd.DataFrame], *args) -> pd.DataFrame:
        with self.store.engine.connect() as conn:
            return reader(conn, *args)

    def rate_book(self) -> RateBook:
        """The portfolio's dated exchange rates as a money.RateBook."""
        with self.store.engine.connect() as conn:
            return rate_book(conn)

    def _money(self, df: pd.DataFrame, names: list[str], reporting_currency: str | None,
               on: date | pd.Series | None) -> pd.DataFrame:
        if reporting_currency is None:
            return df
        when = date.today() if on is None else on if isinstance(on, pd.Series) else as_date(on)
        return add_converted(df, names, reporting_currency, self.rate_book(), when)

    def institutions(self) -> pd.DataFrame:
        """code, name, kind, country, city."""
        return self._read(frames.institutions)

    def challenges(self) -> pd.DataFrame:
        """code, title, area, lead_institution, description, target_outcomes, status, official, source, programme."""
        return self._read(frames.challenges)

    def calls(self, reporting_currency: str | None = None, rates_on: date | None = None) -> pd.DataFrame:
        """number, title, currency, total_budget(_minor), opens_on, closes_on, topic_areas, description, programme."""
        return self._money(self._read(frames.calls), ["total_budget"], reporting_currency, rates_on)

    def call_phases(self, reporting_currency: str | None = None, rates_on: date | None = None) -> pd.DataFrame:
        """call, phase, currency, award_floor(_minor), award_ceiling(_minor), ceiling_per_year,
        duration_months, deadline, budget_period_start, budget_period_end."""
        df = self._read(frames.call_phases)
        return self._money(df, ["award_floor", "award_ceiling"], reporting_currency, rates_on)

    def proposals(self, reporting_currency: str | None = None, rates_on: date | None = None) -> pd.DataFrame:
        """code, call, phase, title, abstract, keywords, lead_institution, principal_investigator,
        team (the other institutions), primary_challenge, challenges (primary first), pi_email, currency,
        requested_minor, requested_gpu_hours, status, submitted_on, status_changed_at (the latest
        change), requested (the budget's total over its fiscal years)."""
        return self._money(self._read(frames.proposals), ["requested"], reporting_currency, rates_on)

    def proposal_budgets(self, reporting_currency: str | None = None, rates_on: date | None = None) -> pd.DataFrame:
        """One row per proposal and fiscal year: proposal, call, phase, status, fiscal_year, currency, amount(_minor)."""
        return self._money(self._read(frames.proposal_budgets), ["amount"], reporting_currency, rates_on)

    def partners(self) -> pd.DataFrame:
        """code, name, kind, country, fiscal_calendar, institution, agreement."""
        return self._read(frames.partners)

    def commitments(self, reporting_currency: str | None = None, rates_on: date | None = None) -> pd.DataFrame:
        """One row per commitment and fiscal year (in the partner's fiscal calendar): commitment,
        partner, title, state, funds, pledged_on, obligated_on, disbursed_on, fiscal_calendar,
        fiscal_year, currency, pledged(_minor), obligated(_minor), disbursed(_minor). Converted at
        each commitment's pledged_on rate unless `rates_on` is given."""
        df = self._read(frames.commitments)
        on = df["pledged_on"] if rates_on is None else rates_on
        return self._money(df, ["pledged", "obligated", "disbursed"], reporting_currency, on)

    def rates(self) -> pd.DataFrame:
        """base, quote, on, rate (float64; rate_book() has the exact decimals), source."""
        return self._read(frames.rates)

    def reviewers(self) -> pd.DataFrame:
        """email, name, institution, expertise, partner_ties."""
        return self._read(frames.reviewers)

    def reviews(self) -> pd.DataFrame:
        """proposal, reviewer, state, comments, updated_at, submitted_at, score_<criterion> (Int64), mean_score."""
        return self._read(frames.reviews)

    def call(self, number: str, reporting_currency: str | None = None,
             rates_on: date | None = None) -> dict[str, pd.DataFrame]:
        """One call: {"call": its row, "phases", "proposals", "budgets"}. KeyError if there is no such call."""
        calls = self.calls(reporting_currency, rates_on)
        row = calls[calls["number"] == number].reset_index(drop=True)
        if row.empty:
            raise KeyError(f"no call numbered {number!r} in {self.url}")
        phases = self.call_phases(reporting_currency, rates_on)
        with self.store.engine.connect() as conn:
            found = {"proposals": frames.proposals(conn, number), "budgets": frames.proposal_budgets(conn, number)}
        return {
            "call": row,
            "phases": phases[phases["call"] == number].reset_index(drop=True),
            "proposals": self._money(found["proposals"], ["requested"], reporting_currency, rates_on),
            "budgets": self._money(found["budgets"], ["amount"], reporting_currency, rates_on),
        }


__all__ = ["open_portfolio", "Portfolio"]
