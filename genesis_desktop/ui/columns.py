"""Table contents as column arrays: display text made once, sort orders by argsort, filters by masks.

Qt-free (numpy and pandas only), so a worker thread builds a `TableData` from a DataFrame and the GUI
thread only swaps it into a model. Sorting never compares Python objects row by row: numbers argsort
directly, strings are ranked once with `pandas.factorize(sort=True)` and their integer codes argsorted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd

Kind = Literal["text", "int", "float", "bool", "enum"]
Align = Literal["left", "right", "center"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table view.

    key: the frame column whose values sort the column (and that `raw` returns).
    text_key: a frame column that already holds the display text (e.g. exact money), else formatted
    from `key` by kind. order: for kind "enum", the values in their natural order (a workflow), so
    that sorting follows it instead of the alphabet.
    """

    key: str
    title: str
    kind: Kind = "text"
    text_key: str | None = None
    order: tuple[str, ...] = ()
    stretch: bool = False
    filterable: bool = True

    @property
    def align(self) -> Align:
        return "right" if self.kind in ("int", "float") else "left"


def enum_label(value: object) -> str:
    """'under_review' -> 'Under review'."""
    return "" if _missing(value) else str(value).replace("_", " ").capitalize()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT


def _formatter(kind: Kind) -> Callable[[object], str]:
    if kind == "int":
        return lambda v: f"{int(v):,}"
    if kind == "float":
        return lambda v: f"{v:,.2f}"
    if kind == "bool":
        return lambda v: "Yes" if v else "No"
    if kind == "enum":
        return enum_label
    return str


def _texts(spec: ColumnSpec, frame: pd.DataFrame) -> list[str]:
    # Format each distinct value once: tables repeat statuses, areas and institutions many times over.
    if spec.text_key is not None:
        source, format_one = frame[spec.text_key].to_numpy(), str
    else:
        source, format_one = frame[spec.key].to_numpy(), _formatter(spec.kind)
    codes, uniques = pd.factorize(source, use_na_sentinel=True)
    labels = np.empty(len(uniques) + 1, dtype=object)
    labels[:-1] = [format_one(v) for v in uniques.tolist()]
    labels[-1] = ""
    return labels[codes].tolist()


def _ranked(values: np.ndarray, rank_uniques: Callable[[list], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rank distinct values once (`rank_uniques` gives each its rank), then look ranks up by code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    ranks = np.append(rank_uniques(uniques.tolist()).astype(np.int64), -1)
    return ranks[codes], codes < 0


def _sort_key(spec: ColumnSpec, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, missing): an array that argsorts into the column's order, and where values are absent."""
    if spec.kind == "enum" and spec.order:
        position = {v: i for i, v in enumerate(spec.order)}

        def by_workflow(uniques: list) -> np.ndarray:
            # Values outside the declared order sort after it, alphabetically among themselves.
            others = {v: len(position) + i for i, v in enumerate(sorted(set(map(str, uniques)) - set(position)))}
            return np.array([position.get(str(v), others.get(str(v), 0)) for v in uniques], dtype=np.int64)

        return _ranked(values, by_workflow)
    if values.dtype.kind in "iub":
        return values, np.zeros(len(values), dtype=bool)
    if values.dtype.kind == "f":
        return values, np.isnan(values)
    if values.dtype.kind == "M":
        return values.view(np.int64), np.isnat(values)

    def alphabetical(uniques: list) -> np.ndarray:
        ranks, _ = pd.factorize(np.array([str(v).casefold() for v in uniques], dtype=object), sort=True)
        return ranks

    return _ranked(values, alphabetical)


def _column_values(series: pd.Series) -> np.ndarray:
    """Plain numpy numbers where possible; otherwise objects with None (not NaN) where a value is absent."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iufbmM":
        return series.to_numpy()
    if dtype.kind in "iuf":  # nullable extension numbers: absent becomes NaN
        return series.to_numpy(dtype=float, na_value=np.nan)
    return series.to_numpy(dtype=object, na_value=None)


def sort_order(key: np.ndarray, missing: np.ndarray, descending: bool = False) -> np.ndarray:
    """Stable permutation of row numbers; equal keys keep their order, absent values go last."""
    present = np.flatnonzero(~missing)
    k = key[present]
    if descending:
        n = len(k)
        order = (n - 1 - np.argsort(k[::-1], kind="stable"))[::-1]
    else:
        order = np.argsort(k, kind="stable")
    return np.concatenate([present[order], np.flatnonzero(missing)])


@dataclass
class TableData:
    """Everything a table model shows, as arrays and lists indexed by source row."""

    columns: tuple[ColumnSpec, ...]
    values: tuple[np.ndarray, ...]
    text: tuple[list[str], ...]
    _keys: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _haystack: pd.Series | None = field(default=None, repr=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, columns: Sequence[ColumnSpec]) -> TableData:
        columns = tuple(columns)
        absent = [c.key for c in columns if c.key not in frame] + [
            c.text_key for c in columns if c.text_key and c.text_key not in frame
        ]
        if absent:
            raise KeyError(f"frame lacks the columns {absent}; it has {list(frame.columns)}")
        values = tuple(_column_values(frame[c.key]) for c in columns)
        return cls(columns, values, tuple(_texts(c, frame) for c in columns))

    @classmethod
    def empty(cls, columns: Sequence[ColumnSpec]) -> TableData:
        keys = {k for c in columns for k in (c.key, c.text_key) if k}
        return cls.from_frame(pd.DataFrame({k: pd.Series([], dtype=object) for k in keys}), columns)

    @property
    def row_count(self) -> int:
        return len(self.values[0]) if self.values else 0

    def prepare(self) -> TableData:
        """Rank every column and build the filter text now (in a worker) rather than on first use."""
        for column in range(len(self.columns)):
            self._key(column)
        self._search_text()
        return self

    def order(self, column: int, descending: bool = False) -> np.ndarray:
        return sort_order(*self._key(column), descending=descending)

    def matches(self, needle: str) -> np.ndarray:
        """Rows whose filterable text contains every word of `needle`, ignoring case."""
        mask = np.ones(self.row_count, dtype=bool)
        words = needle.casefold().split()
        if words:
            haystack = self._search_text()
            for word in words:
                mask &= haystack.str.contains(word, regex=False).to_numpy(dtype=bool)
        return mask

    def _key(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._keys:
            self._keys[column] = _sort_key(self.columns[column], self.values[column])
        return self._keys[column]

    def _search_text(self) -> pd.Series:
        if self._haystack is None:
            searchable = [t for c, t in zip(self.columns, self.text) if c.filterable]
            joined = pd.Series([""] * self.row_count, dtype=object)
            for i, t in enumerate(searchable):
                # A separator no one types, so that a word never matches across two cells.
                joined = joined + ("\x1f" if i else "") + pd.Series(t, dtype=object)
            self._haystack = joined.str.casefold()
        return self._haystack
