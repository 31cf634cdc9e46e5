"""The Portfolio view's scenario bar: the call, its scenarios, and New…, Save as… and Delete.

It asks the questions (a name, a confirmation) and says what was asked for by signal; the page does
the writing. Filling the lists never re-emits a choice, so a reload cannot loop.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPushButton, QWidget


def _combo(name: str, parent: QWidget) -> QComboBox:
    combo = QComboBox(parent, objectName=name.lower().replace(" ", ""), accessibleName=name)
    # Long names are cut short rather than widen the window (the list shows them whole).
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class ScenarioBar(QWidget):
    chosen = Signal(str, object)  # call, scenario name (None: the call's first)
    new_requested = Signal(str)  # the new scenario's name
    save_as_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count = 0  # scenarios of the call, for the suggested name of a new one
        self.call_combo = _combo("Portfolio call", self)
        self.scenario_combo = _combo("Portfolio scenario", self)
        self.call_combo.currentIndexChanged.connect(lambda i: self.chosen.emit(self.call_combo.itemData(i), None))
        self.scenario_combo.currentIndexChanged.connect(
            lambda i: self.chosen.emit(self.call, self.scenario_combo.itemData(i)))
        self.new_button = QPushButton("&New…", self, objectName="portfolio_new",
                                      toolTip="A new scenario of the call, from its default constraints")
        self.save_as_button = QPushButton("Save &as…", self, objectName="portfolio_save_as",
                                          toolTip="Save the constraints shown under another name")
        self.delete_button = QPushButton("&Delete", self, objectName="portfolio_delete",
                                         toolTip="Delete the scenario shown")
        self.new_button.clicked.connect(self.ask_new)
        self.save_as_button.clicked.connect(self.ask_save_as)
        self.delete_button.clicked.connect(self.ask_delete)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Portfolio", self, objectName="pageTitle"))
        layout.addSpacing(12)
        for text, combo in (("&Call:", self.call_combo), ("Sce&nario:", self.scenario_combo)):
            label = QLabel(text, self)
            label.setBuddy(combo)
            layout.addWidget(label)
            layout.addWidget(combo, 2)
        for button in (self.new_button, self.save_as_button, self.delete_button):
            layout.addWidget(button)

    @property
    def call(self) -> str | None:
        return self.call_combo.currentData()

    @property
    def scenario(self) -> str | None:
        return self.scenario_combo.currentData()

    def set_choices(self, calls: list[tuple[str, str]], call: str, scenarios: list[tuple[str, str]], name: str,
                    saved: bool) -> None:
        """calls and scenarios as (key, label); `saved`: whether the scenario shown is in the database."""
        for combo, items, current in ((self.call_combo, calls, call), (self.scenario_combo, scenarios, name)):
            with QSignalBlocker(combo):
                combo.clear()
                for key, label in items:
                    combo.addItem(label, key)
                combo.setCurrentIndex(combo.findData(current))
        self.delete_button.setEnabled(saved)
        self.new_button.setEnabled(bool(call))
        self.save_as_button.setEnabled(bool(call))
        self._count = len(scenarios)

    def _ask_name(self, title: str, suggestion: str) -> str | None:
        name, ok = QInputDialog.getText(self, title, "Name of the scenario:", text=suggestion)
        return name.strip() if ok and name.strip() else None

    def ask_new(self) -> None:
        name = self._ask_name("New scenario", f"{self.call} scenario {self._count + 1}")
        if name:
            self.new_requested.emit(name)

    def ask_save_as(self) -> None:
        name = self._ask_name("Save scenario as", f"{self.scenario} (copy)")
        if name:
            self.save_as_requested.emit(name)

    def ask_delete(self) -> None:
        name = self.scenario
        answer = QMessageBox.question(self, "Delete scenario", f"Delete the scenario “{name}” and its result?")
        if name and answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(name)
