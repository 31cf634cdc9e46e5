"""The Standings view's charts: each proposal's rank with its 90% interval, and each reviewer's leniency.

Ranks: proposals along x in order of expected rank (1 = best, at the top), a vertical bar from the
5th to the 95th percentile of the rank, the point coloured by the probability of funding (vermillion
0, grey 0.5, blue 1: the Okabe-Ito ends, so colour-blind readers see them apart) and drawn as a
diamond in the grey zone (0.1 <= P <= 0.9), where a shaded band says "discuss". A horizontal line
under the last proposal funded at the mean is the funding line. Leniency: one row per reviewer,
most generous first, a dot at the posterior mean and a bar over its 90% interval (1.645 sd). Items
are made once and handed new arrays; the charts re-theme themselves when the palette changes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QToolTip, QVBoxLayout, QWidget

from .plot_theme import OKABE_ITO, PlotTheme

Z90 = 1.645  # a normal's 90% interval is the mean +- 1.645 sd
ROW_PX = 20  # one reviewer's row in the leniency chart
CROWDED = 60  # proposals in the rank chart beyond which its marks shrink


def funding_colour(p: float, theme: PlotTheme) -> QColor:
    """Vermillion (0) through grey (0.5) to blue (1); the blue is lighter on a dark background."""
    ends = (QColor(OKABE_ITO[3]), QColor("#9aa0a6" if theme.dark else "#8c8c8c"),
            QColor(OKABE_ITO[5] if theme.dark else OKABE_ITO[0]))
    p = min(1.0, max(0.0, float(p))) if p == p else 0.5
    a, b, t = (ends[0], ends[1], p / 0.5) if p <= 0.5 else (ends[1], ends[2], (p - 0.5) / 0.5)
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


class TitledChart(QWidget):
    """A titled pyqtgraph plot that shows a sentence instead when it has nothing to draw."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = PlotTheme.from_palette(self.palette())
        self.title_label = QLabel(title, self, objectName="chartTitle", styleSheet="font-weight: 600;")
        self.note_label = QLabel(self, objectName="chartNote", wordWrap=True,
                                 styleSheet="color: palette(placeholder-text);")
        self.plot = pg.PlotWidget(self)
        self.plot.setAccessibleName(title)
        self.plot.setMinimumHeight(150)
        self.item = self.plot.getPlotItem()
        self.item.setMenuEnabled(False)
        self.item.hideButtons()
        self.view = self.item.getViewBox()
        self.view.setMouseEnabled(False, False)
        self.legend = QLabel(self, objectName="chartKey")  # a picture of the key, where a chart has one
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens
        self.empty_label = QLabel(self, objectName="chartEmpty", wordWrap=True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        for widget, stretch in ((self.title_label, 0), (self.note_label, 0), (self.stack, 1), (self.legend, 0)):
            layout.addWidget(widget, stretch)
        self.plot.scene().sigMouseMoved.connect(self._hover)

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def show_empty(self, message: str) -> None:
        self.empty_label.setText(message)
        self.stack.setCurrentWidget(self.empty_label)
        self.note_label.hide()
        self.legend.hide()

    def show_plot(self, note: str) -> None:
        self.note_label.setText(note)
        self.note_label.show()
        self.legend.setVisible(not self.legend.pixmap().isNull())
        self.stack.setCurrentWidget(self.plot)

    def apply_theme(self, theme: PlotTheme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.background)
        for name in ("left", "bottom", "top"):
            axis = self.item.getAxis(name)
            axis.setPen(theme.axis)
            axis.setTextPen(theme.foreground)
        self.item.showGrid(x=True, y=True, alpha=theme.grid_alpha)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme(PlotTheme.from_palette(self.palette()))
        super().changeEvent(event)

    def tooltip_at(self, x: float, y: float) -> str:
        return ""

    def _hover(self, scene_pos: QPointF) -> None:
        point = self.view.mapSceneToView(scene_pos)
        inside = not self.is_empty and self.view.sceneBoundingRect().contains(scene_pos)
        text = self.tooltip_at(point.x(), point.y()) if inside else ""
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot)
        else:
            QToolTip.hideText()


def chart_pen(colour: QColor, width: float = 1.0, style=Qt.PenStyle.SolidLine) -> QPen:
    return pg.mkPen(colour, width=width, style=style, cosmetic=True)


class RankChart(TitledChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Expected rank with its 90% interval", parent)
        self.codes, self.tips, self.funded_count = [], [], 0
        self.expected = self.probability = self._x = np.zeros(0)
        self.grey = np.zeros(0, dtype=bool)
        self.band = pg.LinearRegionItem((0, 0), movable=False, pen=pg.mkPen(None))
        self.band.setZValue(-10)
        self.band_label = pg.TextItem("grey zone: discuss", anchor=(0.5, 0))
        self.bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), beam=0.25)
        self.points = pg.ScatterPlotItem(size=9)
        self.selected = pg.ScatterPlotItem(size=17, brush=pg.mkBrush(None))
        self.line = pg.InfiniteLine(angle=0, movable=False)
        # At the left end, under the line: there the proposals above the line are the best ranked.
        self.line_label = pg.InfLineLabel(self.line, "", position=0.01, anchors=[(0, 0), (0, 0)])
        for item in (self.band, self.bars, self.points, self.selected, self.line):
            self.item.addItem(item)
        self.item.addItem(self.band_label, ignoreBounds=True)
        self.view.invertY(True)
        self.item.setLabel("bottom", "Proposals, in order of expected rank")
        self.item.setLabel("left", "Rank (1 = best)")
        self.apply_theme(self.theme)

    def show_ranks(self, codes, titles, expected, low, high, probability, grey, funded_count: int,
                   note: str = "") -> None:
        """One point per proposal, given in order of expected rank."""
        self.codes = list(codes)
        self.expected = np.asarray(expected, dtype=float)
        low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
        self.probability = np.asarray(probability, dtype=float)
        self.grey = np.asarray(grey, dtype=bool)
        self.funded_count = int(funded_count)
        n = len(self.codes)
        x = np.arange(1, n + 1, dtype=float)
        self.tips = [f"{c}: {t}\nExpected rank {e:.1f} (90%: {lo:.0f} to {hi:.0f})\nP(funded) {p:.0%}"
                     + ("\nGrey zone: discuss" if g else "")
                     for c, t, e, lo, hi, p, g in zip(codes, titles, self.expected, low, high, self.probability,
                                                      self.grey)]
        self.bars.setData(x=x, y=self.expected, top=high - self.expected, bottom=self.expected - low,
                          beam=0.25 if n <= CROWDED else 0)
        self._x = x
        self.show_plot(note)
        where = x[self.grey] if self.grey.any() else np.zeros(1)
        self.band.setRegion((where.min() - 0.5, where.max() + 0.5))
        self.band_label.setPos((where.min() + where.max()) / 2, 0.5)
        for item in (self.band, self.band_label):
            item.setVisible(bool(self.grey.any()))
        self.line.setPos(self.funded_count + 0.5)
        self.line_label.setFormat(f"funding line: {self.funded_count} funded at the mean")
        self.line.setVisible(n > 0)
        top = float(np.nanmax(high)) if n else 1.0
        self.view.setRange(xRange=(0.5, n + 0.5), yRange=(0.5, max(top, n) + 0.5), padding=0.02)
        self._colour_points()
        self.plot.setAccessibleDescription(f"{n} proposals; {int(self.grey.sum())} in the grey zone; "
                                           f"{self.funded_count} funded at the mean")

    def select(self, code: str | None) -> None:
        """Ring the point of `code` (the proposal selected in the table)."""
        j = self.codes.index(code) if code in self.codes else None
        self.selected.setData(*(([self._x[j]], [self.expected[j]]) if j is not None else ([], [])))

    def _colour_points(self) -> None:
        small = len(self.codes) > CROWDED  # many proposals: smaller marks without outline, fainter bars
        bars = QColor(self.theme.axis)
        bars.setAlphaF(0.3 if small else 0.65)
        self.bars.setData(pen=chart_pen(bars, 1 if small else 1.2))
        if not self.codes:
            self.points.setData([], [])
            return
        outline = pg.mkPen(None) if small else chart_pen(self.theme.foreground, 1)
        brushes = [pg.mkBrush(funding_colour(p, self.theme)) for p in self.probability]
        symbols = ["d" if g else "o" for g in self.grey]
        sizes = [(8 if small else 12) if g else (5 if small else 9) for g in self.grey]
        self.points.setData(self._x, self.expected, brush=brushes, symbol=symbols, size=sizes, pen=outline)

    def apply_theme(self, theme: PlotTheme) -> None:
        super().apply_theme(theme)
        shade = QColor(theme.foreground)
        shade.setAlphaF(0.10 if theme.dark else 0.07)
        self.band.setBrush(pg.mkBrush(shade))
        self.band_label.setColor(theme.foreground)
        self.selected.setPen(chart_pen(theme.foreground, 2))
        line = QColor(OKABE_ITO[2])
        self.line.setPen(chart_pen(line, 2, Qt.PenStyle.DashLine))
        self.line_label.setColor(theme.foreground)
        backing = QColor(theme.background)
        backing.setAlphaF(0.85)  # the label stays readable where a rank's bar passes behind it
        self.line_label.fill = pg.mkBrush(backing)
        self.line_label.update()
        self.legend.setPixmap(_legend(theme, self.font(), self.devicePixelRatioF()))
        self._colour_points()

    def tooltip_at(self, x: float, y: float) -> str:
        j = int(round(x)) - 1
        return self.tips[j] if 0 <= j < len(self.tips) else ""


def key_canvas(width: float, font: QFont, ratio: float) -> tuple[QPixmap, QPainter, float]:
    """A transparent one-line strip for a chart's key, `width` logical pixels wide, with an antialiased
    painter on it in `font`, and the strip's height; the caller draws, ends the painter, keeps the pixmap."""
    h = QFontMetrics(font).height() + 6
    pixmap = QPixmap(round(width * ratio), round(h * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setFont(font)
    return pixmap, p, h


def _legend(theme: PlotTheme, font: QFont, ratio: float) -> QPixmap:
    """The key under the rank chart: the colour scale of P(funded), the grey zone's diamond, the line."""
    metrics, bar = QFontMetrics(font), 100
    steps = ("P(funded)  0%", "scale", "100%", "diamond", "grey zone", "line", "funding line")
    pixmap, p, h = key_canvas(sum(map(metrics.horizontalAdvance, steps)) + bar + 60, font, ratio)
    x, mid = 0.0, h / 2
    for step in steps:
        if step == "scale":
            for i in range(bar):
                p.setPen(funding_colour(i / (bar - 1), theme))
                p.drawLine(QPointF(x + i, mid - 5), QPointF(x + i, mid + 5))
            x += bar + 6
        elif step == "diamond":
            p.setPen(chart_pen(theme.foreground))
            p.setBrush(funding_colour(0.5, theme))
            x += 14
            p.drawPolygon(QPolygonF([QPointF(x + 6, mid - 6), QPointF(x + 12, mid), QPointF(x + 6, mid + 6),
                                     QPointF(x, mid)]))
            x += 18
        elif step == "line":
            p.setPen(chart_pen(QColor(OKABE_ITO[2]), 2, Qt.PenStyle.DashLine))
            x += 14
            p.drawLine(QPointF(x, mid), QPointF(x + 28, mid))
            x += 34
        else:
            p.setPen(theme.foreground)
            p.drawText(QPointF(x, mid + metrics.ascent() / 2 - 1), step)
            x += metrics.horizontalAdvance(step) + 6
    p.end()
    return pixmap


class LeniencyChart(TitledChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reviewer leniency with its 90% interval", parent)
        self.names, self.tips = [], []
        self.leniency = np.zeros(0)
        self.bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), beam=0.3)
        self.points = pg.ScatterPlotItem(size=8)
        self.zero = pg.InfiniteLine(pos=0, angle=90, movable=False)
        for item in (self.zero, self.bars, self.points):
            self.item.addItem(item)
        self.names_axis = self.item.getAxis("left")
        self.names_axis.setStyle(tickLength=0, autoExpandTextSpace=False)
        # The scale above and below: the chart is taller than its scroll area.
        self.item.showAxis("top")
        self.item.getAxis("top").setStyle(showValues=True)
        self.item.setLabel("top", "Leniency, rubric points (+ = more generous than the panel)")
        self.view.invertY(True)
        self.apply_theme(self.theme)

    def show_leniency(self, names, emails, leniency, sd, reviews, note: str = "") -> None:
        """One row per reviewer, in the order given (the caller sorts, most generous first)."""
        self.names = list(names)
        self.leniency = np.asarray(leniency, dtype=float)
        sd = np.asarray(sd, dtype=float)
        n = len(self.names)
        y = np.arange(n, dtype=float)
        self.tips = [f"{name} <{email}>\nLeniency {v:+.2f} (90%: {v - Z90 * s:+.2f} to {v + Z90 * s:+.2f})\n"
                     f"{r} review(s)" for name, email, v, s, r in zip(names, emails, self.leniency, sd, reviews)]
        self.bars.setData(x=self.leniency, y=y, left=Z90 * sd, right=Z90 * sd)
        self.points.setData(self.leniency, y)
        self.names_axis.setTicks([[(float(i), name) for i, name in enumerate(self.names)], []])
        metrics = QFontMetrics(self.font())
        self.names_axis.setStyle(tickTextWidth=max((metrics.horizontalAdvance(t) for t in self.names), default=0) + 6)
        reach = float(np.nanmax(np.abs(self.leniency) + Z90 * sd)) if n else 1.0
        self.view.setRange(xRange=(-reach * 1.05, reach * 1.05), yRange=(-0.7, n - 0.3), padding=0)
        self.show_plot(note)
        self.setMinimumHeight(ROW_PX * n + 110)
        self.plot.setAccessibleDescription("; ".join(f"{a} {v:+.2f}" for a, v in zip(self.names, self.leniency)))

    def apply_theme(self, theme: PlotTheme) -> None:
        super().apply_theme(theme)
        self.item.showGrid(x=True, y=False, alpha=theme.grid_alpha)
        colour = QColor(OKABE_ITO[5] if theme.dark else OKABE_ITO[0])  # sky blue reads better on dark
        self.bars.setData(pen=chart_pen(colour, 1.5))
        self.points.setBrush(pg.mkBrush(colour))
        self.points.setPen(chart_pen(theme.foreground, 1))
        self.zero.setPen(chart_pen(theme.axis, 1, Qt.PenStyle.DashLine))

    def tooltip_at(self, x: float, y: float) -> str:
        j = int(round(y))
        return self.tips[j] if 0 <= j < len(self.tips) else ""
