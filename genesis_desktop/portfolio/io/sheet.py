"""A file's table bound to its kind: column checks that report problems against the file's rows.

Scalar accessors return a Series indexed by row number. List and mapping columns come back
exploded, one entry per line of a frame with a `row` column, so that a bad entry is reported with
its own text ("FY2027=12.345") on the row it came from.
"""
from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from . import codecs
from .problems import Problems
from .spec import Kind
from .tables import RawTable

REQUIRED = "a value is required"
SEPARATORS = "a code cannot contain ';' or '=' (they separate list items and key=value pairs)"


class Sheet:
    def __init__(self, raw: RawTable, kind: Kind, problems: Problems) -> None:
        self.file = raw.file
        self.kind = kind
        self.problems = problems
        self.header_row = raw.header_row
        self.df = raw.frame
        self.rows = self.df.index
        self._check_header(raw.duplicates)
        self.present = set(self.df.columns)

    def __len__(self) -> int:
        return len(self.df)

    # -- reporting --------------------------------------------------------------------------------

    def report(self, column: str, errs: pd.Series, rows: pd.Series | None = None, values: pd.Series | None = None) -> None:
        """Record the rules in `errs` (indexed like `rows`/`values`, or by row number when they are None)."""
        if errs.empty:
            return
        at = errs.index
        row_numbers = at.to_numpy() if rows is None else rows.loc[at].to_numpy()
        shown = (self.raw(column).loc[at] if values is None else values.loc[at]).to_numpy(dtype=object)
        self.problems.add(self.file, row_numbers, column, shown, errs.to_numpy(dtype=object))

    def report_rows(self, rows, column: str, values, rule) -> None:
        self.problems.add(self.file, np.asarray(rows, dtype=np.int64), column, values, rule)

    def _check_header(self, duplicates: list[str]) -> None:
        h = self.header_row
        if not len(self.df.columns) and not len(self.df):
            return  # an empty JSON array names no columns and holds no rows: an empty import
        for name in duplicates:
            self.problems.add(self.file, [h], name, name, "this column appears more than once")
        for name in self.kind.columns:
            if name in self.kind.required and name not in self.df.columns:
                self.problems.add(self.file, [h], name, "", "required column is missing")
        for name in list(self.df.columns):
            if name in self.kind.columns:
                continue
            hint = difflib.get_close_matches(name, self.kind.columns, 1, 0.6)
            rule = (f"unknown column (did you mean {hint[0]}?)" if hint else
                    f"unknown column: {self.kind.name} has columns {', '.join(self.kind.columns)}")
            self.problems.add(self.file, [h], name, name, rule)

    # -- scalar columns -----------------------------------------------------------------------------

    def raw(self, column: str) -> pd.Series:
        if column in self.df.columns:
            return self.df[column]
        return pd.Series("", index=self.rows, dtype="str")

    def _max_len(self, column: str) -> int | None:
        col = self.kind.table.c.get(column)
        return getattr(col.type, "length", None) if col is not None else None

    def _cell(self, column: str, parse, required: bool, *args) -> pd.Series:
        raw = self.raw(column)
        values, errs = parse(raw, *args)
        self.report(column, errs)
        if required and column in self.present:
            blank = (raw.str.strip() == "").to_numpy()
            self.report_rows(self.rows[blank], column, "", REQUIRED)
        return values

    def text(self, column: str, required: bool = False, max_len: int | None = None) -> pd.Series:
        return self._cell(column, codecs.text, required, max_len or self._max_len(column))

    def code(self, column: str) -> pd.Series:
        """A required key that other files name inside lists and mappings, so it cannot hold ';' or '='."""
        values = self.text(column, True)
        bad = values.str.contains(r"[;=]", regex=True).to_numpy(dtype=bool)
        self.report_rows(self.rows[bad], column, values[bad].to_numpy(dtype=object), SEPARATORS)
        return values

    def choice(self, column: str, allowed, required: bool = False, default: str = "") -> pd.Series:
        if isinstance(allowed, type):
            allowed = [m.value for m in allowed]
        values = self._cell(column, codecs.choice, required, list(allowed))
        if default and not required:
            values = values.where(self.raw(column).str.strip() != "", default)
        return values

    def country(self, column, required=False):
        return self._cell(column, codecs.country, required)

    def currency(self, column, required=False):
        return self._cell(column, codecs.currency, required)

    def email(self, column, required=False):
        return self._cell(column, codecs.email, required)

    def boolean(self, column, default: bool | None = None):
        values = self._cell(column, codecs.boolean, False)
        return values if default is None else values.where(values.notna(), default)

    def whole(self, column, required=False, minimum: int = 0):
        return self._cell(column, codecs.whole, required, minimum)

    def date(self, column, required=False):
        return self._cell(column, codecs.dates, required)

    def datetime(self, column, required=False):
        return self._cell(column, codecs.datetimes, required)

    def decimal(self, column, int_digits: int, frac_digits: int, required=False):
        return self._cell(column, codecs.decimals, required, int_digits, frac_digits)

    def money(self, column, currencies: pd.Series, required=False):
        return self._cell(column, codecs.money, required, currencies)

    # -- lists and mappings -------------------------------------------------------------------------

    def items(self, column: str, required: bool = False) -> pd.DataFrame:
        """One line per list item: columns row, item (order kept; repeats within a row reported)."""
        raw = self.raw(column)
        s = codecs.split_items(raw)
        out = pd.DataFrame({"row": s.index.to_numpy(dtype=np.int64), "item": s.to_numpy()})
        out["item"] = out["item"].astype("str")
        if required and column in self.present:
            empty = ~self.rows.isin(out["row"].unique())
            self.report_rows(self.rows[empty], column, raw[empty].to_numpy(dtype=object), REQUIRED)
        dup = out.duplicated(["row", "item"]).to_numpy()
        if dup.any():
            self.report_rows(out["row"][dup], column, out["item"][dup].to_numpy(dtype=object), "listed more than once")
            out = out[~dup].reset_index(drop=True)
        return out

    def mapping(self, column: str, required: bool = False, fiscal: bool = False) -> pd.DataFrame:
        """One line per key=value entry: columns row, key (an int fiscal year when `fiscal`), value, entry."""
        items = self.items(column, required)
        has, key, val = codecs.split_pairs(items["item"])
        self.report_rows(items["row"][~has], column, items["item"][~has].to_numpy(dtype=object),
                         "expected key=value entries separated by ';'")
        frame = pd.DataFrame({"row": items["row"], "key": key, "value": val, "entry": items["item"]})[has]
        frame = frame.reset_index(drop=True)
        if fiscal:
            years, errs = codecs.fiscal_years(frame["key"])
            self.report(column, errs, frame["row"], frame["entry"])
            frame["key"] = years
        nokey = (frame["key"].isna() | (frame["key"] == "")).to_numpy(dtype=bool)
        if not fiscal:
            self.report_rows(frame["row"][nokey], column, frame["entry"][nokey].to_numpy(dtype=object),
                             "an entry has no key before '='")
        frame = frame[~nokey]
        dup = frame.duplicated(["row", "key"], keep=False).to_numpy()
        if dup.any():
            self.report_rows(frame["row"][dup], column, frame["entry"][dup].to_numpy(dtype=object),
                             "the same key is given more than once")
            frame = frame.drop_duplicates(["row", "key"])
        return frame.reset_index(drop=True)

    def entry_values(self, column: str, frame: pd.DataFrame, parse, *args) -> pd.Series:
        """Parse a mapping's values with a codec; problems name the entry."""
        values, errs = parse(frame["value"], *args)
        self.report(column, errs, frame["row"], frame["entry"])
        blank = (frame["value"] == "").to_numpy(dtype=bool)
        self.report_rows(frame["row"][blank], column, frame["entry"][blank].to_numpy(dtype=object),
                         "an entry has no value after '='")
        return values

    def entry_money(self, column: str, frame: pd.DataFrame, currency_by_row: pd.Series) -> pd.Series:
        """A mapping's amounts in minor units, each in the currency of the row it is on."""
        ccy = pd.Series(currency_by_row.reindex(frame["row"]).to_numpy(), index=frame.index, dtype="str")
        return self.entry_values(column, frame, codecs.money, ccy)

    # -- keys and references ------------------------------------------------------------------------

    def unique_key(self, column: str, parts: list[pd.Series], what: str) -> pd.Series:
        """The natural key per row (a tuple for composite keys); rows that repeat a key are reported."""
        valid = np.ones(len(self.rows), dtype=bool)
        for p in parts:
            valid &= (p.notna() & (p.astype(object) != "")).to_numpy(dtype=bool)
        key = parts[0] if len(parts) == 1 else pd.Series(list(zip(*parts)), index=self.rows, dtype=object)
        dup = key.duplicated(keep=False).to_numpy() & valid
        if dup.any():
            shown = key[dup].map(lambda k: " / ".join(map(str, k)) if isinstance(k, tuple) else str(k))
            rows_of = shown.groupby(shown, sort=False).groups
            rules = [f"{what} given more than once in this file (rows {_rows(rows_of[v])})" for v in shown]
            self.report_rows(self.rows[dup], column, shown.to_numpy(dtype=object), rules)
        return key.where(pd.Series(valid, index=self.rows), None)

    def refs(self, column: str, values: pd.Series, known, what: str, rows: pd.Series | None = None) -> None:
        """Report values that name no record of `what` in the database or this import."""
        present = (values.notna() & (values.astype(object) != "")).to_numpy(dtype=bool)
        bad = present & ~values.isin(known).to_numpy(dtype=bool)
        if bad.any():
            at = (values.index if rows is None else rows).to_numpy()[bad]
            self.report_rows(at, column, values.to_numpy(dtype=object)[bad],
                             f"unknown {what}: not in the database or in this import")


def _rows(index) -> str:
    rows = [str(r) for r in index[:6]]
    return ", ".join(rows[:5]) + (", ..." if len(rows) > 5 else "")
