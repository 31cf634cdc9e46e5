"""Reporting-currency helpers for the overview and the investments view (Qt-free).

Which currencies a portfolio can be reported in, converting exact sums with the portfolio's dated
rates (frames_money.add_converted does the arithmetic), and saying which rates were used, in the
direction they were published: "1 USD = 149.6 JPY (2026-04-01)", not "1 JPY = 0.00668... USD".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, select, union

from .frames_money import add_converted
from .money import Rate, RateBook
from .partners import Commitment, ExchangeRate
from .programme import Call, Programme
from .proposals import Proposal

DEFAULT_REPORTING = "USD"


@dataclass(frozen=True, order=True)
class RateUsed:
    """One published rate that a figure was converted with, and what it was used for."""

    base: str
    quote: str
    on: date
    value: Decimal
    source: str = ""
    used_for: str = ""

    def text(self) -> str:
        # normalize() drops the database's trailing zeros (155.2000000000 -> 155.2); :f avoids 1E+2.
        return f"1 {self.base} = {self.value.normalize():f} {self.quote} ({self.on.isoformat()})"


def rates_text(rates: tuple[RateUsed, ...] | list[RateUsed], reporting: str) -> str:
    """'Rates used to convert to JPY: 1 USD = 155.2 JPY (2026-04-01) for proposals; ...', or why
    none was needed. It names the reporting currency: the same rate serves both directions."""
    if not rates:
        return f"Rates used: none; every amount shown is already in {reporting}."
    groups: dict[str, list[str]] = {}
    for rate in sorted(rates, key=lambda r: (r.used_for, r.base, r.quote, r.on)):
        texts = groups.setdefault(rate.used_for, [])
        if rate.text() not in texts:
            texts.append(rate.text())
    parts = [f"{', '.join(texts)} for {used_for}" if used_for else ", ".join(texts)
             for used_for, texts in groups.items()]
    return f"Rates used to convert to {reporting}: " + "; ".join(parts) + "."


def programme_currency(conn: Connection) -> str:
    """The reporting currency of the (first) programme; USD for a portfolio without one."""
    found = conn.scalar(select(Programme.reporting_currency).order_by(Programme.id).limit(1))
    return found or DEFAULT_REPORTING


def reporting_currencies(conn: Connection) -> tuple[str, ...]:
    """The currencies every amount in the portfolio can be converted to with a published rate
    (direct or inverse; no cross rates), the programme's own first. Whether a rate exists early
    enough for a given date is found out when converting, and reported then with the pair and date."""
    programme = programme_currency(conn)
    data = set(conn.scalars(union(select(Call.currency), select(Proposal.currency), select(Commitment.currency))))
    pairs = {(b, q) for b, q in conn.execute(select(ExchangeRate.base, ExchangeRate.quote).distinct())}
    candidates = data | {c for pair in pairs for c in pair} | {programme}

    def reaches(target: str) -> bool:
        return all(c == target or (c, target) in pairs or (target, c) in pairs for c in data)

    others = sorted(c for c in candidates if c != programme and reaches(c))
    return (programme, *others)


def published(book: RateBook, rate: Rate, used_for: str) -> RateUsed:
    """The rate as it was published: RateBook answers a reversed pair with the inverse of the
    published rate (its source then reads 'inverse of ...'), so ask for the pair the other way."""
    if rate.source.startswith("inverse of"):
        rate = book.rate(rate.quote, rate.base, rate.on)
    return RateUsed(rate.base, rate.quote, rate.on, rate.value, rate.source, used_for)


def convert(df: pd.DataFrame, names: list[str], reporting: str, book: RateBook, on: date | pd.Series,
            used_for: str) -> tuple[pd.DataFrame, dict[tuple[str, date], RateUsed]]:
    """`df` with `<name>_reporting_minor` (exact, half-even) for each name, and the rates used,
    keyed by (row currency, rate date). Rows already in `reporting` are copied unchanged."""
    out = add_converted(df.copy(), names, reporting, book, on)
    suffix = reporting.lower()
    for name in names:
        out[f"{name}_reporting_minor"] = out.pop(f"{name}_{suffix}_minor")
        out.pop(f"{name}_{suffix}")
    used: dict[tuple[str, date], RateUsed] = {}
    foreign = out.loc[out["currency"] != reporting, ["currency", "rate_date"]].drop_duplicates()
    for currency, day in foreign.itertuples(index=False):
        day = day.date()
        used[(currency, day)] = published(book, book.rate(currency, reporting, day), used_for)
    return out, used
