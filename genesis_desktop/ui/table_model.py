"""A table model over column arrays with a permutation index; no QSortFilterProxyModel.

`data()` is called for every visible cell on every paint, so it does one list lookup through the
permutation and compares roles against module-level constants: the `Qt.DisplayRole` shortcut costs
about 10 us per access in PySide6, a module constant well under 0.1 us. What is visible, and in which
order, is a `View` (table_query.py) computed from a `TableQuery`: here on the GUI thread for small
tables, or in a worker when the page installs a deferral for large ones (`set_deferral`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from .columns import ColumnSpec, TableData
from .table_query import Filter, TableQuery, View, compute_view

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

# (table, query, current view) -> True if the caller computes the view elsewhere and will hand it
# to `apply_view`; False to have it computed here and now.
Deferral = Callable[[TableData, TableQuery, View], bool]


class ArrayTableModel(QAbstractTableModel):
    """Rows of a `TableData`, in the order and under the filters of a `TableQuery`."""

    # The visible rows changed (a new table, filter or order has been applied).
    view_applied = Signal()

    def __init__(self, columns: tuple[ColumnSpec, ...] | list[ColumnSpec], parent=None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._titles = [c.title for c in self._columns]
        self._align = [_ALIGN[c.align] for c in self._columns]
        self._query = TableQuery()
        self._defer: Deferral | None = None
        self._install(compute_view(TableData.empty(columns), self._query))

    # Contents -------------------------------------------------------------------------------

    @property
    def table(self) -> TableData:
        return self._table

    @property
    def query(self) -> TableQuery:
        """The latest query asked for (its view may still be computing)."""
        return self._query

    @property
    def view(self) -> View:
        """The view shown now."""
        return self._view

    @property
    def up_to_date(self) -> bool:
        return self._view.query == self._query

    def set_table(self, table: TableData, view: View | None = None) -> None:
        """Show new contents, keeping the current query; `view` is one already computed for `table`."""
        if tuple(c.key for c in table.columns) != tuple(c.key for c in self._columns):
            raise ValueError("the new table's columns differ from this model's columns")
        if view is None or view.table is not table:
            view = compute_view(table, self._query)
        self.beginResetModel()
        self._install(view)
        self.endResetModel()
        self.view_applied.emit()
        if not self.up_to_date:
            self.request(self._query)

    def set_deferral(self, defer: Deferral | None) -> None:
        self._defer = defer

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
        return self._table.values[self.column_of(key)][self._view.rows].tolist()

    def text_column(self, key: str) -> list[str]:
        return self._table.text[self.column_of(key)][self._rows].tolist()

    # Qt model interface -----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index, role=DISPLAY):
        if role == DISPLAY:
            return self._text[index.column()][self._rows[index.row()]]
        if role == ALIGNMENT:
            return self._align[index.column()]
        if role == TOOLTIP:
            text = self._text[index.column()][self._rows[index.row()]]
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
            if role == TOOLTIP:
                return f"{self._titles[section]}: click to sort, right-click to choose columns"
            return None
        if role == DISPLAY:
            return section + 1
        return None

    def sort(self, column: int, order=ASCENDING) -> None:
        """Stable sort by one column; a column < 0 restores the order the rows were loaded in."""
        self.request(self._query.sorted_by(column, order == DESCENDING))

    # Filtering --------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Keep the rows whose text contains every word typed (any column marked filterable)."""
        if text != self._query.text:
            self.request(self._query.with_text(text))

    def set_filters(self, filters: tuple[Filter, ...] | list[Filter]) -> None:
        """Keep the rows that pass every typed filter (and the typed words)."""
        if tuple(filters) != self._query.filters:
            self.request(self._query.with_filters(filters))

    # ------------------------------------------------------------------------------------------

    def request(self, query: TableQuery) -> None:
        """Show `query`: now, or when the deferral hands its view to `apply_view`."""
        self._query = query
        if self._defer is not None and self._defer(self._table, query, self._view):
            return
        self.apply_view(compute_view(self._table, query, self._view))

    def apply_view(self, view: View) -> bool:
        """Show a computed view; False (and nothing changes) if it is of a table no longer shown."""
        if view.table is not self._table:
            return False
        if view.query.selection == self._view.query.selection and self.persistentIndexList():
            self._relayout(view)  # the same rows in another order: selections move with them
        else:
            # A reset costs the view nothing per row; a layout change makes the row header revisit
            # each of a million rows (20 ms), worth it only to carry a selection along.
            # Where rows come and go the selection is dropped.
            self.beginResetModel()
            self._install(view)
            self.endResetModel()
        self.view_applied.emit()
        return True

    def _install(self, view: View) -> None:
        self._view, self._table = view, view.table
        self._rows, self._text = view.rows, view.table.text

    def _relayout(self, view: View) -> None:
        """Apply a new order of the same rows, moving selections and the current cell with them."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_rows = [int(self._rows[p.row()]) for p in persistent]
        self._install(view)
        if persistent:
            where = np.full(self._table.row_count, -1, dtype=np.int64)
            where[view.rows] = np.arange(len(view.rows))
            moved = [
                self.index(int(where[src]), p.column()) if where[src] >= 0 else QModelIndex()
                for p, src in zip(persistent, old_rows)
            ]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
