"""One editor per kind of field, all speaking text: the texts an import file holds for that column.

Every editor has `values()` ({field: text}), `set_values(texts)`, `set_read_only(on)` and a `changed`
signal. A `ProblemLabel` says what is wrong with a field in words, with a warning icon, so that the
message never depends on colour alone.
"""
from __future__ import annotations

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QStyle, QToolButton, QWidget,
)

from genesis_desktop.portfolio.edits_fields import Field

# QDateEdit cannot be empty: its minimum date stands for "no date" and shows as blank text.
NO_DATE = QDate(1752, 9, 14)
_LONG_LINES = 3


class Editor(QWidget):
    changed = Signal()

    def __init__(self, field: Field, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.setObjectName(f"edit_{field.name}")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)

    def _add(self, widget: QWidget, stretch: int = 1) -> QWidget:
        """Add the widget that takes the input; screen readers name it after the field."""
        widget.setAccessibleName(self.field.label)
        self.setFocusProxy(widget)
        if self.field.hint:
            widget.setToolTip(self.field.hint)
        self._layout.addWidget(widget, stretch)
        return widget

    def text(self) -> str:
        raise NotImplementedError

    def set_text(self, text: str) -> None:
        raise NotImplementedError

    def values(self) -> dict[str, str]:
        return {self.field.name: self.text()}

    def set_values(self, texts: dict[str, str]) -> None:
        self.set_text(texts.get(self.field.name, ""))

    def set_read_only(self, on: bool) -> None:
        self.setEnabled(not on)


class LineEditor(Editor):
    """Text, codes, lists ('a; b') and whole numbers: the import reads each from one line."""

    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.line = self._add(QLineEdit(objectName=f"line_{field.name}"))
        self.line.setPlaceholderText(field.hint)
        self.line.textEdited.connect(self.changed)

    def text(self) -> str:
        return self.line.text()

    def set_text(self, text: str) -> None:
        self.line.setText(text)

    def set_read_only(self, on: bool) -> None:
        self.line.setReadOnly(on)


class MoneyEditor(LineEditor):
    """An amount in major units, followed by the currency it is in (the record's currency field)."""

    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.line.setPlaceholderText("amount such as 1500000.00")
        self.line.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.currency = QLabel("", objectName=f"currency_{field.name}")
        self.currency.setMinimumWidth(self.fontMetrics().horizontalAdvance("MMM") + 4)
        self._layout.addWidget(self.currency)

    def set_currency(self, code: str) -> None:
        self.currency.setText(code.strip().upper() or "—")
        self.line.setAccessibleName(f"{self.field.label} in {code.strip() or 'the record currency'}")


class LongEditor(Editor):
    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.edit = self._add(QPlainTextEdit(objectName=f"text_{field.name}"))
        self.edit.setTabChangesFocus(True)  # Tab moves on to the next field, as in every other editor
        self.edit.setFixedHeight(self.fontMetrics().lineSpacing() * _LONG_LINES + 12)
        self.edit.textChanged.connect(self.changed)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def set_read_only(self, on: bool) -> None:
        self.edit.setReadOnly(on)


class ChoiceEditor(Editor):
    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.combo = self._add(QComboBox(objectName=f"choice_{field.name}"))
        if not field.required:
            self.combo.addItem(f"(default: {field.default})" if field.default else "(none)", "")
        for choice in field.choices:
            self.combo.addItem(choice.replace("_", " "), choice)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def text(self) -> str:
        return self.combo.currentData() or ""

    def set_text(self, text: str) -> None:
        index = self.combo.findData(text)
        if index < 0:  # a value the list does not know: keep it, so that validation can name it
            self.combo.addItem(text or "(choose one)", text)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class DateEditor(Editor):
    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.date = self._add(QDateEdit(objectName=f"date_{field.name}"))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(NO_DATE)
        self.date.setSpecialValueText("no date")
        self.date.dateChanged.connect(lambda _d: self.changed.emit())
        self.clear = QToolButton(objectName=f"clear_{field.name}")
        self.clear.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_LineEditClearButton))
        self.clear.setAccessibleName(f"Clear {field.label.lower()}")
        self.clear.setToolTip(f"Clear {field.label.lower()}")
        self.clear.clicked.connect(lambda: self.set_text(""))
        self._layout.addWidget(self.clear)

    def text(self) -> str:
        d = self.date.date()
        return "" if d == NO_DATE else d.toString("yyyy-MM-dd")

    def set_text(self, text: str) -> None:
        d = QDate.fromString(text.strip(), "yyyy-MM-dd") if text.strip() else NO_DATE
        self.date.setDate(d if d.isValid() else NO_DATE)
        if self.date.date() == NO_DATE:
            # The calendar opens on this month rather than on the "no date" sentinel.
            today = QDate.currentDate()
            self.date.calendarWidget().setCurrentPage(today.year(), today.month())

    def set_read_only(self, on: bool) -> None:
        self.date.setReadOnly(on)
        self.clear.setEnabled(not on)


class BoolEditor(Editor):
    def __init__(self, field: Field, parent=None) -> None:
        super().__init__(field, parent)
        self.box = self._add(QCheckBox("Yes", objectName=f"check_{field.name}"))
        self.box.toggled.connect(lambda _on: self.changed.emit())

    def text(self) -> str:
        return "true" if self.box.isChecked() else "false"

    def set_text(self, text: str) -> None:
        self.box.setChecked(text.strip().lower() == "true")


EDITORS = {"text": LineEditor, "list": LineEditor, "number": LineEditor, "money": MoneyEditor,
           "long": LongEditor, "choice": ChoiceEditor, "date": DateEditor, "bool": BoolEditor}


def editor_for(field: Field, parent: QWidget | None = None) -> Editor:
    return EDITORS[field.editor](field, parent)


class ProblemLabel(QWidget):
    """What is wrong with a field: a warning icon and the rule in words; hidden when nothing is."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"problem_{name}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(4)
        size = self.fontMetrics().height()
        self.icon = QLabel()
        self.icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(objectName="problemText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text()

    def show_rules(self, lines: list[str]) -> None:
        self.label.setText("\n".join(lines))
        self.setAccessibleName("Problem: " + " ".join(lines) if lines else "")
        self.setVisible(bool(lines))
