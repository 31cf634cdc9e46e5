"""Cell texts to values and back, one whole column at a time.

Each parser takes a text Series (index = row numbers, "" for blank) and returns the parsed values
(None/NA where blank or bad) and the errors: a Series of rule texts indexed by the rows that broke
them. Blank cells are never errors here; whether a column is required is the caller's business.
Columns repeat a few values many times (dates, currencies, codes), so the irregular parsers run once
per distinct value, not once per row.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fiscal import parse_fiscal_year
from ..money import CURRENCY_DIGITS, MoneyError, parse_amount

LIST_SEP = ";"
MAX_MINOR = 2**63 - 1  # BigInteger
_EMAIL = r"[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>.]+"
_NO_ERRORS = pd.Series([], dtype=object)


def errors(series: pd.Series, mask, rule: str) -> pd.Series:
    """The rule for the rows where `mask` holds."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return _NO_ERRORS
    return pd.Series(rule, index=series.index[mask], dtype=object)


def by_value(s: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Run `parse(text)` once per distinct non-blank text; a ValueError's message becomes the rule."""
    good: dict[str, object] = {}
    bad: dict[str, str] = {}
    for text in pd.unique(s.to_numpy()):
        if text == "":
            continue
        try:
            good[text] = parse(text)
        except ValueError as e:
            bad[text] = str(e)
    values = s.map(good).astype(object)
    values = values.where(values.notna(), None)
    if not bad:
        return values, _NO_ERRORS
    hit = s.isin(list(bad))
    return values, pd.Series(s[hit].map(bad).to_numpy(dtype=object), index=s.index[hit], dtype=object)


def text(s: pd.Series, max_len: int | None) -> tuple[pd.Series, pd.Series]:
    s = s.str.strip()
    if max_len is None:
        return s, _NO_ERRORS
    n = s.str.len()
    return s, errors(s, n > max_len, "longer than " + str(max_len) + " characters")


def choice(s: pd.Series, allowed: list[str]) -> tuple[pd.Series, pd.Series]:
    s = s.str.strip()
    bad = (s != "") & ~s.isin(allowed)
    return s.where(~bad, ""), errors(s, bad, "must be one of: " + ", ".join(allowed))


def pattern(s: pd.Series, regex: str, rule: str) -> tuple[pd.Series, pd.Series]:
    s = s.str.strip()
    bad = (s != "") & ~s.str.fullmatch(regex)
    return s.where(~bad, ""), errors(s, bad, rule)


def country(s):
    return pattern(s, r"[A-Z]{2}", "must be an ISO 3166 alpha-2 country code: two capital letters such as US or JP")


def currency(s):
    s = s.str.strip()
    bad = (s != "") & ~s.isin(list(CURRENCY_DIGITS))
    return s.where(~bad, ""), errors(s, bad, "must be an ISO 4217 currency code such as USD or JPY")


def email(s):
    return pattern(s, _EMAIL, "must be an email address such as name@example.org")


def boolean(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    low = s.str.strip().str.lower()
    bad = (low != "") & ~low.isin(["true", "false"])
    values = pd.Series(np.where(low == "true", True, False), index=s.index, dtype=object)
    return values.where(low != "", None), errors(s, bad, "must be true or false")


def whole(s: pd.Series, minimum: int = 0) -> tuple[pd.Series, pd.Series]:
    s = s.str.strip()
    shape = s.str.fullmatch(r"\d{1,18}")
    num = pd.Series(np.where(shape, s, "-1"), index=s.index).astype("int64")
    bad = (s != "") & (~shape | (num < minimum))
    rule = "must be a whole number" + (f" of at least {minimum}" if minimum else " (0 or more)")
    return num.astype(object).where(shape & ~bad, None), errors(s, bad, rule)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(t: str) -> date:
    if not _DATE.fullmatch(t):
        raise ValueError("must be a date written YYYY-MM-DD, such as 2026-05-01")
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise ValueError("must be a real date written YYYY-MM-DD, such as 2026-05-01") from None


def _datetime(t: str) -> datetime:
    try:
        v = datetime.fromisoformat(t)
    except ValueError:
        raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM:SS, such as 2026-05-01T13:45:00") from None
    return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v


def dates(s):
    return by_value(s.str.strip(), _date)


def datetimes(s):
    return by_value(s.str.strip(), _datetime)


def fiscal_years(s):
    return by_value(s.str.strip(), parse_fiscal_year)


def decimals(s: pd.Series, int_digits: int, frac_digits: int) -> tuple[pd.Series, pd.Series]:
    """Positive decimals that fit Numeric(int_digits + frac_digits, frac_digits)."""
    def parse(t: str) -> Decimal:
        try:
            v = Decimal(t.replace(",", ""))
        except InvalidOperation:
            raise ValueError("must be a decimal number such as 149.35") from None
        if not v.is_finite() or v <= 0:
            raise ValueError("must be a number above 0")
        _, digits, exp = v.normalize().as_tuple()
        if -exp > frac_digits or len(digits) + exp > int_digits:
            raise ValueError(f"at most {int_digits} digits before and {frac_digits} after the point")
        return v
    return by_value(s.str.strip(), parse)


def money(s: pd.Series, currencies: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts in minor units of each row's currency (exactly as money.parse_amount reads them).

    Plain texts ("1500000.50") are converted with whole-column arithmetic; anything else (signs,
    thousands separators, too many decimals, junk) goes through parse_amount for its value or its
    message. Rows whose currency is unknown are skipped: the currency column reports those.
    """
    s = s.str.strip()
    digits = currencies.map(CURRENCY_DIGITS)
    known = digits.notna().to_numpy()
    # 14 whole digits keep whole * 10**4 (the most minor digits of any currency) inside int64.
    parts = pc.extract_regex(arrow(s), r"^(?P<w>\d{1,14})(?:\.(?P<f>\d*))?$")
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    whole_part, frac = parts.field("w"), parts.field("f")
    frac_len = pc.utf8_length(frac).to_numpy(zero_copy_only=False)
    fast = matched & known & (frac_len <= digits.fillna(-1).to_numpy())
    minor = np.zeros(len(s), dtype=np.int64)
    for d in pd.unique(digits[fast]):
        d = int(d)
        sel = fast & (digits == d).to_numpy()
        mask = pa.array(sel)
        w = pc.cast(whole_part.filter(mask), pa.int64()).to_numpy()
        f = pc.cast(pc.utf8_rpad(frac.filter(mask), width=d, padding="0"), pa.int64()).to_numpy() if d else 0
        minor[sel] = w * 10**d + f
    values = pd.Series(minor, index=s.index, dtype=object).where(fast, None)
    slow = known & ~fast & (s != "").to_numpy()
    if not slow.any():
        return values, _NO_ERRORS
    msgs: dict[tuple[str, str], object] = {}
    rules = []
    cur = currencies.to_numpy()
    txt = s.to_numpy()
    for i in np.flatnonzero(slow):
        key = (txt[i], cur[i])
        if key not in msgs:
            try:
                v = parse_amount(txt[i], cur[i])
                msgs[key] = v if v <= MAX_MINOR else MoneyError(f"amount {txt[i]!r} is too large")
            except MoneyError as e:
                msgs[key] = e
        r = msgs[key]
        if isinstance(r, Exception):
            rules.append((i, str(r)))
        else:
            values.iat[i] = r
    if not rules:
        return values, _NO_ERRORS
    at = [i for i, _ in rules]
    return values, pd.Series([r for _, r in rules], index=s.index[at], dtype=object)


def arrow(s: pd.Series) -> pa.Array:
    """The column as one contiguous Arrow string array (positions match the Series)."""
    if hasattr(s.array, "__arrow_array__"):
        a = s.array.__arrow_array__()
        a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            return a
    return pa.array(s.astype(object).tolist(), pa.string())


def split_items(s: pd.Series) -> pd.Series:
    """'a; b;c' per row -> one item per entry (index = row number, order kept, blanks dropped)."""
    lists = pc.split_pattern(arrow(s), LIST_SEP)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parent = pc.list_parent_indices(lists).to_numpy()
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    items = flat.filter(pa.array(keep)).to_numpy(zero_copy_only=False)
    return pd.Series(items, index=s.index.to_numpy()[parent[keep]], dtype="str")


def split_pairs(items: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """'key = value' items -> (has '=', key, value), keys and values stripped ("" where no '=')."""
    parts = pc.split_pattern(arrow(items), "=", max_splits=1)
    has = (pc.list_value_length(parts).to_numpy(zero_copy_only=False) == 2)
    key = pc.utf8_trim_whitespace(pc.list_element(parts, 0)).to_numpy(zero_copy_only=False)
    value = np.full(len(items), "", dtype=object)
    if has.any():
        sliced = pc.list_element(parts.filter(pa.array(has)), 1)
        value[has] = pc.utf8_trim_whitespace(sliced).to_numpy(zero_copy_only=False)
    return has, pd.Series(key, index=items.index, dtype="str"), pd.Series(value, index=items.index, dtype="str")


def less(a: pd.Series, b: pd.Series) -> np.ndarray:
    """True where both values are present and a < b (dates, amounts)."""
    return np.array([x is not None and y is not None and x == x and y == y and x < y
                     for x, y in zip(a.tolist(), b.tolist())], dtype=bool)


# Encoders for export: the exact inverse of the parsers above.

def join_list(items) -> str:
    return (LIST_SEP + " ").join(str(i) for i in items or ())


def join_pairs(pairs) -> str:
    return (LIST_SEP + " ").join(f"{k}={v}" for k, v in pairs)


def date_text(d) -> str:
    return "" if d is None else d.isoformat()


def bool_text(b) -> str:
    return "" if b is None else ("true" if b else "false")


def decimal_text(d) -> str:
    if d is None:
        return ""
    return format(Decimal(str(d)).normalize(), "f")
