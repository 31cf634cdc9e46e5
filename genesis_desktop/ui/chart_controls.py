"""The reporting-currency chooser shared by the Overview and the Investments view."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QWidget


class CurrencyCombo(QComboBox):
    """Lists the currencies a portfolio can be reported in; `chosen(code)` is called only when a
    person picks another one, never when the list is refilled after a load."""

    def __init__(self, chosen: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="reportingCurrency")
        self.setAccessibleName("Reporting currency")
        self.setToolTip("The currency amounts are converted to, at the dated rates named below")
        self.currentTextChanged.connect(lambda code: code and chosen(code))

    def set_currencies(self, currencies: Sequence[str], current: str) -> None:
        with QSignalBlocker(self):
            self.clear()
            self.addItems(list(currencies))
            self.setCurrentText(current)
