"""Amounts per fiscal year or per phase, as a small table: one row per key, one column per amount.

The table stands for several columns of the import file ("budget: FY2026=300000.00; FY2027=...",
or a call's phases with their award floor, ceiling, ...). It edits texts, not numbers, so that a bad
amount reaches the import's rules and is named in their words.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from genesis_desktop.portfolio.edits_fields import Grid, grid_rows, grid_texts

_CHECKED = Qt.CheckState.Checked
_FEWEST_ROWS, _MOST_ROWS = 2, 8  # the table grows with its rows between these, then scrolls


class GridEditor(QWidget):
    changed = Signal()

    def __init__(self, grid: Grid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.setObjectName(f"edit_{grid.name}")
        self._currency = ""
        self.table = QTableWidget(0, 1 + len(grid.columns), self, objectName=f"grid_{grid.name}")
        self.table.setAccessibleName(grid.label)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, as it leaves every other field
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        self.add = QPushButton(f"Add {grid.key_label.lower()}", objectName=f"add_{grid.name}")
        self.add.setAccessibleName(f"Add a {grid.key_label.lower()} to {grid.label.lower()}")
        self.add.clicked.connect(self._add_row)
        self.remove = QPushButton(f"Remove {grid.key_label.lower()}", objectName=f"remove_{grid.name}")
        self.remove.setAccessibleName(f"Remove the selected {grid.key_label.lower()} from {grid.label.lower()}")
        self.remove.clicked.connect(self._remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._set_headers()
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as its rows plus one empty row's room, so a short budget leaves no blank box."""
        rows = min(max(self.table.rowCount() + 1, _FEWEST_ROWS), _MOST_ROWS)
        header = self.table.horizontalHeader().sizeHint().height()
        scroll = self.table.horizontalScrollBar().sizeHint().height()
        frame = 2 * self.table.frameWidth()
        self.table.setFixedHeight(header + rows * self.table.verticalHeader().defaultSectionSize() + scroll + frame)

    def _set_headers(self) -> None:
        labels = [self.grid.key_label]
        for column in self.grid.columns:
            money = column.editor == "money" and self._currency
            labels.append(f"{column.label} ({self._currency})" if money else column.label)
        self.table.setHorizontalHeaderLabels(labels)
        for i, column in enumerate(self.grid.columns, start=1):
            self.table.horizontalHeaderItem(i).setToolTip(column.hint or column.label)

    def set_currency(self, code: str) -> None:
        self._currency = code.strip().upper()
        self._set_headers()

    def _item(self, column: int, text: str) -> QTableWidgetItem:
        item = QTableWidgetItem()
        field = self.grid.columns[column - 1] if column else None
        if field is not None and field.editor == "bool":
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(_CHECKED if text.lower() == "true" else Qt.CheckState.Unchecked)
        else:
            item.setText(text)
            if field is not None and field.editor == "money":
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        if item is None:
            return ""
        if column and self.grid.columns[column - 1].editor == "bool":
            return "true" if item.checkState() == _CHECKED else "false"
        return item.text()

    def rows(self) -> list[list[str]]:
        return [[self._cell(r, c) for c in range(self.table.columnCount())] for r in range(self.table.rowCount())]

    def set_rows(self, rows: list[list[str]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row in rows:
            self._append(row)
        self.table.blockSignals(False)
        self._fit_height()

    def _append(self, row: list[str]) -> int:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c in range(self.table.columnCount()):
            self.table.setItem(r, c, self._item(c, row[c] if c < len(row) else ""))
        return r

    def values(self) -> dict[str, str]:
        return grid_texts(self.grid, self.rows())

    def set_values(self, texts: dict[str, str]) -> None:
        self.set_rows(grid_rows(self.grid, texts))

    def set_read_only(self, on: bool) -> None:
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.NoEditTriggers if on else triggers.AllEditTriggers)
        for button in (self.add, self.remove):  # a read-only grid offers no change at all
            button.setEnabled(not on)
            button.setVisible(not on)

    def _add_row(self) -> None:
        r = self._append([self._next_key()])
        self._fit_height()
        self.table.setCurrentCell(r, 1 if self.table.columnCount() > 1 else 0)
        self.table.editItem(self.table.currentItem())
        self.changed.emit()

    def _next_key(self) -> str:
        """The year after the last one (budgets run in consecutive years); phases are named by hand."""
        keys = [row[0].upper().removeprefix("FY") for row in self.rows()]
        years = [int(k) for k in keys if k.isdigit()]
        return f"FY{max(years) + 1}" if years and not self.grid.key_field else ""

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._fit_height()
            self.changed.emit()
