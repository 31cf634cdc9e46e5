"""Display text for whole columns at once: grouped integers and exact money, without a Python call per row.

Qt-free. A million amounts through `money.format_grouped` (a Decimal each) take about ten seconds on a
two-core machine, and `f"{v:,}"` per row over a second; here the digits are cut out of the integers
with numpy and laid into a byte matrix (sign, grouped digits, point, decimals), and each row's text is
the part of its matrix row it needs: about 0.7 s for a million amounts, with numpy releasing the GIL
for most of it. `tests/ui/test_table_format.py` checks the text is exactly `format_grouped`'s.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from genesis_desktop.portfolio.money import CURRENCY_DIGITS

# Converting arrow text to Python strings holds the GIL; slices this long take a few milliseconds.
PYTHON_SLICE_ROWS = 32_768
_POWERS = 10 ** np.arange(0, 19, dtype=np.int64)  # 1 .. 10**18
_MINUS, _COMMA, _POINT, _ZERO = (ord(c) for c in "-,.0")


def grouped_integers(values: np.ndarray) -> pa.Array:
    """'1,234,567' for each integer (a minus sign before negative ones), like f'{v:,}'."""
    values = np.asarray(values, dtype=np.int64)
    no_decimals = np.zeros(len(values), dtype=np.int64)
    return _layout(_magnitude(values), values < 0, no_decimals, no_decimals)


def minor_digits_of(currencies: Sequence[str] | np.ndarray | pd.Series, default: int = 2) -> np.ndarray:
    """Decimal places of each row's currency (`default` where the code is unknown or missing)."""
    codes, uniques = pd.factorize(pd.Series(currencies), use_na_sentinel=True)
    digits = np.array([CURRENCY_DIGITS.get(str(c), default) for c in uniques] + [default], dtype=np.int64)
    return digits[codes]


def money_major(minor: np.ndarray, currencies: Sequence[str] | np.ndarray | pd.Series) -> np.ndarray:
    """Major units as floats: for sorting and range filters only, never for sums or display."""
    return np.asarray(minor, dtype=np.int64) / np.power(10.0, minor_digits_of(currencies))


def money_text(minor: np.ndarray, currencies: Sequence[str] | np.ndarray | pd.Series) -> pa.Array:
    """Exact grouped major units, row by row the text of `money.format_grouped(minor, currency)`."""
    minor = np.asarray(minor, dtype=np.int64)
    places = minor_digits_of(currencies)
    whole, fraction = np.divmod(_magnitude(minor), _POWERS[places])
    return _layout(whole, minor < 0, fraction, places)


def to_python(texts: pa.Array | pa.ChunkedArray) -> list:
    """The strings as a Python list (None where missing), converted in slices so that the GIL is
    handed back to the GUI thread between them."""
    out: list = []
    for start in range(0, len(texts), PYTHON_SLICE_ROWS):
        out.extend(texts.slice(start, PYTHON_SLICE_ROWS).to_pylist())
    return out


def take_objects(items: np.ndarray, indexes: np.ndarray) -> np.ndarray:
    """`items[indexes]` for an object array, in slices: one take of a million objects holds the GIL
    for tens of milliseconds, which the GUI thread would feel as a stall."""
    out = np.empty(len(indexes), dtype=object)
    for start in range(0, len(indexes), PYTHON_SLICE_ROWS):
        part = slice(start, start + PYTHON_SLICE_ROWS)
        out[part] = items[indexes[part]]
    return out


def _magnitude(values: np.ndarray) -> np.ndarray:
    # |int64 min| does not fit in an int64; no amount or count comes near it, but never wrap silently.
    if len(values) and values.min() == np.iinfo(np.int64).min:
        raise OverflowError("cannot format the smallest int64")
    return np.abs(values)


def _layout(whole: np.ndarray, negative: np.ndarray, fraction: np.ndarray, places: np.ndarray) -> pa.Array:
    """Text '-1,234.50' from the parts: |whole part|, sign, fraction digits and how many of them.

    One matrix column per character position, filled a column at a time (vectorised), with a mask of
    the positions each row keeps; the kept bytes in row order are the arrow string data.
    """
    n = len(whole)
    digits = 1 + np.searchsorted(_POWERS[1:], whole, side="right")  # 0 has one digit
    most = int(digits.max()) if n else 1
    width = most + (most - 1) // 3  # grouped digits of the longest number
    decimals = int(places.max()) if n else 0
    columns = 1 + width + (1 + decimals if decimals else 0)
    # Built column-major (each column written contiguously), transposed once at the end.
    chars = np.empty((columns, n), dtype=np.uint8)
    keep = np.empty((columns, n), dtype=bool)
    chars[0], keep[0] = _MINUS, negative
    rest = whole.copy()
    for k in range(most):  # k-th digit from the right sits after k // 3 commas
        rest, digit = np.divmod(rest, 10)
        np.add(digit, _ZERO, out=chars[width - k - k // 3], casting="unsafe")
    for group in range(1, (most - 1) // 3 + 1):
        chars[width - 4 * group + 1] = _COMMA
    first_kept = width - (digits + (digits - 1) // 3)
    for position in range(width):
        np.greater_equal(position, first_kept, out=keep[1 + position])
    if decimals:
        chars[1 + width], keep[1 + width] = _POINT, places > 0
        for j in range(decimals):  # j-th decimal from the left of a `places`-digit fraction
            shift = _POWERS[np.maximum(places - 1 - j, 0)]
            np.add((fraction // shift) % 10, _ZERO, out=chars[2 + width + j], casting="unsafe")
            np.less(j, places, out=keep[2 + width + j])
    keep = np.ascontiguousarray(keep.T)
    data = np.ascontiguousarray(chars.T)[keep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def add_money(frame: pd.DataFrame, names: Sequence[str], currency: str = "currency") -> pd.DataFrame:
    """For each `<name>_minor` column (exact integer minor units): `<name>` in major units (float,
    the sort key and range-filter value) and `<name>_text`, the exact grouped text people read; rows
    with no currency show no amount."""
    currencies = frame[currency]
    absent = currencies.isna().to_numpy()
    for name in names:
        minor = frame[f"{name}_minor"].fillna(0).astype(np.int64)
        frame[f"{name}_minor"] = minor
        frame[name] = np.where(absent, np.nan, money_major(minor.to_numpy(), currencies))
        text = pd.Series(money_text(minor.to_numpy(), currencies), index=frame.index, dtype="str")
        frame[f"{name}_text"] = text.where(~absent, "")
    return frame
