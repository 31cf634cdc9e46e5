"""The scenario's constraints as a form: budgets per year, coverage, caps, the continuation reserve, the
objective, forced choices and the exchange-rate assumptions.

The form holds text; what it means is decided in one place, ScenarioSpec.from_json, so the desktop
and the command line refuse the same specs with the same words. A refusal is shown next to the group
of fields it names (and repeated under the buttons), and nothing is applied. Cells are passed on as
numbers where they read as numbers and as typed otherwise, so that the spec's check names the value.
"""
from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from genesis_desktop.decisions.scenarios import ScenarioSpec

OBJECTIVES = (("merit", "Merit"), ("merit_money", "Merit × money"), ("count", "Number of proposals"))
ERROR_STYLE = "color: #D55E00; font-weight: 600;"  # Okabe-Ito vermillion: reads on light and dark
# Which group of fields an error is shown next to, by the spec field it names.
GROUP_OF_FIELD = {"objective": "objective", "pool": "objective", "call": "objective", "budgets": "budgets",
                  "coverage": "coverage", "caps": "caps", "continuation": "continuation", "forced_in": "forced",
                  "forced_out": "forced", "forced": "forced", "rates": "rates"}


def number(text: str) -> Any:
    """'60,000,000' -> 60000000.0; '' -> None; anything else stays text, for the spec's check to name."""
    plain = text.strip().replace(",", "").replace("_", "")
    if not plain:
        return None
    try:
        value = float(plain)
    except ValueError:
        return text.strip()
    return int(value) if value.is_integer() and "." not in plain and "e" not in plain.lower() else value


def _plain(value: Any) -> str:
    """A cell's text: amounts with their thousands grouped (number() reads them back)."""
    if value is None:
        return ""
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 1000 else str(value)


def error_group(error: Exception) -> str:
    """The group a refusal belongs to: the exception's `field` if it has one, else the first field named."""
    field = str(getattr(error, "field", "") or "")
    if field:
        return GROUP_OF_FIELD.get(re.split(r"[.\[]", field)[0], "objective")
    text = str(error)
    found = [(m.start(), GROUP_OF_FIELD[m.group(1)]) for m in re.finditer(r"\b(" + "|".join(GROUP_OF_FIELD) + r")\b",
                                                                            text)]
    return min(found)[1] if found else "objective"


class RowsTable(QWidget):
    """Rows of cells with Add and Remove; a column with `choices` is a drop-down."""

    def __init__(self, name: str, headers: list[str], choices: dict[int, tuple[str, ...]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices or {}
        self.table = QTableWidget(0, len(headers), self, accessibleName=name, objectName=name)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in self.choices:  # a drop-down of short words: as wide as they are
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(4 * (self.fontMetrics().height() + 8))
        add, remove = QPushButton("Add row", self), QPushButton("Remove row", self)
        add.setAccessibleName(f"Add a row to {name}")
        remove.setAccessibleName(f"Remove the selected rows of {name}")
        add.clicked.connect(lambda: self.add_row([""] * len(headers)))
        remove.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()  # beside the table: the form is short of height, not of width
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def add_row(self, cells: list[Any]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, value in enumerate(cells):
            if column in self.choices:
                box = QComboBox(self.table)
                box.addItems(self.choices[column])
                box.setCurrentText(str(value or self.choices[column][0]))
                self.table.setCellWidget(row, column, box)
            else:
                item = QTableWidgetItem(_plain(value))
                if isinstance(value, (int, float)):  # amounts and counts line up on their last digit
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.table.setRowCount(0)
        for cells in rows:
            self.add_row(cells)

    def rows(self) -> list[list[str]]:
        out = []
        for row in range(self.table.rowCount()):
            cells = []
            for column in range(self.table.columnCount()):
                widget, item = self.table.cellWidget(row, column), self.table.item(row, column)
                cells.append(widget.currentText() if widget is not None else (item.text() if item else ""))
            if any(c.strip() for i, c in enumerate(cells) if i not in self.choices):
                out.append(cells)
        return out


class ConstraintsEditor(QWidget):
    applied = Signal(object)  # the ScenarioSpec the form holds, once it passes the spec's check

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base: dict = {}  # the spec shown, for the fields the form does not edit (call, pool)
        self.objective = QComboBox(accessibleName="Objective")
        for key, text in OBJECTIVES:
            self.objective.addItem(text, key)
        self.budgets = RowsTable("Budgets per year", ["Fiscal year", "Budget"])
        self.coverage = RowsTable("Coverage", ["Kind", "Code or area", "Min count", "Min money"],
                                  {0: ("challenge", "area")})
        self.caps = RowsTable("Caps", ["Kind", "Code", "Max money", "Max count"],
                              {0: ("lab", "institution", "partner")})
        self.share = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05, decimals=2, accessibleName="Reserve share")
        self.multiple = QDoubleSpinBox(minimum=0.5, maximum=20, singleStep=0.5, decimals=1,
                                       accessibleName="Reserve multiple")
        self.years = QSpinBox(minimum=0, maximum=10, accessibleName="Reserve years")
        self.forced_in = QLineEdit(placeholderText="codes, separated by commas", accessibleName="Forced in")
        self.forced_out = QLineEdit(placeholderText="codes, separated by commas", accessibleName="Forced out")
        self.rates_on = QLineEdit(placeholderText="YYYY-MM-DD (blank: the day it is solved)", accessibleName="Rates on")
        self.overrides = RowsTable("Rate overrides", ["Currency", "Units per reporting unit"])
        self.errors = {key: QLabel(styleSheet=ERROR_STYLE, wordWrap=True, visible=False, objectName=f"{key}Error")
                       for key in ("objective", "budgets", "coverage", "caps", "continuation", "forced", "rates")}
        self.message = QLabel(wordWrap=True, objectName="constraintsMessage")
        self.apply_button = QPushButton("Apply and &solve", objectName="applyConstraints",
                                        toolTip="Check the constraints, save them in the scenario and solve it")
        self.revert_button = QPushButton("&Revert", objectName="revertConstraints",
                                         toolTip="Show the scenario's saved constraints again")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(lambda: self.set_spec(self.base))
        self._lay_out()

    def _group(self, title: str, key: str, *rows: tuple[str, QWidget] | QWidget) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        for row in rows:
            if isinstance(row, tuple):
                form.addRow(*row)
            else:
                form.addRow(row)
        form.addRow(self.errors[key])
        return box

    def _lay_out(self) -> None:
        reserve = QHBoxLayout()
        reserve.setContentsMargins(0, 0, 0, 0)
        for label, box in (("share", self.share), ("× multiple", self.multiple), ("for years", self.years)):
            reserve.addWidget(QLabel(label))
            reserve.addWidget(box)
        reserve.addStretch(1)
        reserve_box = QWidget()
        reserve_box.setLayout(reserve)
        # The settings and the budgets on the left, the rules and rates on the right; the buttons stay in view below.
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self._group("Objective", "objective", ("&Maximise", self.objective)))
        left.addWidget(self._group("Continuation reserve (Phase I → II; share 0 = off)", "continuation", reserve_box))
        left.addWidget(self._group("Forced choices", "forced", ("Forced &in", self.forced_in),
                                   ("Forced &out", self.forced_out)))
        left.addWidget(self._group("Budgets per fiscal year (none: the call's total, spread like its requests)",
                                   "budgets", self.budgets), 1)
        right.addWidget(self._group("Coverage: at least this many funded, or this much money", "coverage",
                                    self.coverage), 1)
        right.addWidget(self._group("Caps: at most this much money, or this many", "caps", self.caps), 1)
        right.addWidget(self._group("Exchange rates", "rates", ("Rates &on", self.rates_on), self.overrides), 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        body = QWidget()
        body.setLayout(columns)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def set_spec(self, spec: dict) -> None:
        """Show a spec's JSON (ScenarioSpec.to_json()) in the form."""
        self.base = dict(spec)
        self.objective.setCurrentIndex(max(0, self.objective.findData(spec.get("objective", "merit"))))
        self.budgets.set_rows([[year, amount] for year, amount in sorted((spec.get("budgets") or {}).items())])
        self.coverage.set_rows([[c.get("kind"), c.get("key"), c.get("min_count", 0), c.get("min_money", 0)]
                                for c in spec.get("coverage") or []])
        self.caps.set_rows([[c.get("kind"), c.get("key"), c.get("max_money"), c.get("max_count")]
                            for c in spec.get("caps") or []])
        reserve = spec.get("continuation") or {}
        self.share.setValue(float(reserve.get("share", 0) or 0))
        self.multiple.setValue(float(reserve.get("multiple", 0) or 0))
        self.years.setValue(int(reserve.get("years", 0) or 0))
        self.forced_in.setText(", ".join(spec.get("forced_in") or []))
        self.forced_out.setText(", ".join(spec.get("forced_out") or []))
        rates = spec.get("rates") or {}
        self.rates_on.setText(str(rates.get("on") or ""))
        self.overrides.set_rows([[c, r] for c, r in sorted((rates.get("override") or {}).items())])
        self.show_error(None)

    def follow(self, spec: dict, same_scenario: bool) -> None:
        """Show a spec read again, unless the form holds edits of the same scenario that are neither
        saved nor what was read (a refused save must not wipe what the officer typed)."""
        form = self._canonical()
        if same_scenario and form not in (self.base, spec):
            return
        self.set_spec(spec)

    def _canonical(self) -> dict | None:
        try:
            return ScenarioSpec.from_json(self.form_json()).to_json()
        except (ValueError, TypeError, KeyError):
            return None

    def form_json(self) -> dict:
        """The spec as the form has it, unchecked."""
        def codes(edit: QLineEdit) -> list[str]:
            return [c.strip() for c in edit.text().replace(";", ",").split(",") if c.strip()]

        return {
            **self.base,
            "objective": self.objective.currentData(),
            "budgets": {year.strip(): number(amount) for year, amount in self.budgets.rows()},
            "coverage": [{"kind": k, "key": key.strip(), "min_count": number(n) or 0, "min_money": number(m) or 0}
                         for k, key, n, m in self.coverage.rows()],
            "caps": [{"kind": k, "key": key.strip(), "max_money": number(m), "max_count": number(n)}
                     for k, key, m, n in self.caps.rows()],
            "continuation": {"share": self.share.value(), "multiple": self.multiple.value(),
                             "years": self.years.value()},
            "forced_in": codes(self.forced_in), "forced_out": codes(self.forced_out),
            "rates": {"on": self.rates_on.text().strip() or None,
                      "override": {c.strip().upper(): number(r) for c, r in self.overrides.rows()}},
        }

    def checked_spec(self) -> ScenarioSpec | None:
        """The form's spec if it passes ScenarioSpec.from_json, else None with the refusal shown."""
        try:
            spec = ScenarioSpec.from_json(self.form_json())
        except (ValueError, TypeError, KeyError) as error:
            self.show_error(error)
            return None
        self.show_error(None)
        return spec

    def apply(self) -> None:
        spec = self.checked_spec()
        if spec is not None:
            self.applied.emit(spec)

    def show_error(self, error: Exception | None) -> None:
        where = error_group(error) if error is not None else None
        for key, label in self.errors.items():
            label.setText(str(error) if key == where else "")
            label.setVisible(key == where)
        self.message.setStyleSheet(ERROR_STYLE if error is not None else "")
        self.message.setText(f"Not applied: {error}" if error is not None else "")

    def error_text(self) -> dict[str, str]:
        """The refusal shown, by group (for tests)."""
        return {key: label.text() for key, label in self.errors.items() if label.text()}
