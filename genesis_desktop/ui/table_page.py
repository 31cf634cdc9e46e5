"""A table view of the main window: a title, a filter box and a sortable table over an ArrayTableModel."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .columns import TableData
from .desk import Desk
from .page import Page
from .queries import TableViewSpec
from .table_model import ArrayTableModel

# Longest a column may grow when fitted to its contents; longer text is elided and has a tooltip.
MAX_COLUMN_WIDTH = 360
FILTER_DELAY_MS = 150


class TablePage(Page):
    """Shows one table; `counts_changed(shown, total)` whenever the rows or the filter change."""

    counts_changed = Signal(int, int)

    def __init__(self, desk: Desk, spec: TableViewSpec, parent=None) -> None:
        super().__init__(desk, spec.key, spec.title, spec.icon, parent)
        self.spec = spec
        self.tables = spec.tables
        title, noun = spec.title, spec.noun
        self.noun = noun
        self.model = ArrayTableModel(spec.columns, self)

        self.title_label = QLabel(title, objectName="pageTitle")
        self.count_label = QLabel("Loading…", objectName="pageCount")
        self.filter_edit = QLineEdit(objectName="filter")
        self.filter_edit.setPlaceholderText(f"Filter {noun} (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(f"Filter {noun}")
        # Typing fast should filter once, after the pause, not once per key.
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.filter_edit.returnPressed.connect(self._apply_filter)

        self.table = QTableView(self)
        self.table.setObjectName(f"{noun}Table")
        self.table.setAccessibleName(title)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setResizeContentsPrecision(200)
        # No indicator until someone asks for an order: rows start in the order they were loaded.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.model.modelReset.connect(self._report_counts)

        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.filter_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.setFocusProxy(self.table)

    @property
    def loaded(self) -> bool:
        return self.is_loaded

    def reload(self) -> None:
        engine, spec = self.desk.engine, self.spec
        self.desk.load(self.key, lambda: spec.build(engine), self.set_table, self.show_error)

    def set_table(self, table: TableData) -> None:
        first = self.model.total_rows == 0 and not self.is_loaded
        self.model.set_table(table)
        if first:
            self._fit_columns()
        self.mark_loaded()

    def show_error(self, message: str) -> None:
        self.count_label.setText(f"Could not load {self.noun}: {message}")
        self.count_label.setToolTip(message)
        self.mark_loaded(message)

    def status_text(self) -> str:
        if not self.is_loaded or self.error:
            return ""
        shown, total = self.model.rowCount(), self.model.total_rows
        counted = f"{total:,}" if shown == total else f"{shown:,} of {total:,}"
        return f"{self.title}: {counted}"

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def sort_by(self, key: str, descending: bool = False) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(self.model.column_of(key), order)

    def set_filter(self, text: str) -> None:
        """Filter now (what typing does after a short pause)."""
        with QSignalBlocker(self.filter_edit):
            self.filter_edit.setText(text)
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.filter_edit.text())

    def _report_counts(self) -> None:
        shown, total = self.model.rowCount(), self.model.total_rows
        if shown == total:
            self.count_label.setText(f"{total:,} {self.noun}")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} {self.noun}")
        self.count_label.setToolTip("")
        self.counts_changed.emit(shown, total)
        self.state_changed.emit()

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        self.table.resizeColumnsToContents()
        for i, spec in enumerate(self.model.table.columns):
            if spec.stretch:
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
            elif header.sectionSize(i) > MAX_COLUMN_WIDTH:
                header.resizeSection(i, MAX_COLUMN_WIDTH)
