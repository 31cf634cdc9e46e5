"""The bar above a live plot: smoothing, x axis, pause, log scale, follow and export.

The bar only holds the controls and asks where to export; the plot connects them to itself. In a
panel of plots the first three (set once for all plots) are hidden.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QMessageBox,
                               QPushButton, QSlider, QToolButton, QWidget)

from .telemetry_series import RELATIVE, STEP, WALL, X_MODES

X_TITLES = {STEP: "step (blocks done)", RELATIVE: "seconds since start", WALL: "time (UTC)"}


def set_quietly(widget: QWidget, setter: Callable, value) -> None:
    """Show a setting made in code on its control, without the control calling back."""
    blocked = widget.blockSignals(True)
    setter(value)
    widget.blockSignals(blocked)


class PlotControlBar(QWidget):
    def __init__(self, export_csv: Callable[[str], object], export_image: Callable[[str], None],
                 title: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._export_csv, self._export_image, self._title = export_csv, export_image, title
        self.smoothing_label = QLabel("&Smoothing", self)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.smoothing_slider.setRange(0, 999)
        self.smoothing_slider.setAccessibleName("Smoothing")
        self.smoothing_slider.setToolTip("Smoothing: debiased exponential moving average; the raw line stays faint")
        self.smoothing_label.setBuddy(self.smoothing_slider)
        self.x_box = QComboBox(self)
        self.x_box.setAccessibleName("X axis")
        for mode in X_MODES:
            self.x_box.addItem(X_TITLES[mode], mode)
        self.pause_button = QPushButton("&Pause", self, checkable=True)
        self.pause_button.setToolTip("Stop the live update; the data keeps arriving and shows on resume")
        self.log_box = QCheckBox("&Log", self)
        self.log_box.setToolTip("Logarithmic y axis")
        self.follow_button = QPushButton("&Follow", self, checkable=True, checked=True)
        self.follow_button.setToolTip("Keep the newest data in view (off once you pan or zoom)")
        self.export_button = QToolButton(self, text="Export", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setAccessibleName("Export this plot")
        self.export_button.setToolTip("Export the visible data as CSV, or the plot as PNG or SVG")
        menu = QMenu(self.export_button)
        menu.addAction("Visible data as &CSV…", lambda: self.ask_export("CSV files (*.csv)", ".csv"))
        menu.addAction("Plot as &PNG…", lambda: self.ask_export("PNG images (*.png)", ".png"))
        menu.addAction("Plot as &SVG…", lambda: self.ask_export("SVG drawings (*.svg)", ".svg"))
        self.export_button.setMenu(menu)
        self.shared = (self.smoothing_label, self.smoothing_slider, self.x_box, self.pause_button)
        layout = self._layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (*self.shared, self.log_box, self.follow_button, self.export_button):
            layout.addWidget(w)

    def hide_shared(self) -> None:
        for w in self.shared:
            w.hide()
        self._layout.insertStretch(0, 1)

    def ask_export(self, file_filter: str, suffix: str) -> None:
        name = "".join(c if c.isalnum() else "-" for c in self._title() or "plot").strip("-").lower() or "plot"
        path, _ = QFileDialog.getSaveFileName(self, "Export", name + suffix, file_filter)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            self._export_csv(path) if suffix == ".csv" else self._export_image(path)
        except (OSError, ValueError) as err:
            QMessageBox.warning(self, "Export", f"Could not write {path}: {err}")
