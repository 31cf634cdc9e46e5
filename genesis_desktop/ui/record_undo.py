"""Undo and redo for every edit: a QUndoStack whose commands write through the one writer.

An edit is already in the database when its command is pushed, so the push's first redo() does
nothing. Later undo() and redo() submit edits.undo / edits.redo to the writer (never run on the GUI
thread). While one of them is in flight the stack refuses further undo and redo, and keeps edits that
finish meanwhile aside until it is done, so that the stack's index always matches the database. If
the writer refuses (the record was changed meanwhile), the index moves back without writing and
`failed` says why.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.edits import Change
from genesis_desktop.portfolio.store import Store

from .writer import Writer


class EditCommand(QUndoCommand):
    def __init__(self, stack: "EditStack", change: Change) -> None:
        super().__init__(change.description)
        self.change = change
        self._stack = stack
        # The edit is applied already: the redo() that QUndoStack.push calls must not write it again.
        self._skip_next = True

    def redo(self) -> None:
        if self._skip_next:
            self._skip_next = False
            return
        self._stack._write(self, "redo")

    def undo(self) -> None:
        if self._skip_next:
            self._skip_next = False
            return
        self._stack._write(self, "undo")


class EditStack(QUndoStack):
    """The desk's undo history. Use its undo()/redo() (not QUndoStack's C++ actions), which wait
    for the writer."""

    failed = Signal(str)  # why an undo or redo was not done (nothing was written)
    busy_changed = Signal(bool)

    def __init__(self, store: Store, writer: Writer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._writer = writer
        self._busy = False
        self._waiting: list[Change] = []

    @property
    def busy(self) -> bool:
        return self._busy

    def record(self, change: Change) -> None:
        """Remember an edit the writer has made (one that changed nothing is not worth an undo)."""
        if not change.changed:
            return
        if self._busy:
            self._waiting.append(change)
        else:
            self.push(EditCommand(self, change))

    def canUndo(self) -> bool:  # noqa: N802 (Qt's name)
        return not self._busy and super().canUndo()

    def canRedo(self) -> bool:  # noqa: N802
        return not self._busy and super().canRedo()

    def undo(self) -> None:
        if self.canUndo():
            super().undo()

    def redo(self) -> None:
        if self.canRedo():
            super().redo()

    def _write(self, command: EditCommand, action: str) -> None:
        self._set_busy(True)
        store, change = self._store, command.change
        operation = edits.undo if action == "undo" else edits.redo
        self._writer.submit(lambda: operation(store, change), on_done=lambda _result: self._finish(),
                            on_failed=lambda exc: self._refused(command, action, exc))

    def _refused(self, command: EditCommand, action: str, error: Exception) -> None:
        # The database holds what it held before the request: step the index back without writing.
        command._skip_next = True
        if action == "undo":
            super().redo()
        else:
            super().undo()
        self._finish()
        self.failed.emit(str(error))

    def _finish(self) -> None:
        self._set_busy(False)
        waiting, self._waiting = self._waiting, []
        for change in waiting:
            self.push(EditCommand(self, change))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_changed.emit(busy)
        self.canUndoChanged.emit(self.canUndo())
        self.canRedoChanged.emit(self.canRedo())
