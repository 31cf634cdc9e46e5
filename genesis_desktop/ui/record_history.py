"""A record's history from the audit log: who changed it, when, and each field before and after.

    dialog = RecordHistoryDialog(desk, "proposal", "P-0001", parent)   # read off the GUI thread
    dialog.show()

One row per field changed, newest save first; the when, who and what of a change are written on
its first row only, so that the rows of one change read as a group. Long values are cut to the
column and shown whole in their tooltip. The dialog follows later writes to the record's tables.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from genesis_desktop.portfolio.audit import HistoryEntry, record_history, value_text
from genesis_desktop.portfolio.edits import KINDS

from .desk import Desk

COLUMNS = ("When (UTC)", "Who", "Change", "Field", "Before", "After")
ACTIONS = {"insert": "Added", "update": "Changed", "delete": "Removed"}
_VALUE_CHARS = 80  # a value longer than this is cut, with an ellipsis; the tooltip holds all of it


def when_text(at: str) -> str:
    """'2026-11-23T03:12:51.154Z' as '2026-11-23 03:12:51'."""
    try:
        return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:  # not written by the triggers: shown as stored
        return at


def newest_first(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """The saves newest first, each save's entries in the order they were written (its record's own
    row before the rows it owns)."""
    saves: list[list[HistoryEntry]] = []
    for entry in entries:
        if saves and saves[-1][0].tx == entry.tx:
            saves[-1].append(entry)
        else:
            saves.append([entry])
    return [entry for save in reversed(saves) for entry in save]


def history_rows(entries: list[HistoryEntry]) -> list[tuple[str, ...]]:
    """The table's rows (COLUMNS), newest save first."""
    rows = []
    for entry in newest_first(entries):
        head = (when_text(entry.at), entry.actor, f"{ACTIONS.get(entry.action, entry.action)} {entry.label}")
        changes = entry.changes or ()
        if not changes:
            rows.append((*head, "", "", ""))
        for i, change in enumerate(changes):
            rows.append((*(head if i == 0 else ("", "", "")), change.field, value_text(change.before),
                         value_text(change.after)))
    return rows


class RecordHistoryDialog(QDialog):
    def __init__(self, desk: Desk, kind: str, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.kind, self.code = desk, kind, code
        spec = KINDS[kind]
        self.tables = frozenset({spec.table.name, *(p.name for p in spec.parts)})
        self._key = f"record-history:{id(self)}"
        self.entries: list[HistoryEntry] | None = None  # None until read
        self.setObjectName("recordHistory")
        self.setWindowTitle(f"History of {kind} {code}")
        self.status = QLabel("Loading…", objectName="historyStatus")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self, objectName="historyTable")
        self.table.setAccessibleName(f"Changes to {kind} {code}")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in (4, 5):  # before and after share what is left, cut short where they must be
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(1000, 480)
        desk.data_changed.connect(self._on_data_changed)
        self.reload()

    def reload(self) -> None:
        store, kind, code = self.desk.store, self.kind, self.code
        self.desk.load(self._key, lambda: record_history(store, kind, code), self._show, self._failed)

    def _show(self, entries: list[HistoryEntry]) -> None:
        self.entries = entries
        rows = history_rows(entries)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                shown = value if len(value) <= _VALUE_CHARS else value[:_VALUE_CHARS - 1] + "…"
                item = QTableWidgetItem(shown)
                if c >= 4 and value:  # before and after may be cut by the column too: whole in the tooltip
                    item.setToolTip(value)
                if c == 2 and value:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        n = len(entries)
        self.status.setText(
            f"{n} change{'s' if n != 1 else ''} to {self.kind} {self.code} and the rows it owns, newest first, "
            "from the audit log." if n else
            f"The audit log holds no change to {self.kind} {self.code}: it was last written before the log began.")

    def _failed(self, message: str) -> None:
        self.status.setText(f"The history could not be read: {message}")

    def _on_data_changed(self, tables: frozenset[str]) -> None:
        if tables & self.tables and self.isVisible():
            self.reload()


def show_history(parent: QWidget, desk: Desk, kind: str, code: str | None) -> RecordHistoryDialog | None:
    """Open (or bring forward and refresh) the history of `code` beside `parent`."""
    if code is None:
        return None
    dialog = getattr(parent, "_history_dialog", None)
    if dialog is None or (dialog.kind, dialog.code) != (kind, code):
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
        dialog = RecordHistoryDialog(desk, kind, code, parent)
        parent._history_dialog = dialog
    else:
        dialog.reload()
    dialog.show()
    dialog.raise_()
    return dialog
