"""The whole-column cell parsers agree with the one-value rules they stand for."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from genesis_desktop.portfolio.io import codecs
from genesis_desktop.portfolio.io.tables import cell_text
from genesis_desktop.portfolio.money import MoneyError, parse_amount

AMOUNTS = ["0", "1", "1.5", "1.50", "1.505", "1.", "007", "1500000.50", "1,500,000.50", "+12", "-3", "1e3", "1E-2",
           "abc", "", " 42 ", "99999999999999", "99999999999999999999", "0.0001", "12.3456", "NaN", "Infinity"]
CURRENCIES = ["USD", "JPY", "KWD", "CLF"]


@pytest.mark.parametrize("currency", CURRENCIES)
def test_money_column_matches_parse_amount(currency):
    s = pd.Series(AMOUNTS, index=range(10, 10 + len(AMOUNTS)), dtype="str")
    values, errs = codecs.money(s, pd.Series(currency, index=s.index, dtype="str"))
    for row, text in zip(s.index, AMOUNTS):
        if not text:
            assert values[row] is None and row not in errs.index
            continue
        try:
            expected = parse_amount(text, currency)
        except MoneyError as e:
            expected = e
        if isinstance(expected, MoneyError) or expected > codecs.MAX_MINOR:
            assert values[row] is None, (text, values[row])
            assert row in errs.index, text
        else:
            assert values[row] == expected, text
            assert row not in errs.index


def test_money_skips_rows_with_unknown_currency():
    s = pd.Series(["12.345", "12.345"], dtype="str")
    values, errs = codecs.money(s, pd.Series(["XXX", "KWD"], dtype="str"))
    assert list(values) == [None, 12345] and errs.empty


def test_lists_and_pairs():
    s = pd.Series(["a; b ;c", "", " x ;; ", "k = v; bare; =v2; k2="], index=[2, 3, 5, 6], dtype="str")
    items = codecs.split_items(s)
    assert list(zip(items.index, items)) == [(2, "a"), (2, "b"), (2, "c"), (5, "x"), (6, "k = v"), (6, "bare"),
                                             (6, "=v2"), (6, "k2=")]
    has, key, value = codecs.split_pairs(items[items.index == 6].reset_index(drop=True))
    assert list(has) == [True, False, True, True]
    assert list(key) == ["k", "bare", "", "k2"] and list(value) == ["v", "", "v2", ""]


@pytest.mark.parametrize("cell,text", [
    (None, ""), (float("nan"), ""), (True, "true"), (7, "7"), (7.0, "7"), (1500000.5, "1500000.5"),
    (datetime(2026, 5, 1), "2026-05-01"), (datetime(2026, 5, 1, 13, 45), "2026-05-01T13:45:00"),
    (date(2026, 5, 1), "2026-05-01"), (pd.NaT, ""), ("007", "007"),
])
def test_typed_cells_become_our_text(cell, text):
    assert cell_text(cell) == text


def test_dates_and_datetimes():
    values, errs = codecs.dates(pd.Series(["2026-05-01", "2026-02-30", "2026-5-1", ""], dtype="str"))
    assert values[0] == date(2026, 5, 1) and values[3] is None
    assert dict(errs) == {1: "must be a real date written YYYY-MM-DD, such as 2026-05-01",
                          2: "must be a date written YYYY-MM-DD, such as 2026-05-01"}
    values, errs = codecs.datetimes(pd.Series(["2026-05-01T13:45:00", "2026-05-01T13:45:00+02:00", "2026-05-01"],
                                              dtype="str"))
    assert list(values) == [datetime(2026, 5, 1, 13, 45), datetime(2026, 5, 1, 11, 45), datetime(2026, 5, 1)]
    assert errs.empty
