"""Which rows pass a filter, as boolean masks over a `TableData`'s column arrays; Qt-free.

A mixin of `columns.TableData` (kept apart so that each file reads in one sitting). Text is matched
against each column's distinct display texts once, in pyarrow, and rows follow through their codes:
a keystroke in the filter box over a million proposals searches a few thousand distinct titles.
"""
from __future__ import annotations

import numpy as np
import pyarrow.compute as pc


class RowMasks:
    """Masks over the rows of a table; every method returns a bool array with one entry per row."""

    def matches(self, needle: str) -> np.ndarray:
        """Rows whose filterable text contains every word of `needle`, ignoring case.

        A word must occur inside one cell: each column's distinct texts are searched once and the
        rows follow through their codes.
        """
        mask = np.ones(self.row_count, dtype=bool)
        for word in needle.lower().split():
            found = np.zeros(self.row_count, dtype=bool)
            for column, spec in enumerate(self.columns):
                if not spec.filterable or not len(self.labels[column]):
                    continue
                hit = pc.match_substring(self._lowered_labels(column), word).to_numpy(zero_copy_only=False)
                if hit.all():
                    codes = self.codes[column]
                    if codes.min(initial=0) >= 0:  # every row of this column matches: so does the word
                        found[:] = True
                        break
                    found |= codes >= 0
                elif hit.any():
                    found |= np.append(hit, False)[self.codes[column]]
            mask &= found
        return mask

    def choices(self, column: int) -> list[tuple[str, int]]:
        """The column's distinct display texts in the column's sort order, each with its row count."""
        if self.columns[column].filter_by == "years":
            return [(f"FY{year}", count) for year, count in self._year_counts(column)]
        codes, labels = self.codes[column], self.labels[column]
        counts = np.bincount(codes[codes >= 0], minlength=len(labels))
        key, _ = self._key(column)
        first = self._first_rows(column)
        by_order = np.argsort(key[first], kind="stable") if len(first) else first
        return [(labels[i], int(counts[i])) for i in by_order.tolist()]

    def choice_mask(self, column: int, label: str) -> np.ndarray:
        """Rows whose cell shows exactly `label` (no row, if no cell does)."""
        found = np.flatnonzero(self.labels[column] == label)
        if not len(found):
            return np.zeros(self.row_count, dtype=bool)
        return self.codes[column] == found[0]

    def range_mask(self, column: int, low: float | None, high: float | None) -> np.ndarray:
        """Rows whose number lies within [low, high]; an absent value never does."""
        values = self.values[column].astype(float, copy=False)
        mask = ~np.isnan(values)
        if low is not None:
            mask &= values >= low
        if high is not None:
            mask &= values <= high
        return mask

    def year_mask(self, column: int, year: int) -> np.ndarray:
        """Rows whose span of fiscal years (first year in the column, last in `span_end`) includes `year`."""
        first = self.values[column].astype(float, copy=False)
        last = self.span_ends.get(column, first)
        return (first <= year) & (last >= year)

    def _year_counts(self, column: int) -> list[tuple[int, int]]:
        first = self.values[column].astype(float, copy=False)
        last = self.span_ends.get(column, first)
        known = ~(np.isnan(first) | np.isnan(last))
        if not known.any():
            return []
        years = range(int(first[known].min()), int(last[known].max()) + 1)
        return [(y, int(((first <= y) & (last >= y)).sum())) for y in years]
