"""Puts a RecordPanel beside a table page's table: select a row to edit it, Ctrl+N for a new one.
For a sign-in that may not write (an analyst) the panel only shows the record.

The panel stays folded away until a row is selected or a new record is asked for, so the table keeps
the whole width while a person is only reading.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from genesis_desktop.portfolio.edits import KINDS

from .record_form import RecordPanel
from .table_page import TablePage

PANEL_WIDTH = 440


def attach_record_panel(page: TablePage, kind: str) -> RecordPanel:
    """Give `page` a record panel for records of `kind`, and the window's new/delete commands."""
    panel = RecordPanel(page.desk, kind, page)
    panel.setObjectName(f"{page.key}RecordPanel")
    layout = page.layout()
    splitter = QSplitter(Qt.Orientation.Horizontal, page)
    splitter.setObjectName(f"{page.key}Splitter")
    layout.replaceWidget(page.table, splitter)
    splitter.addWidget(page.table)
    splitter.addWidget(panel)
    splitter.setCollapsible(0, False)
    splitter.setSizes([1, 0])
    key = KINDS[kind].key

    def unfold() -> None:
        if splitter.sizes()[1] == 0:
            total = sum(splitter.sizes())
            splitter.setSizes([max(total - PANEL_WIDTH, 200), PANEL_WIDTH])

    def selected(current, _previous) -> None:
        if current.isValid():
            model = page.model
            code = model.data(model.index(current.row(), model.column_of(key)))
            unfold()
            panel.show_record(code)

    def new_record() -> None:
        unfold()
        panel.new_record()

    page.table.selectionModel().currentRowChanged.connect(selected)
    if page.desk.may_write:  # else the window's New and Delete stay greyed out on this page
        page.new_record = new_record
        page.delete_record = panel.delete_record
    page.record_panel = panel
    page.record_splitter = splitter
    return panel
