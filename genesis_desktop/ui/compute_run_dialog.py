"""The form that starts a run: kernel, its parameters, backend, seed and workers.

Each kernel shows the parameters a person would set; the risk kernel takes its portfolio inputs
(proposals, budgets, partners, exchange rates) from the open portfolio when the run is submitted,
so only its size and precision are asked here. The kernel itself validates the values on submit
and its message is shown as the run's failure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QSpinBox,
                               QStackedWidget, QWidget)

from genesis_desktop.compute.kernels import kernel_problems


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    default: Any
    minimum: float = 0
    maximum: float = 2**31 - 1
    choices: tuple[str, ...] = ()
    step: float = 1


KERNEL_FIELDS: dict[str, tuple[Field, ...]] = {
    "risk": (
        Field("scenarios", "S&cenarios", 200_000, 1_000, 100_000_000, step=100_000),
        Field("precision", "&Precision", "float32", choices=("float32", "float64")),
    ),
    "pi": (
        Field("blocks", "B&locks", 16, 1, 100_000),
        Field("samples_per_block", "Samples per bloc&k", 100_000, 1, 5_000_000, step=10_000),
        Field("sleep_s", "Pause per block (&s)", 0.0, 0.0, 600.0, step=0.1),
    ),
}
KERNEL_TITLES = {"risk": "Portfolio risk (Monte Carlo, the open portfolio)", "pi": "π by sampling (a test kernel)"}


def _editor(field: Field) -> QWidget:
    if field.choices:
        box = QComboBox(accessibleName=field.label.replace("&", ""))
        box.addItems(field.choices)
        box.setCurrentText(field.default)
        return box
    if isinstance(field.default, float):
        box = QDoubleSpinBox(minimum=field.minimum, maximum=field.maximum, value=field.default,
                             singleStep=field.step, decimals=2)
    else:
        box = QSpinBox(minimum=int(field.minimum), maximum=int(field.maximum), value=field.default,
                       singleStep=int(field.step))
        box.setGroupSeparatorShown(True)
    box.setAccessibleName(field.label.replace("&", ""))
    return box


def _value(editor: QWidget) -> Any:
    return editor.currentText() if isinstance(editor, QComboBox) else editor.value()


class RunJobDialog(QDialog):
    def __init__(self, backends: list[str], parent: QWidget | None = None, kernel: str = "risk") -> None:
        super().__init__(parent)
        self.setWindowTitle("Start a run")
        problems = kernel_problems()
        self.kernel = QComboBox(accessibleName="Kernel")
        self.pages = QStackedWidget()
        self.editors: dict[str, dict[str, QWidget]] = {}
        for name, fields in KERNEL_FIELDS.items():
            self.kernel.addItem(KERNEL_TITLES.get(name, name), name)
            if problems.get(name):  # a kernel that cannot load here is listed, greyed, with the reason
                item = self.kernel.model().item(self.kernel.count() - 1)
                item.setEnabled(False)
                item.setToolTip(problems[name])
            page = QWidget()
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            self.editors[name] = {}
            for f in fields:
                self.editors[name][f.key] = editor = _editor(f)
                form.addRow(f.label, editor)
            self.pages.addWidget(page)
        self.kernel.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.kernel.setCurrentIndex(self.kernel.findData(kernel))
        self.backend = QComboBox(accessibleName="Backend")
        self.backend.addItems(backends)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=1, accessibleName="Seed")
        self.workers = QSpinBox(minimum=1, maximum=512, value=2, accessibleName="Workers")
        form = QFormLayout(self)
        form.addRow("&Kernel", self.kernel)
        form.addRow(self.pages)
        form.addRow("&Backend", self.backend)
        form.addRow("S&eed", self.seed)
        form.addRow("&Workers (never changes the result)", self.workers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen_kernel(self) -> str:
        return self.kernel.currentData()

    def params(self) -> dict[str, Any]:
        return {key: _value(editor) for key, editor in self.editors[self.chosen_kernel()].items()}
