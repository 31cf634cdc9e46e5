"""A table model over column arrays with a permutation index; no QSortFilterProxyModel.

`data()` is called for every visible cell on every paint, so it does one list lookup through the
permutation and compares roles against module-level constants: the `Qt.DisplayRole` shortcut costs
about 10 us per access in PySide6, a module constant well under 0.1 us. Sorting and filtering are
numpy operations on a `TableData` (see columns.py) and then one layout change.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from .columns import ColumnSpec, TableData

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
# The sorting value of a cell (a number, a code): for tests, delegates and exports, never painted.
RAW = Qt.ItemDataRole.UserRole
HORIZONTAL = Qt.Orientation.Horizontal
ASCENDING = Qt.SortOrder.AscendingOrder
DESCENDING = Qt.SortOrder.DescendingOrder

_ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "right": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    "center": Qt.AlignmentFlag.AlignCenter,
}


class ArrayTableModel(QAbstractTableModel):
    """Rows of a `TableData`, in the order of a permutation, optionally narrowed by a text filter."""

    def __init__(self, columns: tuple[ColumnSpec, ...] | list[ColumnSpec], parent=None) -> None:
        super().__init__(parent)
        self._table = TableData.empty(columns)
        self._columns = tuple(columns)
        self._titles = [c.title for c in self._columns]
        self._align = [_ALIGN[c.align] for c in self._columns]
        self._sort_column = -1
        self._sort_order = ASCENDING
        self._filter = ""
        self._order = np.arange(0)  # every source row, in sort order
        self._rows: list[int] = []  # the visible source rows, in display order

    # Contents -------------------------------------------------------------------------------

    @property
    def table(self) -> TableData:
        return self._table

    def set_table(self, table: TableData) -> None:
        """Show new contents, keeping the current sort column and filter."""
        if tuple(c.key for c in table.columns) != tuple(c.key for c in self._columns):
            raise ValueError("the new table's columns differ from this model's columns")
        self.beginResetModel()
        self._table = table
        self._order = self._sorted()
        self._rows = self._visible(self._order)
        self.endResetModel()

    @property
    def total_rows(self) -> int:
        return self._table.row_count

    def column_of(self, key: str) -> int:
        for i, spec in enumerate(self._columns):
            if spec.key == key:
                return i
        raise KeyError(f"no column {key!r}; columns: {', '.join(c.key for c in self._columns)}")

    def raw_column(self, key: str) -> list:
        """The column's values in display order (what a test or an export reads)."""
        return self._table.values[self.column_of(key)][np.asarray(self._rows, dtype=np.int64)].tolist()

    def text_column(self, key: str) -> list[str]:
        text = self._table.text[self.column_of(key)]
        return [text[r] for r in self._rows]

    # Qt model interface -----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index, role=DISPLAY):
        if role == DISPLAY:
            return self._table.text[index.column()][self._rows[index.row()]]
        if role == ALIGNMENT:
            return self._align[index.column()]
        if role == TOOLTIP:
            text = self._table.text[index.column()][self._rows[index.row()]]
            return text if len(text) > 40 else None
        if role == RAW:
            value = self._table.values[index.column()][self._rows[index.row()]]
            return value.item() if isinstance(value, np.generic) else value
        return None

    def headerData(self, section, orientation, role=DISPLAY):
        if orientation == HORIZONTAL:
            if role == DISPLAY:
                return self._titles[section]
            if role == ALIGNMENT:
                return self._align[section]
            return None
        if role == DISPLAY:
            return section + 1
        return None

    def sort(self, column: int, order=ASCENDING) -> None:
        """Stable sort by one column; a column < 0 restores the order the rows were loaded in."""
        self._sort_column, self._sort_order = column, order
        self._relayout(self._sorted())

    # Filtering --------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Keep the rows whose text contains every word typed (any column marked filterable)."""
        if text == self._filter:
            return
        # Rows come and go, so this is a reset rather than a layout change; the selection is dropped.
        self.beginResetModel()
        self._filter = text
        self._rows = self._visible(self._order)
        self.endResetModel()

    # ------------------------------------------------------------------------------------------

    def _sorted(self) -> np.ndarray:
        n = self._table.row_count
        if self._sort_column < 0 or self._sort_column >= len(self._columns):
            return np.arange(n)
        return self._table.order(self._sort_column, descending=self._sort_order == DESCENDING)

    def _visible(self, order: np.ndarray) -> list[int]:
        if self._filter.strip():
            order = order[self._table.matches(self._filter)[order]]
        return order.tolist()

    def _relayout(self, order: np.ndarray) -> None:
        """Apply a new order of the same rows, moving selections and the current cell with them."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_rows = [self._rows[p.row()] for p in persistent]
        self._order = order
        self._rows = self._visible(order)
        if persistent:
            where = np.full(self._table.row_count, -1, dtype=np.int64)
            where[np.asarray(self._rows, dtype=np.int64)] = np.arange(len(self._rows))
            moved = [
                self.index(int(where[src]), p.column()) if where[src] >= 0 else QModelIndex()
                for p, src in zip(persistent, old_rows)
            ]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

