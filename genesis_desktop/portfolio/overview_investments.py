"""What each partner put in, year by year: pledged, obligated and disbursed (Qt-free).

One row per commitment and fiscal year (in the partner's own fiscal calendar), in the commitment's
currency and in a reporting currency. A commitment is valued at the rate of its pledge date, as
`portfolio.api` does: a pledge is worth what it was worth when it was made. Each row is converted
on its own, so the totals in the reporting currency are the sums of the rows a person sees.
Cancelled commitments are left out, as in `genesis summary`.
"""
from __future__ import annotations

from dataclasses import dataclass
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from . import frames
from .frames_money import rate_book
from .money import RateBook
from .overview_rates import RateUsed, convert, programme_currency, rates_text, reporting_currencies
from .partners import Commitment, CommitmentState, Partner

MEASURES = ("pledged", "obligated", "disbursed")
CALENDAR_NAMES = {"US": "US federal fiscal year, October to September",
                  "JP": "Japanese fiscal year, April to March",
                  "CAL": "calendar year"}
FISCAL_MONTHS = {"US": "October–September", "JP": "April–March", "CAL": "January–December"}
COMMITMENTS_RATES = "commitments (at each pledge date)"


def calendar_name(code: str) -> str:
    return CALENDAR_NAMES.get(code, f"fiscal calendar {code}")


@dataclass(frozen=True)
class Investments:
    reporting_currency: str
    currencies: tuple[str, ...]
    # code, name, kind, country, fiscal_calendar, commitments (how many, cancelled ones left out)
    partners: pd.DataFrame
    # commitment, partner, title, state, fiscal_calendar, fiscal_year, currency, pledged_on,
    # <measure>_minor and <measure>_reporting_minor for each measure, rate (text, "" if not converted)
    years: pd.DataFrame
    rates_used: tuple[RateUsed, ...]

    def rates_text(self) -> str:
        return rates_text(self.rates_used, self.reporting_currency)

    def partner(self, code: str) -> pd.Series:
        return self.partners.set_index("code").loc[code]

    def rows(self, partner: str | None = None) -> pd.DataFrame:
        """The commitment years of one partner (None: every partner)."""
        rows = self.years if partner is None else self.years[self.years["partner"] == partner]
        return rows.reset_index(drop=True)

    def by_year(self, partner: str | None = None, reporting: bool = True) -> pd.DataFrame:
        """currency, fiscal_year and the three measures (exact minor units), summed over commitments;
        in the reporting currency, or in each original currency (one group per currency)."""
        return by_year(self.rows(partner), reporting, self.reporting_currency)

    def by_partner_and_year(self) -> pd.DataFrame:
        """partner, fiscal_year and the three measures in the reporting currency."""
        columns = {f"{m}_minor": (f"{m}_reporting_minor", "sum") for m in MEASURES}
        return (self.years.groupby(["partner", "fiscal_year"], as_index=False, sort=True).agg(**columns)
                .astype({f"{m}_minor": "int64" for m in MEASURES}))


def by_year(rows: pd.DataFrame, reporting: bool, reporting_currency: str) -> pd.DataFrame:
    suffix = "_reporting_minor" if reporting else "_minor"
    keyed = rows.assign(currency=reporting_currency) if reporting else rows
    columns = {f"{m}_minor": (f"{m}{suffix}", "sum") for m in MEASURES}
    out = keyed.groupby(["currency", "fiscal_year"], as_index=False, sort=True).agg(**columns)
    return out.astype({f"{m}_minor": "int64" for m in MEASURES})


def read_investments(engine: Engine, reporting_currency: str | None = None) -> Investments:
    """Every partner and its commitment years; reporting_currency None means the programme's."""
    with engine.connect() as conn:
        reporting = reporting_currency or programme_currency(conn)
        choices = reporting_currencies(conn)
        return investments_from(conn, reporting, choices, rate_book(conn))


def investments_from(conn: Connection, reporting: str, choices: tuple[str, ...], book: RateBook) -> Investments:
    years = frames.commitments(conn)
    years = years[years["state"] != CommitmentState.CANCELLED.value].reset_index(drop=True)
    years, used = convert(years, list(MEASURES), reporting, book, years["pledged_on"], COMMITMENTS_RATES)
    days = years["rate_date"].dt.date
    years["rate"] = [used[(c, d)].text() if (c, d) in used else "" for c, d in zip(years["currency"], days)]
    keep = ["commitment", "partner", "title", "state", "fiscal_calendar", "fiscal_year", "currency", "pledged_on",
            *[f"{m}_minor" for m in MEASURES], *[f"{m}_reporting_minor" for m in MEASURES], "rate"]
    return Investments(reporting, choices, _partners(conn), years[keep], tuple(sorted(set(used.values()))))


def _partners(conn: Connection) -> pd.DataFrame:
    partners = frames.partners(conn)[["code", "name", "kind", "country", "fiscal_calendar"]]
    counted = dict(conn.execute(
        select(Partner.code, func.count(Commitment.id)).join(Commitment, Commitment.partner_id == Partner.id)
        .where(Commitment.state != CommitmentState.CANCELLED).group_by(Partner.code)).all())
    partners["commitments"] = partners["code"].map(counted).fillna(0).astype("int64")
    return partners
