"""A kind's fields as a form: one row per field (label, editor, and under it what is wrong with it).

The form holds texts only: `values()` is a row of the kind's import file, `set_values()` fills the
editors from one, and `show_problems()` puts each FieldProblem from the import's rules next to the
field it names. Whether a record may be saved is the panel's business (record_form.py).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from genesis_desktop.portfolio.edits import FieldProblem
from genesis_desktop.portfolio.edits_fields import Field, Grid, fields

from .record_editors import Editor, MoneyEditor, ProblemLabel, editor_for
from .record_grid import GridEditor

REQUIRED = "a value is required"


class FieldsForm(QWidget):
    changed = Signal(str)  # the name of the field (or grid) that the person changed

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"{kind}Fields")
        self.editors: dict[str, Editor | GridEditor] = {}  # by field or grid name
        self.problem_labels: dict[str, ProblemLabel] = {}
        self._owner: dict[str, str] = {}  # file column -> the editor showing it
        self._labels: dict[str, str] = {}  # file column -> its label, for problems shown on a grid
        self._filling = False
        self.layout_ = QFormLayout(self)
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for item in fields(kind):
            self._add_row(item)
        self._follow_currency()

    def _add_row(self, item: Field | Grid) -> None:
        editor = GridEditor(item) if isinstance(item, Grid) else editor_for(item)
        names = item.names if isinstance(item, Grid) else (item.name,)
        required = item.required if isinstance(item, Field) else any(c.required for c in item.columns)
        for name in names:
            self._owner[name] = item.name
        if isinstance(item, Grid):
            self._labels.update({c.name: c.label for c in item.columns})
        problem = ProblemLabel(item.name)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(problem)
        # Required fields say so in words (an asterisk explained in the panel), not by colour.
        label = QLabel(f"{item.label}{' *' if required else ''}:", objectName=f"label_{item.name}")
        label.setBuddy(editor.table if isinstance(editor, GridEditor) else editor.focusProxy() or editor)
        if isinstance(item, Grid):  # a table wants the panel's whole width: its label goes above it
            self.layout_.addRow(label)
            self.layout_.addRow(box)
        else:
            self.layout_.addRow(label, box)
        editor.changed.connect(lambda name=item.name: self._edited(name))
        self.editors[item.name] = editor
        self.problem_labels[item.name] = problem

    def _edited(self, name: str) -> None:
        if name == self._owner.get("currency"):
            self._follow_currency()
        if not self._filling:
            self.changed.emit(name)

    def _follow_currency(self) -> None:
        editor = self.editors.get(self._owner.get("currency", ""))
        code = editor.values().get("currency", "") if editor is not None else ""
        for other in self.editors.values():
            if isinstance(other, (MoneyEditor, GridEditor)):
                other.set_currency(code)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for editor in self.editors.values():
            out.update(editor.values())
        return out

    def set_values(self, texts: dict[str, str]) -> None:
        self._filling = True
        try:
            for editor in self.editors.values():
                editor.set_values(texts)
            self._follow_currency()
        finally:
            self._filling = False

    def set_read_only(self, names, on: bool = True) -> None:
        for name in names:
            editor = self.editors.get(self._owner.get(name, name))
            if editor is not None:
                editor.set_read_only(on)

    def show_problems(self, problems: list[FieldProblem], hide_required: set[str] = frozenset()) -> list[str]:
        """Show each problem under its field; 'a value is required' is held back for the fields in
        `hide_required` (not touched yet on a new record). Returns the problems no field shows."""
        lines: dict[str, list[str]] = {name: [] for name in self.problem_labels}
        stray = []
        for p in problems:
            owner = self._owner.get(p.field)
            if owner is None:
                stray.append(str(p))
                continue
            if p.rule == REQUIRED and owner in hide_required:
                continue
            if p.field in self._labels:  # a grid: say which column and which entry
                what = f"{self._labels[p.field]}: " + (f"‘{p.value}’: " if p.value else "")
                lines[owner].append(what + p.rule)
            else:
                lines[owner].append(p.rule)
        for name, label in self.problem_labels.items():
            label.show_rules(list(dict.fromkeys(lines[name])))
        return stray

    def focus_field(self, name: str) -> None:
        editor = self.editors.get(self._owner.get(name, name))
        if editor is not None:
            target = editor.table if isinstance(editor, GridEditor) else editor.focusProxy() or editor
            target.setFocus(Qt.FocusReason.OtherFocusReason)
