"""What a table shows of its data: a sort, the typed words and the typed filters, and the rows that result.

Qt-free. A `TableQuery` is a plain value, so a worker can compute its `View` (the visible source rows
in display order) while the GUI thread keeps painting the previous one; `compute_view` reuses the sort
order or the filter mask of the previous view when only the other one changed, which makes a
keystroke in the filter box cost a mask, not a sort, and a click on a header cost a sort, not a mask.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

import numpy as np

from .columns import TableData


@dataclass(frozen=True)
class ChoiceFilter:
    """Rows whose cell in `column` shows exactly `label` (what the combo box lists)."""

    column: str
    label: str

    def mask(self, table: TableData) -> np.ndarray:
        return table.choice_mask(table.column_index(self.column), self.label)

    def describe(self, title: str) -> str:
        return f"{title} is {self.label}"


@dataclass(frozen=True)
class RangeFilter:
    """Rows whose number in `column` lies within [low, high]; None leaves that side open."""

    column: str
    low: float | None = None
    high: float | None = None

    def mask(self, table: TableData) -> np.ndarray:
        return table.range_mask(table.column_index(self.column), self.low, self.high)

    def describe(self, title: str) -> str:
        low, high = (f"{v:,.10g}" if v is not None else None for v in (self.low, self.high))
        if low is not None and high is not None:
            return f"{title} from {low} to {high}"
        return f"{title} at least {low}" if low is not None else f"{title} at most {high}"


@dataclass(frozen=True)
class YearFilter:
    """Rows whose span of fiscal years in `column` includes `year`."""

    column: str
    year: int

    def mask(self, table: TableData) -> np.ndarray:
        return table.year_mask(table.column_index(self.column), self.year)

    def describe(self, title: str) -> str:
        return f"{title} include FY{self.year}"


Filter = Union[ChoiceFilter, RangeFilter, YearFilter]


@dataclass(frozen=True)
class TableQuery:
    """Sort column (an index; -1 keeps the loaded order), direction, typed words and typed filters."""

    sort_column: int = -1
    descending: bool = False
    text: str = ""
    filters: tuple[Filter, ...] = ()

    def sorted_by(self, column: int, descending: bool = False) -> TableQuery:
        return replace(self, sort_column=column, descending=descending)

    def with_text(self, text: str) -> TableQuery:
        return replace(self, text=text)

    def with_filters(self, filters: tuple[Filter, ...] | list[Filter]) -> TableQuery:
        return replace(self, filters=tuple(filters))

    @property
    def sort(self) -> tuple[int, bool]:
        return self.sort_column, self.descending

    @property
    def selection(self) -> tuple[str, tuple[Filter, ...]]:
        """Everything that decides which rows are shown (not their order)."""
        return " ".join(self.text.lower().split()), self.filters

    @property
    def filtered(self) -> bool:
        return bool(self.selection[0] or self.filters)


@dataclass(frozen=True, eq=False)
class View:
    """The visible rows of `table` under `query`: source row numbers in display order.

    An array, not a list: data() pays 0.2 us more per cell for the numpy index (a fraction of a
    millisecond per repaint), and each sort or filter of a million rows saves building a list of a
    million Python ints (35 ms holding the GIL, and 36 MB).
    """

    table: TableData
    query: TableQuery
    order: np.ndarray  # every source row, sorted
    mask: np.ndarray | None  # which source rows pass the filters; None: all do
    rows: np.ndarray

    @property
    def count(self) -> int:
        return len(self.rows)


def compute_view(table: TableData, query: TableQuery, previous: View | None = None) -> View:
    """The rows `query` shows, reusing what `previous` (a view of the same table) already computed."""
    reuse = previous if previous is not None and previous.table is table else None
    if reuse is not None and reuse.query.sort == query.sort:
        order = reuse.order
    elif 0 <= query.sort_column < len(table.columns):
        order = table.order(query.sort_column, descending=query.descending)
    else:
        order = np.arange(table.row_count)
    if reuse is not None and reuse.query.selection == query.selection:
        mask = reuse.mask
    else:
        mask = selection_mask(table, query)
    rows = order if mask is None else order[mask[order]]
    return View(table, query, order, mask, rows)


def selection_mask(table: TableData, query: TableQuery) -> np.ndarray | None:
    """Typed words AND every typed filter, as one mask; None when nothing narrows the rows."""
    words, filters = query.selection
    if not words and not filters:
        return None
    mask = table.matches(words) if words else np.ones(table.row_count, dtype=bool)
    for typed in filters:
        mask &= typed.mask(table)
    return mask


_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}


def parse_bound(text: str) -> float | None:
    """A range bound as typed: '1,500,000', '1.5M', '250k', '2e6'; blank is no bound.

    Raises ValueError with the text when it is not a number."""
    raw = text.strip().replace(",", "").replace("_", "").replace(" ", "").lower()
    if not raw:
        return None
    scale = 1.0
    for suffix in ("bn", "k", "m", "b"):
        if raw.endswith(suffix) and raw[:-len(suffix)]:
            raw, scale = raw[:-len(suffix)], _SCALE[suffix]
            break
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text.strip()!r} is not a number")
    return value
