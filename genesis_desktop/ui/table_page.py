"""A table view of the main window: title, counts, filters, column chooser, export, and the table.

Nothing here reads, sorts, filters or writes on the GUI thread once a table is large. A first load
reads and shows a first page of rows, then reads the whole table with a progress bar and Cancel; a
sort or filter of more than BACKGROUND_ROWS rows is computed by a worker and swapped in (one at a time,
the latest request next); an export runs in a worker with a progress bar and Cancel. Small tables sort
and filter at once, on the spot.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from .columns import TableData
from .desk import Desk
from .page import Page
from .queries import TableViewSpec
from .table_activity import ActivityStrip
from .table_columns_menu import ColumnChooser
from .table_export_ui import ExportControl
from .table_filter_bar import FilterBar
from .table_loading import Loaded, as_loaded, load_table
from .table_model import ArrayTableModel
from .table_query import TableQuery, View, compute_view
from .table_reader import Progress, Reading

FIT_ROWS = 200  # rows whose text sets the column widths
FULL_READ_DELAY_MS = 50


class TablePage(Page):
    """Shows one table; `counts_changed(shown, total)` whenever the rows or the filters change."""

    counts_changed = Signal(int, int)
    FIRST_ROWS = 1_000
    BACKGROUND_ROWS = 200_000

    def __init__(self, desk: Desk, spec: TableViewSpec, parent=None) -> None:
        super().__init__(desk, spec.key, spec.title, spec.icon, parent)
        self.spec = spec
        self.tables = spec.tables
        self.noun = spec.noun
        self.complete = False  # every row is in, not only the first page
        self._load_serial = 0
        self._loading: Progress | None = None
        self._fitted_shown = False
        self._computing = self._waiting = False  # a view in a worker; another asked for meanwhile
        self.model = ArrayTableModel(spec.columns, self)
        self.model.set_deferral(self._compute_in_worker)
        self.model.view_applied.connect(self._report_counts)

        self.title_label = QLabel(spec.title, objectName="pageTitle")
        self.count_label = QLabel("Loading…", objectName="pageCount")
        # A long message (a load error) must not widen the window: it is cut short, whole in the tooltip.
        self.count_label.setMaximumWidth(480)
        self.activity = ActivityStrip(self)
        self.filter_edit = QLineEdit(objectName="filter")
        self.filter_edit.setPlaceholderText(f"Filter {self.noun} (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(f"Filter {self.noun}")
        # Every keystroke filters: small tables at once, large ones in a worker, one computation at a time.
        self.filter_edit.textChanged.connect(self._apply_filter)

        self.filter_bar = FilterBar(spec.columns, self.filter_edit, self)
        self.filter_bar.changed.connect(self._apply_typed_filters)
        self.filter_bar.clear_requested.connect(self.clear_filters)
        self.table = self._make_table()
        self.columns = ColumnChooser(self.table.horizontalHeader(), [c.title for c in spec.columns],
                                     [c.key for c in spec.columns], desk.settings, f"tables/{self.key}", self)
        self.columns.was_reset.connect(self._fit_columns)
        self._layout_restored = self.columns.restore()
        # After the restore, so that a remembered sort is applied to the rows when they come.
        self.table.setSortingEnabled(True)
        self.exporter = ExportControl(self)

        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.columns.button)
        top.addWidget(self.exporter.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addLayout(top)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)
        # Under the table, taking no room while idle: what runs in the background, and its Cancel.
        bottom = QHBoxLayout()
        bottom.addWidget(self.activity)
        bottom.addWidget(self.exporter.activity)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        self.setFocusProxy(self.table)
        # Tab goes through the page as it reads: Columns…, Export…, the filter box, the typed filters, the rows.
        chain = [self.columns.button, self.exporter.button, self.filter_edit, *self.filter_bar.controls(), self.table]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName(f"{self.noun}Table")
        table.setAccessibleName(self.title)
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows = table.verticalHeader()
        rows.setVisible(False)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        # Rows of one fixed height: the header then skips per-row sizing, a third of each repaint of
        # a million-row table after a sort or a filter.
        rows.setSectionResizeMode(rows.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setResizeContentsPrecision(FIT_ROWS)  # double-clicking a section's edge fits it to 200 rows
        # No indicator until someone asks for an order: rows start in the order they were loaded.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        return table

    @property
    def loaded(self) -> bool:
        return self.is_loaded

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the table again. When nothing is shown yet, a first page is read and shown first, and
        the full read starts after it: side by side they would slow each other down."""
        if self._loading is not None:
            self._loading.cancel()  # the read in flight is superseded: stop it rather than finish it
        self._load_serial += 1
        serial, spec, engine, query = self._load_serial, self.spec, self.desk.engine, self.model.query
        progress = self._loading = Progress()
        self.activity.track(f"Loading {self.noun}…", progress, on_cancel=progress.cancel if spec.streams else None)

        def read_all() -> None:
            if serial != self._load_serial:
                return
            if progress.cancelled:
                self._load_failed(serial, "cancelled")
                return
            full = Reading(progress=progress)
            self.desk.load(self.key, lambda: load_table(spec, engine, full, query),
                           lambda result: self._all_rows(serial, result),
                           lambda message: self._load_failed(serial, message))

        def first_rows(result: Loaded | str) -> None:
            if isinstance(result, Loaded) and serial == self._load_serial and not self.complete:
                self._show(result)
            # After the first rows are painted: the full read's start would compete with that paint.
            QTimer.singleShot(FULL_READ_DELAY_MS, read_all)

        if spec.streams and self.model.total_rows == 0:
            first = Reading(limit=self.FIRST_ROWS)
            self.desk.load(f"{self.key}:first", lambda: load_table(spec, engine, first, query), first_rows, first_rows)
        else:
            read_all()

    def set_table(self, table: TableData) -> None:
        """Show a complete table built elsewhere (tests, tools)."""
        self._load_serial += 1
        self._show(as_loaded(table, self.model.query))
        self._finish_loading()

    def _all_rows(self, serial: int, result: Loaded) -> None:
        if serial != self._load_serial:
            return
        self.complete = True
        self._show(result)
        self._finish_loading()

    def _show(self, result: Loaded) -> None:
        first = self.model.total_rows == 0
        self.model.set_table(result.table, result.view)
        self.filter_bar.set_choices(result.choices)
        if first and not self._layout_restored:
            self._fit_columns()

    def _finish_loading(self) -> None:
        self.complete = True
        self._loading = None
        self.activity.finish()
        self._report_counts()
        self.mark_loaded()

    def _load_failed(self, serial: int, message: str) -> None:
        if serial != self._load_serial:
            return
        cancelled = self._loading is not None and self._loading.cancelled
        self._loading = None
        self.activity.finish()
        if cancelled:  # what is shown stays, and says it is not everything
            self._report_counts()
            self.mark_loaded()
        else:
            self.show_error(message)

    def show_error(self, message: str) -> None:
        shown = f" (showing the first {self.model.total_rows:,})" if self.model.total_rows else ""
        text = f"Could not load {self.noun}: {message}{shown}"
        self.count_label.setText(self.count_label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, 480))
        self.count_label.setToolTip(text)
        self.mark_loaded(message)

    # Sorting and filtering --------------------------------------------------------------------

    def _compute_in_worker(self, table: TableData, query: TableQuery, current: View) -> bool:
        """The model's deferral: large tables get their new view from a worker.

        One computation at a time: a request made while one runs waits, and only the latest waiting
        one is computed next, so fast typing never queues a computation per key.
        """
        if table.row_count < self.BACKGROUND_ROWS:
            return False
        if self._computing:
            self._waiting = True
            return True
        self._computing, self._waiting = True, False
        # Said where the count is and shown by the cursor: a strip appearing for a fifth of a second
        # would move the table and cost a relayout of a million rows, twice.
        self.count_label.setText("Sorting…" if query.selection == current.query.selection else "Filtering…")
        self.table.viewport().setCursor(Qt.CursorShape.BusyCursor)
        self.desk.load(f"{self.key}:view", lambda: compute_view(table, query, current),
                       self._view_ready, self._view_failed)
        return True

    def _view_ready(self, view: View) -> None:
        self._computing = False
        applied = self.model.apply_view(view)
        if self._waiting or not applied:  # asked for more meanwhile, or the table was replaced: go on
            self.model.request(self.model.query)
            return
        self.table.viewport().unsetCursor()
        self._report_counts()

    def _view_failed(self, message: str) -> None:
        self._computing = self._waiting = False
        self.table.viewport().unsetCursor()
        self.count_label.setText(f"Could not sort or filter {self.noun}: {message}")

    def shutdown(self) -> None:
        """The window is closing: stop the load and the export this page started (the desk then waits
        only for what is already finishing)."""
        if self._loading is not None:
            self._loading.cancel()
        self.exporter.cancel()

    @property
    def busy(self) -> bool:
        """A load or a sort or filter is running in a worker."""
        return self._loading is not None or self._computing

    def sort_by(self, key: str, descending: bool = False) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(self.model.column_of(key), order)

    def set_filter(self, text: str) -> None:
        """Filter by `text` as if it had been typed into the filter box."""
        with QSignalBlocker(self.filter_edit):
            self.filter_edit.setText(text)
        self._apply_filter()

    def export_rows(self) -> None:
        """Ask for a file and export the rows shown (File > Export visible rows… calls this)."""
        self.exporter.choose_file()

    def choose_columns(self) -> None:
        """Open the column menu under the Columns… button (for a menu or shortcut of the window)."""
        self.columns.button.showMenu()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def clear_filters(self) -> None:
        """Typed words and every typed filter off, in one change of rows."""
        with QSignalBlocker(self.filter_edit):
            self.filter_edit.clear()
        with QSignalBlocker(self.filter_bar):
            self.filter_bar.clear()
        self.model.request(self.model.query.with_text("").with_filters(()))
        self._report_counts()

    def _apply_filter(self) -> None:
        self.model.set_filter(self.filter_edit.text())
        self.filter_bar.show_summary(self.filter_edit.text())

    def _apply_typed_filters(self) -> None:
        self.model.set_filters(self.filter_bar.filters())
        self.filter_bar.show_summary(self.filter_edit.text())

    # Counts and layout ------------------------------------------------------------------------

    def status_text(self) -> str:
        if not self.is_loaded or self.error:
            return ""
        shown, total = self.model.rowCount(), self.model.total_rows
        counted = f"{total:,}" if shown == total else f"{shown:,} of {total:,}"
        return f"{self.title}: {counted}"

    def _report_counts(self) -> None:
        shown, total = self.model.rowCount(), self.model.total_rows
        whole = "" if self.complete else "the first "
        if shown == total:
            text = f"{total:,} {self.noun}" if self.complete else f"The first {total:,} {self.noun}"
        else:
            text = f"{shown:,} of {whole}{total:,} {self.noun}"
        self.count_label.setText(text)
        self.count_label.setToolTip("" if self.complete else "The rest are still loading")
        self.filter_bar.show_summary(self.filter_edit.text())
        self.counts_changed.emit(shown, total)
        self.state_changed.emit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # Fitted while in a hidden tab, the title column guessed its room: fit again now it is seen.
        if self.model.total_rows and not self._fitted_shown and not self._layout_restored:
            self._fit_columns()

    def _fit_columns(self) -> None:
        self._fitted_shown = self.isVisible()
        view = self.model.view
        self.columns.fit(view.table, view.rows[:FIT_ROWS].tolist(), self.table.viewport().width())
