"""The record panel's dialogs: confirming a delete, and the conflict when someone else saved first.

The conflict dialog shows both versions side by side, the fields where they differ first, and lets the person take
the stored version, save theirs over it knowingly, or go on editing. Nothing is overwritten unless
they choose to.
"""
from __future__ import annotations

from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from PySide6.QtWidgets import QMessageBox

from genesis_desktop.portfolio.edits import References, VersionConflict

TAKE_STORED, SAVE_MINE, KEEP_EDITING = "stored", "mine", "edit"


def delete_box(parent: QWidget, kind: str, refs: References, confirmed) -> QMessageBox:
    """Asks to delete the record, saying what refers to it; calls `confirmed()` on Delete. A record
    that others need gets a box that only says why it cannot be deleted."""
    box = QMessageBox(parent)
    box.setObjectName("confirmDelete")
    box.setInformativeText(refs.explain())
    if refs.blocked:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Cannot delete")
        box.setText(f"{kind.capitalize()} {refs.code} cannot be deleted.")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
    else:
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(f"Delete {kind}")
        box.setText(f"Delete {kind} {refs.code}? You can undo it with Ctrl+Z.")
        confirm = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        confirm.setObjectName("confirmDeleteButton")
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.buttonClicked.connect(lambda button: confirmed() if button is confirm else None)
    box.finished.connect(box.deleteLater)
    return box


class ConflictDialog(QDialog):
    def __init__(self, conflict: VersionConflict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.choice = KEEP_EDITING
        self.setObjectName("conflictDialog")
        self.setWindowTitle(f"{conflict.kind.capitalize()} {conflict.code} was changed meanwhile")
        intro = QLabel(
            f"Someone else saved {conflict.kind} {conflict.code} after you opened it: you edited version "
            f"{conflict.expected_version}, the database now holds version {conflict.stored_version}. "
            "Your changes were not saved.", objectName="conflictIntro")
        intro.setWordWrap(True)
        self.table = self._table(conflict)
        buttons = QDialogButtonBox()
        self.take_button = self._choice(buttons, "Use the stored version", TAKE_STORED,
                                        QDialogButtonBox.ButtonRole.RejectRole)
        self.mine_button = self._choice(buttons, "Save mine over it", SAVE_MINE,
                                        QDialogButtonBox.ButtonRole.DestructiveRole)
        self.edit_button = self._choice(buttons, "Keep editing", KEEP_EDITING, QDialogButtonBox.ButtonRole.AcceptRole)
        self.edit_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def _choice(self, box: QDialogButtonBox, text: str, choice: str, role) -> QPushButton:
        button = box.addButton(text, role)
        button.setObjectName(f"conflict_{choice}")
        button.clicked.connect(lambda: self._choose(choice))
        return button

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def _table(self, conflict: VersionConflict) -> QTableWidget:
        differing = set(conflict.fields)
        names = conflict.fields + [f for f in conflict.stored if f not in differing]
        table = QTableWidget(len(names), 3, objectName="conflictTable")
        table.setHorizontalHeaderLabels(
            ["Field", f"Yours (from version {conflict.expected_version})",
             f"Stored now (version {conflict.stored_version})"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        marked = QBrush(self.palette().color(QPalette.ColorRole.Highlight).lighter(170))
        for row, name in enumerate(names):
            cells = (name, conflict.yours.get(name, ""), conflict.stored.get(name, ""))
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if name in differing:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(marked)
                    item.setForeground(QBrush(self.palette().color(QPalette.ColorRole.Text).darker(300)))
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        return table
