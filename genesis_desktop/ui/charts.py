"""A grouped bar chart for the overview and the investments view, drawn with pyqtgraph.

Categories along one axis (vertical bars, or horizontal ones when names are long), one bar per
series in each category, a short value on each bar when it fits, the exact figures in a tooltip,
a legend of colour and pattern, and a plain message instead of an empty plot. The plot items are
made once and updated in place; the chart re-themes itself when the palette changes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QCursor, QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QToolTip, QVBoxLayout, QWidget

from .chart_data import BarSeries, ChartData
from .chart_items import PatternedBars, wrap_label
from .chart_legend import ChartLegend
from .plot_theme import PlotTheme

GROUP_WIDTH = 0.8  # of one category's slot; the rest is the gap between categories
BAR_FILL = 0.9  # of one bar's share of the group; the rest separates bars in a group


class BarChart(QWidget):
    def __init__(self, title: str, horizontal: bool = False, label_width: int = 20,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self.label_width = label_width  # characters per line of a category name
        self.categories: list[str] = []
        self.series: list[BarSeries] = []
        self._centres = np.zeros(0)
        self._label_lines = 0
        self.bars: list[PatternedBars] = []
        self._value_labels: list[pg.TextItem] = []
        self.theme = PlotTheme.from_palette(self.palette())

        self.title_label = QLabel(title, self, objectName="chartTitle")
        self.title_label.setWordWrap(True)
        bold = self.title_label.font()
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.note_label = QLabel(self, objectName="chartNote")
        self.note_label.setWordWrap(True)
        # Secondary text: the palette's muted colour, so it follows light and dark by itself.
        self.note_label.setStyleSheet("color: palette(placeholder-text);")
        self.note_label.hide()
        self.plot = pg.PlotWidget(self)
        self.plot.setAccessibleName(title)
        self.plot.setMinimumHeight(160)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        self.view = item.getViewBox()
        self.view.setMouseEnabled(False, False)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        item.showGrid(x=horizontal, y=not horizontal, alpha=self.theme.grid_alpha)
        self.category_axis = item.getAxis("left" if horizontal else "bottom")
        # No tick marks between the bars; the names say which category is which.
        self.category_axis.setStyle(tickLength=0, autoExpandTextSpace=False)
        self.value_axis = item.getAxis("bottom" if horizontal else "left")
        self.empty_label = QLabel(self, objectName="chartEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty_label)
        self.legend = ChartLegend(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.title_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.legend)

        self.view.sigResized.connect(self._fit)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.apply_theme(self.theme)

    # Data -------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def bars_named(self, name: str) -> PatternedBars:
        return self.bars[[s.name for s in self.series].index(name)]

    def heights(self, name: str) -> np.ndarray:
        """The drawn length of each bar of a series, read back from its plot item."""
        rects = self.bars_named(name).rects
        return rects[:, 2] if self.horizontal else rects[:, 3]

    def display(self, data: ChartData) -> None:
        if data.title:
            self.title_label.setText(data.title)
            self.plot.setAccessibleName(data.title)
        self.set_note(data.note)
        if data.empty:
            self.show_empty(data.empty)
        else:
            self.set_bars(data.categories, data.series, data.value_label, data.category_label)

    def set_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def show_empty(self, message: str) -> None:
        self.categories, self.series = [], []
        self.empty_label.setText(message)
        self.stack.setCurrentWidget(self.empty_label)
        self.legend.set_entries([], self.theme.axis)

    def set_bars(self, categories: Sequence[str], series: Sequence[BarSeries], value_label: str,
                 category_label: str = "") -> None:
        """Draw `series` over `categories`; reuses the bar items and value labels already made."""
        self.categories, self.series = list(categories), list(series)
        self.stack.setCurrentWidget(self.plot)
        item = self.plot.getPlotItem()
        while len(self.bars) < len(series):
            bars = PatternedBars(self.theme.style(len(self.bars)), self.theme.axis)
            item.addItem(bars)
            self.bars.append(bars)
        for extra in self.bars[len(series):]:
            extra.set_rects(*(np.zeros(0),) * 4)
        n, k = len(categories), max(1, len(series))
        slot = GROUP_WIDTH / k
        # Horizontal charts list the first category (and the first series of each) at the top.
        centres = (n - 1 - np.arange(n)) if self.horizontal else np.arange(n, dtype="float64")
        for i, (bars, s) in enumerate(zip(self.bars, series)):
            offset = -GROUP_WIDTH / 2 + (i + 0.5) * slot
            middle = centres - offset if self.horizontal else centres + offset
            values = np.asarray(s.values, dtype="float64")
            thickness = np.full(n, slot * BAR_FILL)
            zero = np.zeros(n)
            if self.horizontal:
                bars.set_rects(zero, middle - thickness / 2, values, thickness)
            else:
                bars.set_rects(middle - thickness / 2, zero, thickness, values)
        self._centres = centres
        self._label_lines = 0  # names are (re)written by _fit, on as many lines as there is room for
        self.category_axis.setLabel(category_label)
        self.value_axis.setLabel(value_label)
        self._place_value_labels()
        self.legend.set_entries([(s.name, self.theme.style(i)) for i, s in enumerate(series)], self.theme.axis)
        self.plot.setAccessibleDescription(self.describe())
        self._fit()

    def _write_category_names(self, lines: int) -> None:
        """Names on `lines` lines each: two where the categories are tall enough, else one longer
        line, so that neighbouring names never run into each other."""
        if lines == self._label_lines:
            return
        self._label_lines = lines
        width = self.label_width if lines > 1 else round(self.label_width * 1.4)
        ticks = [(float(c), wrap_label(name, width, lines)) for c, name in zip(self._centres, self.categories)]
        self.category_axis.setTicks([ticks, []])
        self._reserve_category_space([text for _, text in ticks])

    def _reserve_category_space(self, names: list[str]) -> None:
        """Room for the longest (wrapped) category name. pyqtgraph would widen the axis by itself,
        but only after a first paint that leaves the names out: a screenshot would miss them."""
        metrics = QFontMetrics(self.category_axis.style["tickFont"] or self.font())
        boxes = [metrics.boundingRect(0, 0, 10_000, 10_000, Qt.AlignmentFlag.AlignLeft, name) for name in names]
        if self.horizontal:
            self.category_axis.setStyle(tickTextWidth=max((b.width() for b in boxes), default=0) + 4)
        else:
            self.category_axis.setStyle(tickTextHeight=max((b.height() for b in boxes), default=0))

    def describe(self) -> str:
        """The chart as text, for screen readers: each category with each series' value."""
        parts = []
        for j, category in enumerate(self.categories):
            values = ", ".join(f"{s.name} {s.label(j)}" for s in self.series)
            parts.append(f"{category}: {values}")
        return "; ".join(parts)

    def tooltip_at(self, x: float, y: float) -> str:
        """The tooltip of the bar at (x, y) in data coordinates, or '' where there is none."""
        for bars, s in zip(self.bars, self.series):
            r = bars.rects
            inside = (r[:, 0] <= x) & (x <= r[:, 0] + r[:, 2]) & (r[:, 1] <= y) & (y <= r[:, 1] + r[:, 3])
            hits = np.flatnonzero(inside)
            if hits.size:
                j = int(hits[0])
                return s.tooltips[j] if j < len(s.tooltips) else f"{self.categories[j]}\n{s.name}: {s.values[j]}"
        return ""

    # Value labels and ranges --------------------------------------------------------------------

    def _place_value_labels(self) -> None:
        texts = [(s.label(j), rect) for bars, s in zip(self.bars, self.series) for j, rect in enumerate(bars.rects)]
        anchor = (0, 0.5) if self.horizontal else (0.5, 1)
        while len(self._value_labels) < len(texts):
            label = pg.TextItem(anchor=anchor, color=self.theme.foreground)
            label.setFont(self._value_font())
            self.plot.getPlotItem().addItem(label, ignoreBounds=True)
            self._value_labels.append(label)
        for label, (text, (left, bottom, width, height)) in zip(self._value_labels, texts):
            label.setText(text)
            label.setPos(QPointF(left + width, bottom + height / 2) if self.horizontal
                         else QPointF(left + width / 2, bottom + height))
        for label in self._value_labels[len(texts):]:
            label.setText("")

    def _fit(self) -> None:
        """Fix the view to the data, leaving room for the value labels past the longest bar; show
        the labels only when each fits beside its neighbours."""
        if not self.series:
            return
        n = len(self.categories)
        largest = max((float(np.max(s.values)) for s in self.series if len(s.values)), default=0.0) or 1.0
        metrics = QFontMetrics(self._value_font())
        texts = [s.label(j) for s in self.series for j in range(len(s.values))]
        label_px = max((metrics.horizontalAdvance(t) for t in texts), default=0) if self.horizontal \
            else metrics.height()
        size = self.view.size()
        per_category_px = (size.height() if self.horizontal else size.width()) / max(1, n)
        two_lines = 2 * QFontMetrics(self.font()).lineSpacing() + 4
        self._write_category_names(2 if not self.horizontal or per_category_px >= two_lines else 1)
        span_px = max(1.0, size.width() if self.horizontal else size.height())
        room = min(0.5, (label_px + 8) / span_px)
        values_range, category_range = (0, largest / (1 - room)), (-0.5, n - 0.5)
        if self.horizontal:
            self.view.setRange(xRange=values_range, yRange=category_range, padding=0)
        else:
            self.view.setRange(xRange=category_range, yRange=values_range, padding=0)
        slot_px = (size.height() if self.horizontal else size.width()) / max(1, n) * GROUP_WIDTH / len(self.series)
        need = metrics.height() if self.horizontal else max(metrics.horizontalAdvance(t) for t in texts) + 2
        fits = slot_px >= need
        for label in self._value_labels:
            label.setVisible(fits)

    def _value_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() - 1))
        return font

    # Theme and tooltips -----------------------------------------------------------------------

    def apply_theme(self, theme: PlotTheme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.background)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(theme.axis)
            axis.setTextPen(theme.foreground)
        item.showGrid(x=self.horizontal, y=not self.horizontal, alpha=theme.grid_alpha)
        for i, bars in enumerate(self.bars):
            bars.set_style(theme.style(i), theme.axis)
        for label in self._value_labels:
            label.setColor(theme.foreground)
        self.legend.set_entries([(s.name, theme.style(i)) for i, s in enumerate(self.series)], theme.axis)

    def changeEvent(self, event: QEvent) -> None:
        # apply_theme(app, "dark") sets a new application palette; each widget hears of it here.
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme(PlotTheme.from_palette(self.palette()))
        super().changeEvent(event)

    def _hover(self, scene_pos: QPointF) -> None:
        point = self.view.mapSceneToView(scene_pos)
        text = ""
        if self.view.sceneBoundingRect().contains(scene_pos):
            text = self.tooltip_at(point.x(), point.y())
        elif self.category_axis.sceneBoundingRect().contains(scene_pos) and self.categories:
            # Over a (possibly shortened) category name: the full name.
            centre = point.y() if self.horizontal else point.x()
            j = int(round(len(self.categories) - 1 - centre)) if self.horizontal else int(round(centre))
            text = self.categories[j] if 0 <= j < len(self.categories) else ""
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot)
        else:
            QToolTip.hideText()
