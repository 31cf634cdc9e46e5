"""Money columns of the analysts' frames: major units beside the exact minor units, and conversion
to a reporting currency at dated rates from the portfolio's own exchange_rate table."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from .money import CURRENCY_DIGITS, MoneyError, Rate, RateBook, check_currency
from .partners import ExchangeRate


def rate_book(conn: Connection) -> RateBook:
    rows = conn.execute(select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.rate, ExchangeRate.on,
                               ExchangeRate.source)).all()
    return RateBook([Rate(b, q, Decimal(str(v)), on, s) for b, q, v, on, s in rows])


def add_major(df: pd.DataFrame, names: list[str], currency: str = "currency") -> pd.DataFrame:
    """`<name>` = `<name>_minor` in major units (float64, for analysis; the minor column stays exact)."""
    codes, currencies = pd.factorize(df[currency])  # a missing currency (code -1) takes the trailing 0 digits
    scale = 10.0 ** np.array([CURRENCY_DIGITS[c] for c in currencies] + [0], dtype="float64")[codes]
    for name in names:
        df[name] = df[f"{name}_minor"].to_numpy(dtype="float64") / scale
    return df


def convert_minor(minor: np.ndarray, rate: Decimal, from_ccy: str, to_ccy: str) -> np.ndarray:
    """Exact conversion of integer minor units at `rate` (to_ccy per from_ccy), rounded half-even:
    the same result as money.Money.convert, without a Python object per amount for int64 input."""
    num, den = Decimal(rate).as_integer_ratio()
    num *= 10 ** CURRENCY_DIGITS[to_ccy]
    den *= 10 ** CURRENCY_DIGITS[from_ccy]
    # Python integers: minor x numerator overflows int64 for rates with many decimals.
    scaled = np.asarray(minor, dtype=np.int64).astype(object) * num
    quotient, remainder = scaled // den, scaled % den
    twice = remainder * 2
    up = (twice > den) | ((twice == den) & (quotient % 2 == 1))
    return (quotient + up.astype(np.int64)).astype(np.int64)


def add_converted(df: pd.DataFrame, names: list[str], reporting: str, book: RateBook,
                  on: date | pd.Series, currency: str = "currency") -> pd.DataFrame:
    """Add `<name>_<ccy>_minor` (exact), `<name>_<ccy>` (major units), `rate` and `rate_date`.

    `on` is one date for every row, or a Series of dates (one per row, such as each commitment's
    pledge date). Each row uses the latest rate published on or before its date; a pair with no
    such rate raises MoneyError naming the pair and the date.
    """
    reporting = check_currency(reporting)
    suffix = reporting.lower()
    currencies = df[currency].to_numpy()
    if isinstance(on, pd.Series):
        when = on.map(lambda d: d.date() if isinstance(d, pd.Timestamp) else d)
        if when.isna().any():
            raise MoneyError(f"cannot convert to {reporting}: a row has no date to take the rate at")
        keys = pd.DataFrame({"c": currencies, "d": when.to_numpy()})
        groups = keys.groupby(["c", "d"], sort=True).indices
    else:
        groups = {(c, on): rows for c, rows in pd.Series(currencies).groupby(currencies, sort=True).indices.items()}
    rate = np.ones(len(df))
    rate_date = np.empty(len(df), dtype="datetime64[D]")
    out = {name: df[f"{name}_minor"].to_numpy(dtype=np.int64, copy=True) for name in names}
    for (ccy, day), rows in groups.items():
        r = book.rate(ccy, reporting, day)
        rate[rows] = float(r.value)
        rate_date[rows] = np.datetime64(r.on, "D")
        if ccy != reporting:
            for name in names:
                out[name][rows] = convert_minor(out[name][rows], r.value, ccy, reporting)
    scale = 10.0 ** CURRENCY_DIGITS[reporting]
    for name in names:
        df[f"{name}_{suffix}_minor"] = out[name]
        df[f"{name}_{suffix}"] = out[name].astype("float64") / scale
    df["rate"] = rate
    df["rate_date"] = pd.to_datetime(rate_date)
    return df
