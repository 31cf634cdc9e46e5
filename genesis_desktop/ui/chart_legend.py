"""A chart legend made of ordinary widgets: a swatch (colour and pattern) and a name per series,
flowing onto more lines when the chart is narrow. Outside the plot, it never covers a bar, and
its text takes the palette's colours by itself."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QLayoutItem, QWidget

from .chart_items import swatch
from .plot_theme import SeriesStyle


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new line when the next one does not fit."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, move: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line_height:
                x, y, line_height = rect.x(), y + line_height + 2, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


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
