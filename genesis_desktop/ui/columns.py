"""Table contents as column arrays: display text made once, sort orders by argsort, filters by masks.

Qt-free (numpy, pandas and pyarrow only), so a worker thread builds a `TableData` from a DataFrame and
the GUI thread only swaps it into a model. Every column is dictionary-encoded once: an integer code per
row into its distinct display texts. Portfolio tables repeat themselves (a million proposals have a
few thousand distinct titles and one call), so the work that needs strings — formatting, ranking for
a sort, matching typed words, listing the values of a filter — is done once per distinct text, and
each row is reached through its code with one vectorised lookup. The string work runs in pyarrow,
which releases the GIL, so a worker preparing a large table leaves the GUI thread free to paint.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .table_encoding import NUMERIC_KINDS, enum_label, factorize, labels_of, raw_values
from .table_format import PYTHON_SLICE_ROWS, take_objects
from .table_masks import RowMasks

__all__ = ["NUMERIC_KINDS", "ColumnSpec", "TableData", "enum_label", "sort_order"]

Kind = Literal["text", "int", "float", "money", "bool", "enum", "date"]
Align = Literal["left", "right", "center"]
# What the filter bar offers for a column: a list of its values, a min-max range, or a fiscal year
# that the row's span of years (key = first year, `span_end` = last year) must include.
TypedFilter = Literal["", "choice", "range", "years"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table view.

    key: the frame column whose values sort the column (and that `raw` returns).
    text_key: a frame column that already holds the display text (e.g. exact money), else formatted
    from `key` by kind. order: for kind "enum", the values in their natural order (a workflow), so
    that sorting follows it instead of the alphabet. currency: for kind "money", the column holding
    each row's ISO 4217 code (an export always carries it next to the amount).
    """

    key: str
    title: str
    kind: Kind = "text"
    text_key: str | None = None
    order: tuple[str, ...] = ()
    stretch: bool = False
    filterable: bool = True
    filter_by: TypedFilter = ""
    currency: str | None = None
    span_end: str | None = None

    @property
    def align(self) -> Align:
        # A span of years reads as text ("FY2026–FY2030 (US)"), though it sorts by its first year.
        return "right" if self.kind in NUMERIC_KINDS and not self.span_end else "left"


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


def reverse_stably(ascending: np.ndarray, key: np.ndarray, missing: int) -> np.ndarray:
    """The descending order from a stable ascending one, in linear time: the present rows reversed,
    then each run of equal keys turned back so that ties keep their loaded order; absent rows
    (the last `missing` of `ascending`) stay last, in their loaded order."""
    present = len(ascending) - missing
    backwards = ascending[:present][::-1]
    keys = key[backwards]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if present else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.r_[starts, present])
    run_start = np.repeat(starts, lengths)
    run_end = np.repeat(starts + lengths - 1, lengths)
    out = np.empty_like(ascending)
    out[run_start + run_end - np.arange(present)] = backwards
    out[present:] = ascending[present:]
    return out


def _smallest_unsigned(ranks: np.ndarray) -> np.ndarray:
    # numpy's stable sort is a radix sort for 8- and 16-bit integers: ranks of a few thousand
    # distinct titles sort a million rows several times faster as uint16 than as int64.
    top = int(ranks.max()) if len(ranks) else 0
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32 if top < 2**32 else np.uint64
    return ranks.astype(dtype)


@dataclass
class TableData(RowMasks):
    """Everything a table model shows, as arrays and lists indexed by source row.

    values: per column, the raw values (numbers, or objects with None where absent).
    text: per column, the display text of every row (shared string objects).
    Text and labels are numpy object arrays, not lists: the cyclic garbage collector does not walk
    numpy arrays, and walking twenty lists of a million items made each full collection (which
    holds the GIL) last a tenth of a second.
    codes / labels: per column, each row's index into the column's distinct display texts (-1 where
    empty), and those texts.
    """

    columns: tuple[ColumnSpec, ...]
    values: tuple[np.ndarray, ...]
    text: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    labels: tuple[np.ndarray, ...]
    span_ends: dict[int, np.ndarray] = field(default_factory=dict)
    _keys: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _ascending: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _descending: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _lowered: dict[int, pa.Array] = field(default_factory=dict, repr=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, columns: Sequence[ColumnSpec]) -> TableData:
        columns = tuple(columns)
        needed = [c.key for c in columns] + [k for c in columns for k in (c.text_key, c.span_end) if k]
        absent = [k for k in needed if k not in frame]
        if absent:
            raise KeyError(f"frame lacks the columns {absent}; it has {list(frame.columns)}")
        values, text, codes, labels, span_ends = [], [], [], [], {}
        for i, spec in enumerate(columns):
            source = frame[spec.text_key or spec.key]
            column_codes, distinct = factorize(source)
            uniques, column_labels = labels_of(spec, distinct, spec.text_key is not None)
            shared = (column_codes, uniques) if spec.text_key is None else (None, None)
            values.append(raw_values(frame[spec.key], spec, *shared))
            texts = np.empty(len(column_labels) + 1, dtype=object)
            texts[:-1], texts[-1] = column_labels, ""
            text.append(take_objects(texts, column_codes))
            codes.append(column_codes)
            labels.append(texts[:-1])
            if spec.span_end:
                span_ends[i] = frame[spec.span_end].to_numpy(dtype=float, na_value=np.nan)
        return cls(columns, tuple(values), tuple(text), tuple(codes), tuple(labels), span_ends)

    @classmethod
    def empty(cls, columns: Sequence[ColumnSpec]) -> TableData:
        """No rows (what a model shows before its first load); built without pandas, at start-up speed."""
        columns = tuple(columns)
        values = tuple(np.empty(0, dtype=float if c.kind in NUMERIC_KINDS else object) for c in columns)
        spans = {i: np.empty(0) for i, c in enumerate(columns) if c.span_end}
        nothing = tuple(np.empty(0, dtype=object) for _ in columns)
        return cls(columns, values, nothing, tuple(np.empty(0, np.int64) for _ in columns), nothing, spans)

    @property
    def row_count(self) -> int:
        return len(self.values[0]) if self.values else 0

    def column_index(self, key: str) -> int:
        for i, spec in enumerate(self.columns):
            if spec.key == key:
                return i
        raise KeyError(f"no column {key!r}; columns: {', '.join(c.key for c in self.columns)}")

    def prepare(self) -> TableData:
        """Sort by every column and lower-case the searchable text now (in a worker) rather than on
        first use: a click on a header then costs a lookup, not a sort of a million rows."""
        for column, spec in enumerate(self.columns):
            self._ascending_order(column)
            if spec.filterable:
                self._lowered_labels(column)
        return self

    # Sorting ----------------------------------------------------------------------------------

    def order(self, column: int, descending: bool = False) -> np.ndarray:
        """Stable permutation of row numbers by the column; absent values last either way."""
        ascending = self._ascending_order(column)
        if not descending:
            return ascending
        if column not in self._descending:  # kept once asked for: 4 MB a column at a million rows
            key, missing = self._key(column)
            self._descending[column] = reverse_stably(ascending, key, int(missing.sum()))
        return self._descending[column]

    def _ascending_order(self, column: int) -> np.ndarray:
        if column not in self._ascending:
            order = sort_order(*self._key(column))
            # Row numbers fit in 32 bits: half the memory for an order kept per column.
            self._ascending[column] = order.astype(np.int32) if self.row_count < 2**31 else order
        return self._ascending[column]

    def _key(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """(key, missing): an array that argsorts into the column's order, and where values are absent."""
        if column not in self._keys:
            spec, values, codes = self.columns[column], self.values[column], self.codes[column]
            if spec.kind in NUMERIC_KINDS or spec.kind == "bool":
                key = values.astype(np.int64) if values.dtype.kind == "b" else values
                missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool)
            else:
                ranks = self._label_ranks(column)
                key, missing = _smallest_unsigned(np.append(ranks, 0)[codes]), codes < 0
            self._keys[column] = (key, missing)
        return self._keys[column]

    def _label_ranks(self, column: int) -> np.ndarray:
        spec, labels = self.columns[column], self.labels[column]
        if spec.kind == "enum" and spec.order:
            # Values outside the declared workflow sort after it, alphabetically among themselves.
            position = {v: i for i, v in enumerate(spec.order)}
            raw = [enum_key for enum_key in self._distinct_raw(column)]
            others = {v: len(position) + i for i, v in enumerate(sorted(set(raw) - set(position)))}
            return np.array([position.get(v, others.get(v, 0)) for v in raw], dtype=np.int64)
        if not len(labels):
            return np.zeros(0, dtype=np.int64)
        ranked = pc.rank(self._lowered_labels(column), sort_keys="ascending", tiebreaker="dense")
        return ranked.to_numpy().astype(np.int64) - 1

    def _distinct_raw(self, column: int) -> list[str]:
        """The raw value behind each distinct label, as text (for workflow order)."""
        first_row = self._first_rows(column)
        return [str(v) for v in self.values[column][first_row].tolist()]

    def _first_rows(self, column: int) -> np.ndarray:
        """For each distinct label, the first row that shows it."""
        codes = self.codes[column]
        first = np.full(len(self.labels[column]), -1, dtype=np.int64)
        present = np.flatnonzero(codes >= 0)
        first[codes[present][::-1]] = present[::-1]
        return first

    def _lowered_labels(self, column: int) -> pa.Array:
        if column not in self._lowered:
            labels = self.labels[column]
            # Converted in slices: a million Python strings in one call hold the GIL for 60 ms.
            parts = [pa.array(labels[i:i + PYTHON_SLICE_ROWS], type=pa.large_string())
                     for i in range(0, len(labels), PYTHON_SLICE_ROWS)] or [pa.array([], type=pa.large_string())]
            self._lowered[column] = pc.utf8_lower(pa.concat_arrays(parts))
        return self._lowered[column]
