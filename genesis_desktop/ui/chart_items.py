"""Pieces of the bar charts: bars with a fill pattern, legend swatches, and the number and label
formatting that keeps a chart readable (short values on the bars, exact ones in the tooltips)."""
from __future__ import annotations

import textwrap

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap

from .plot_theme import SeriesStyle

# Largest unit first; a unit is used when the largest value is at least 10 of it, so the axis
# reads "USD millions" with values like 293.8 rather than "USD billions" with 0.29.
MONEY_UNITS = ((1e12, "trillions"), (1e9, "billions"), (1e6, "millions"), (1e3, "thousands"))


class PatternedBars(pg.BarGraphItem):
    """One series of bars: the series colour, and over it a hatch drawn in screen pixels.

    Patterns are drawn after resetting the painter's transform; drawn in data coordinates they
    would stretch with the axes' scale into a few wide stripes.
    """

    def __init__(self, style: SeriesStyle, outline: QColor) -> None:
        self._edges = np.zeros((0, 4))
        self._hatch = QBrush()
        super().__init__(x0=np.zeros(0), y0=np.zeros(0), width=np.zeros(0), height=np.zeros(0))
        self.set_style(style, outline)

    def set_style(self, style: SeriesStyle, outline: QColor) -> None:
        self.style = style
        self._hatch = QBrush(style.hatch, style.pattern)
        pen = QPen(outline, 1)
        pen.setCosmetic(True)
        self.setOpts(brush=QBrush(style.colour), pen=pen)

    def set_rects(self, left: np.ndarray, bottom: np.ndarray, width: np.ndarray, height: np.ndarray) -> None:
        self._edges = np.column_stack([left, bottom, width, height]).astype("float64")
        self.setOpts(x0=self._edges[:, 0], y0=self._edges[:, 1], width=self._edges[:, 2], height=self._edges[:, 3])

    @property
    def rects(self) -> np.ndarray:
        """(n, 4): left, bottom, width, height of each bar in data coordinates."""
        return self._edges

    def paint(self, p: QPainter, *args) -> None:
        super().paint(p, *args)
        if self.style.pattern == Qt.BrushStyle.NoBrush or not len(self._edges):
            return
        to_device = p.transform()
        p.save()
        p.resetTransform()
        for left, bottom, width, height in self._edges:
            p.fillRect(to_device.mapRect(QRectF(left, bottom, width, height)), self._hatch)
        p.restore()


def swatch(style: SeriesStyle, outline: QColor, size: int = 14, ratio: float = 1.0) -> QPixmap:
    """A legend sample: the series' colour and pattern, so the legend matches the bars."""
    side = max(1, round(size * ratio))
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    rect = QRectF(0.5, 0.5, side - 1, side - 1)
    painter.fillRect(rect, style.colour)
    if style.pattern != Qt.BrushStyle.NoBrush:
        painter.fillRect(rect, QBrush(style.hatch, style.pattern))
    painter.setPen(QPen(outline, 1))
    painter.drawRect(rect)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def money_unit(largest: float) -> tuple[float, str]:
    """(divisor, word) for an axis of amounts whose largest value is `largest` major units."""
    for divisor, word in MONEY_UNITS:
        if abs(largest) >= 10 * divisor:
            return divisor, word
    return 1.0, ""


def short_number(value: float) -> str:
    """A value label that fits above a bar: three significant figures or so, grouped thousands."""
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def wrap_label(text: str, width: int = 18, lines: int = 2) -> str:
    """A category name in at most `lines` lines of about `width` characters; longer names end in
    an ellipsis (the tooltip of each bar has the full name)."""
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return "\n".join(wrapped)
