"""The record panel: a table page's side panel to create, edit and delete one record of its kind.

    panel = RecordPanel(desk, "proposal")
    panel.show_record("P-0001")   # read off the GUI thread, then shown
    panel.new_record()            # an empty form
    panel.delete_record()         # asks first, saying what refers to the record
    panel.saved.connect(...)      # (code) after a save; panel.deleted(code) after a delete

Every field is checked as you type (after a short pause, off the GUI thread) by the import's own
rules, and what is wrong is said under the field. Save stays disabled while the record is invalid;
saves and deletes go through the desk's one writer and onto its undo stack. A save names the version
the form read; if someone saved the record meanwhile it is refused and both versions are shown
(record_dialogs.py).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QScrollArea, QVBoxLayout, QWidget

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.edits import Change, EditRefused, FieldProblem, References, VersionConflict

from .desk import Desk
from .record_dialogs import SAVE_MINE, TAKE_STORED, ConflictDialog, delete_box
from .record_fields import FieldsForm
from .record_history import show_history

# Which kind of record each table page shows (page key -> kind).
KIND_OF_PAGE = {"challenges": "challenge", "proposals": "proposal", "calls": "call",
                "institutions": "institution", "partners": "partner", "commitments": "commitment"}
CHECK_DELAY_MS = 300


def _read(store, kind: str, code: str) -> tuple[dict[str, str], int] | None:
    try:
        return edits.read_versioned(store, kind, code)
    except edits.RecordMissing:
        return None


class RecordPanel(QWidget):
    saved = Signal(str)
    deleted = Signal(str)
    cancelled = Signal()

    def __init__(self, desk: Desk, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.kind = kind
        self.spec = edits.KINDS[kind]
        self.tables = frozenset({self.spec.table.name, *(p.name for p in self.spec.parts)})
        self.setObjectName(f"{kind}Panel")
        self.code: str | None = None  # the stored record shown; None for a new one or none
        self._stored: dict[str, str] | None = None  # its texts as read (a new record's blanks)
        self._version: int | None = None  # the stored record's version as read: saves name it
        self.conflict_box: ConflictDialog | None = None
        self._gone: str | None = None  # the code of a record deleted here, shown again if undone
        self._problems: list[FieldProblem] | None = None  # for the values shown; None: not checked yet
        self._touched: set[str] = set()
        self._save_after_check = False
        self._saving = False
        key = f"{kind}:{id(self)}"
        self._keys = {"read": f"record-read:{key}", "check": f"record-check:{key}", "refs": f"record-refs:{key}"}

        self.title = QLabel(objectName="recordTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel(objectName="recordStatus")
        self.status.setWordWrap(True)
        self.form = FieldsForm(kind, self)
        self.form.changed.connect(self._edited)
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self.form)
        column.addStretch(1)  # spare height goes below the fields, not between them
        scroll = QScrollArea(objectName="recordScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        note = QLabel("* required", objectName="requiredNote")
        self.save_button = self._button("&Save", f"Save this {kind} (Ctrl+S)", self.save)
        self.delete_button = self._button("&Delete…", f"Delete this {kind} (Ctrl+Del)", self.delete_record)
        self.cancel_button = self._button("Cancel", "Discard the changes (Esc)", self.cancel)
        self.history_button = self._button("&History…", f"Who changed this {kind}, when, and what",
                                           lambda: show_history(self, desk, kind, self.code))
        QShortcut(QKeySequence.StandardKey.Save, self, self.save, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(note)
        buttons.addStretch(1)
        for button in (self.history_button, self.delete_button, self.cancel_button, self.save_button):
            buttons.addWidget(button)
        # An analyst reads the record here; nothing of the panel may suggest it can be changed.
        self.read_only = not desk.may_write
        for widget in (note, self.delete_button, self.cancel_button, self.save_button):
            widget.setVisible(not self.read_only)
        if self.read_only:
            self.form.set_read_only(list(self.form.editors), True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        self._timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._timer.timeout.connect(self._check)
        self.delete_box: QMessageBox | None = None
        desk.data_changed.connect(self._on_data_changed)
        self._show_nothing(f"No {kind} selected.")

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text, objectName=text.strip("&…").lower() + "Button")
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.clicked.connect(slot)
        return button

    # Showing a record -----------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._stored is not None and self.form.values() != self._stored

    @property
    def problems(self) -> list[FieldProblem] | None:
        return self._problems

    def show_record(self, code: str) -> None:
        """Read the record off the GUI thread and show it."""
        self._timer.stop()
        self.code = code
        self.title.setText(f"{self.spec.title} {code}")
        self._say("Loading…")
        self._enable(editable=False)
        self._read(code, quiet=False)

    def _read(self, code: str, quiet: bool) -> None:
        """Read the record; `quiet` keeps the form usable meanwhile and yields to edits begun since."""
        store, kind = self.desk.store, self.kind
        self.desk.load(self._keys["read"], lambda: _read(store, kind, code),
                       lambda read: self._fill(code, *(read or (None, None)), quiet=quiet), self._say)

    def new_record(self) -> None:
        self._timer.stop()
        self.code, self._gone = None, None
        self.title.setText(f"New {self.kind}")
        self._fill(None, edits.blank(self.kind))
        self._check()
        self.form.focus_field(self.spec.key)

    def _fill(self, code: str | None, texts: dict[str, str] | None, version: int | None = None,
              quiet: bool = False) -> None:
        if code != self.code or (quiet and self.dirty):
            return  # another record was asked for meanwhile, or the person has started editing
        if texts is None:
            self._show_nothing(f"There is no {self.kind} {code}: it was deleted.")
            self._gone = code  # shown again if an undo brings it back
            return
        self._gone = None
        self._stored, self._version = dict(texts), version
        self._touched = set()
        self._problems = [] if code is not None else None
        self.form.set_values(texts)
        # The code names the record in files: kept once stored (and everything is kept in a read-only panel).
        self.form.set_read_only([self.spec.key], code is not None or self.read_only)
        self.form.show_problems([])
        if not quiet:
            self._say("")
        self._enable(editable=True)

    def _show_nothing(self, message: str) -> None:
        self.code, self._stored, self._version, self._problems = None, None, None, None
        self.title.setText(message)
        self.form.set_values(edits.blank(self.kind))
        self.form.show_problems([])
        self._say("")
        self._enable(editable=False)

    def _say(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(bool(message))

    def _enable(self, editable: bool) -> None:
        if self.read_only:
            self.form.setEnabled(editable)
            return
        busy = self._saving
        self.form.setEnabled(editable and not busy)
        valid = self._problems is not None and not self._problems
        self.save_button.setEnabled(editable and not busy and valid and (self.code is None or self.dirty))
        self.delete_button.setEnabled(editable and not busy and self.code is not None)
        self.history_button.setEnabled(self.code is not None)
        self.cancel_button.setEnabled(editable and not busy)

    # Checking as you type ------------------------------------------------------------------------

    def _edited(self, name: str) -> None:
        self._touched.add(name)
        self._problems = None
        self._enable(editable=True)
        self._timer.start()

    def _check(self) -> None:
        self._timer.stop()
        values, code, store, kind = self.form.values(), self.code, self.desk.store, self.kind
        self.desk.load(self._keys["check"], lambda: edits.validate(store, kind, values, code=code),
                       lambda problems: self._checked(values, problems), self._say)

    def _checked(self, values: dict[str, str], problems: list[FieldProblem]) -> None:
        if values != self.form.values() or self._stored is None:
            return  # typed on meanwhile: a newer check is coming
        self._problems = problems
        untouched = set(self.form.editors) - self._touched if self.code is None else set()
        stray = self.form.show_problems(problems, hide_required=untouched)
        self._say("\n".join(stray))
        self._enable(editable=True)
        if self._save_after_check:
            self._save_after_check = False
            self.save()

    # Save, delete, cancel ---------------------------------------------------------------------------

    def save(self) -> None:
        if self._stored is None or self._saving or self.read_only:
            return
        if self._problems is None:  # still checking what was just typed: save once it is known
            self._save_after_check = True
            self._check()
            return
        if not self.save_button.isEnabled():
            return
        values, code, store, kind = self.form.values(), self.code, self.desk.store, self.kind
        if code is None:
            write = lambda: edits.create(store, kind, values)  # noqa: E731
        else:
            version = self._version
            write = lambda: edits.update(store, kind, code, values, expected_version=version)  # noqa: E731
        self._saving = True
        self._say("Saving…")
        self._enable(editable=True)
        self.desk.write(write, self._saved, self._save_failed)

    def _saved(self, change: Change) -> None:
        self._saving = False
        self.desk.undo_stack.record(change)
        self.code, self._stored = change.code, self.form.values()
        self.title.setText(f"{self.spec.title} {change.code}")
        self._say(f"Saved {self.kind} {change.code}. Undo with Ctrl+Z.")
        self._enable(editable=True)
        self._read(change.code, quiet=True)  # the stored texts, as the import's rules normalised them
        self.saved.emit(change.code)

    def _save_failed(self, error: Exception) -> None:
        self._saving = False
        if isinstance(error, EditRefused):
            self._problems = error.problems
            stray = self.form.show_problems(error.problems)
            self._say("Not saved: " + ("; ".join(stray) or "see what is wrong under the fields."))
        elif isinstance(error, VersionConflict) and error.code == self.code:
            self._say(f"Not saved: {self.kind} {error.code} was changed by someone else meanwhile.")
            self._show_conflict(error)
        else:
            self._say(f"Not saved: {error}")
        self._enable(editable=True)

    def _show_conflict(self, conflict: VersionConflict) -> None:
        box = ConflictDialog(conflict, self)
        box.finished.connect(lambda _result: self._conflict_decided(conflict, box.choice))
        box.finished.connect(box.deleteLater)
        self.conflict_box = box
        box.open()

    def _conflict_decided(self, conflict: VersionConflict, choice: str) -> None:
        self.conflict_box = None
        if choice == TAKE_STORED:
            self._fill(self.code, conflict.stored, conflict.stored_version)
        elif choice == SAVE_MINE:  # knowingly over the version just shown, and only that one
            self._version = conflict.stored_version
            self.save()

    def delete_record(self) -> None:
        """Ask to delete the record shown, saying what refers to it and what would go with it."""
        if self.code is None or self._saving or self.read_only:
            return
        code, store, kind = self.code, self.desk.store, self.kind
        self._say("Looking for what refers to it…")
        self.desk.load(self._keys["refs"], lambda: edits.references(store, kind, code), self._confirm_delete,
                       self._say)

    def _confirm_delete(self, refs: References) -> None:
        self._say("")
        self.delete_box = delete_box(self, self.kind, refs, lambda: self._delete(refs))
        self.delete_box.open()

    def _delete(self, refs: References) -> None:
        code, store, kind, cascade = refs.code, self.desk.store, self.kind, bool(refs.dependents)
        self._saving = True
        self._say("Deleting…")
        self._enable(editable=True)
        self.desk.write(lambda: edits.delete(store, kind, code, cascade=cascade), self._deleted, self._save_failed)

    def _deleted(self, change: Change) -> None:
        self._saving = False
        self.desk.undo_stack.record(change)
        self._show_nothing(f"{self.spec.title} {change.code} was deleted.")
        self._gone = change.code
        self._say("Deleted. Undo with Ctrl+Z.")
        self.deleted.emit(change.code)

    def cancel(self) -> None:
        """Put back what is stored (or the blank new record) and forget the problems."""
        if self._stored is None or self._saving:
            return
        self._timer.stop()
        self._fill(self.code, self._stored, self._version)
        if self.code is None:
            self._problems = None
            self._check()
        self.cancelled.emit()

    def _on_data_changed(self, tables: frozenset[str]) -> None:
        """Another write (an undo, an import) changed this kind: show the record as it is now,
        unless the person is in the middle of editing it."""
        if not (tables & self.tables) or self._saving or self.dirty:
            return
        if self.code is not None:
            self._read(self.code, quiet=True)
        elif self._gone is not None:
            self.show_record(self._gone)
