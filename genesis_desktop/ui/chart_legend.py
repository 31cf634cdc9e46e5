"""A chart legend made of ordinary widgets: a swatch (colour and pattern) and a name per series,
flowing onto more lines when the chart is narrow. Outside the plot, it never covers a bar, and
its text takes the palette's colours by itself."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from .chart_items import swatch
from .flow_layout import FlowLayout
from .plot_theme import SeriesStyle


class ChartLegend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._flow = FlowLayout(self)
        self.entries: list[tuple[str, SeriesStyle]] = []
        self._samples: list[QLabel] = []

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.entries]

    def set_entries(self, entries: list[tuple[str, SeriesStyle]], outline: QColor) -> None:
        """Show `entries`; the same names again (a new theme, new values) only repaint the swatches."""
        if [name for name, _ in entries] != self.names:
            while self._flow.count():
                widget = self._flow.takeAt(0).widget()
                # Hidden at once: deleteLater waits for the event loop, and a screenshot may come first.
                widget.hide()
                widget.deleteLater()
            self._samples = []
            for name, _style in entries:
                self._flow.addWidget(self._entry(name))
        self.entries = list(entries)
        for sample, (_name, style) in zip(self._samples, entries):
            sample.setPixmap(swatch(style, outline, 14, self.devicePixelRatioF()))
        self.setVisible(bool(entries))
        self.updateGeometry()

    def _entry(self, name: str) -> QWidget:
        entry = QWidget(self)
        row = QHBoxLayout(entry)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(5)
        sample = QLabel(entry)
        sample.setAccessibleName(f"{name} swatch")
        self._samples.append(sample)
        text = QLabel(name, entry)
        text.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(sample)
        row.addWidget(text)
        return entry
