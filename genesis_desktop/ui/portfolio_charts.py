"""The Portfolio view's charts: money per fiscal year against the budget, and merit against the funding line.

Spend: one bar per fiscal year, the money already committed (awarded decisions, continuation
reserves of awarded Phase I work) at the bottom, hatched, and the chosen proposals' money stacked on
it; the year's budget is a dashed line across its bar, so a year over budget shows its bar through
the line. Merit: every competing proposal by merit, best first (rank 1 on the left), the chosen ones
in blue discs, the others as hollow vermillion rings, forced ones as triangles; the funding line is
the marginal merit, the lowest merit chosen. Both take the Standings charts' frame (a title, a note,
a sentence in place of an empty plot, re-theming on palette change).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPixmap
from PySide6.QtWidgets import QWidget

from .chart_items import PatternedBars, money_unit, short_number, swatch
from .plot_theme import OKABE_ITO, PlotTheme, SeriesStyle
from .review_charts import TitledChart, chart_pen, key_canvas

BAR_WIDTH = 0.6
CROWDED = 80  # proposals in the merit chart beyond which its marks shrink


def _key(entries: list[tuple[str, object]], theme: PlotTheme, font: QFont, ratio: float) -> QPixmap:
    """A one-line key: (text, SeriesStyle) draws a swatch, (text, QColor) a dashed line, (text, (symbol,
    QColor, filled)) a mark."""
    metrics = QFontMetrics(font)
    pixmap, p, h = key_canvas(sum(metrics.horizontalAdvance(text) + 46 for text, _ in entries), font, ratio)
    x, mid = 0.0, h / 2
    for text, look in entries:
        if isinstance(look, SeriesStyle):
            p.drawPixmap(QPointF(x, mid - 7), swatch(look, theme.axis, 14, ratio))
            x += 20
        elif isinstance(look, QColor):
            p.setPen(chart_pen(look, 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, mid), QPointF(x + 26, mid))
            x += 32
        else:
            symbol, colour, filled = look
            p.setPen(chart_pen(colour, 1.5))
            p.setBrush(colour if filled else Qt.BrushStyle.NoBrush)
            if symbol == "t":
                p.drawPolygon([QPointF(x + 6, mid - 6), QPointF(x + 12, mid + 5), QPointF(x, mid + 5)])
            else:
                p.drawEllipse(QRectF(x + 1, mid - 5, 10, 10))
            x += 18
        p.setPen(theme.foreground)
        p.drawText(QPointF(x, mid + metrics.ascent() / 2 - 1), text)
        x += metrics.horizontalAdvance(text) + 14
    p.end()
    return pixmap


class SpendChart(TitledChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Money per fiscal year against the budget", parent)
        self.years: list[int] = []
        self.budget = self.committed = self.chosen = np.zeros(0)
        self.currency, self.tips = "", []
        self.committed_bars = PatternedBars(self.theme.style(1), self.theme.axis)
        self.chosen_bars = PatternedBars(self.theme.style(0), self.theme.axis)
        self.budget_line = pg.PlotDataItem(connect="pairs")
        self.labels: list[pg.TextItem] = []
        for item in (self.committed_bars, self.chosen_bars, self.budget_line):
            self.item.addItem(item)
        self.apply_theme(self.theme)

    def show_spend(self, years, budget, committed, spend, currency: str, note: str = "") -> None:
        """`spend` is the chosen proposals' money plus the committed money, as the result gives it."""
        self.years = [int(y) for y in years]
        self.budget = np.asarray(budget, dtype=float)
        self.committed = np.asarray(committed, dtype=float)
        self.chosen = np.maximum(np.asarray(spend, dtype=float) - self.committed, 0.0)
        self.currency = currency
        n = len(self.years)
        if not n:
            return self.show_empty("The scenario has no fiscal years to spend in.")
        total = self.committed + self.chosen
        # A year the scenario does not limit has no budget (NaN): no line, no share above its bar.
        top = float(np.nanmax(np.r_[total, self.budget, 1.0]))
        divisor, word = money_unit(top)
        x = np.arange(n, dtype=float)
        left, width = x - BAR_WIDTH / 2, np.full(n, BAR_WIDTH)
        self.committed_bars.set_rects(left, np.zeros(n), width, self.committed / divisor)
        self.chosen_bars.set_rects(left, self.committed / divisor, width, self.chosen / divisor)
        edges = np.column_stack([x - 0.45, x + 0.45]).ravel()
        self.budget_line.setData(edges, np.repeat(self.budget / divisor, 2))
        self.item.getAxis("bottom").setTicks([[(float(i), f"FY{y}") for i, y in enumerate(self.years)], []])
        self.item.setLabel("left", f"{currency} {word}".strip())
        for label in self.labels:
            self.item.removeItem(label)
        self.labels = []
        for i in range(n):  # the share of the budget used, above each bar: the figure an officer asks for
            used = total[i] / self.budget[i] if self.budget[i] > 0 else float("nan")
            label = pg.TextItem("" if used != used else f"{used:.0%}", color=self.theme.foreground, anchor=(0.5, 1))
            label.setPos(x[i], np.nanmax([total[i], self.budget[i]]) / divisor)
            self.item.addItem(label)
            self.labels.append(label)
        self.tips = [f"FY{y}: " + ("no budget limit" if b != b else f"budget {b:,.0f} {currency}")
                     + f"\ncommitted {c:,.0f}\nchosen {s:,.0f}"
                     + ("" if b != b else f"\n{'headroom' if b >= c + s else 'over by'} {abs(b - c - s):,.0f}")
                     for y, b, c, s in zip(self.years, self.budget, self.committed, self.chosen)]
        self.view.setRange(xRange=(-0.6, n - 0.4), yRange=(0, top / divisor * 1.15), padding=0)
        self.show_plot(note)
        self.plot.setAccessibleDescription("; ".join(
            f"FY{y} {short_number((c + s) / divisor)}" + ("" if b != b else f" of {short_number(b / divisor)}")
            for y, b, c, s in zip(self.years, self.budget, self.committed, self.chosen)))

    def apply_theme(self, theme: PlotTheme) -> None:
        super().apply_theme(theme)
        self.item.showGrid(x=False, y=True, alpha=theme.grid_alpha)
        self.committed_bars.set_style(theme.style(1), theme.axis)
        self.chosen_bars.set_style(theme.style(0), theme.axis)
        self.budget_line.setPen(chart_pen(QColor(OKABE_ITO[2]), 2.5, Qt.PenStyle.DashLine))
        for label in self.labels:
            label.setColor(theme.foreground)
        self.legend.setPixmap(_key([("committed", theme.style(1)), ("chosen", theme.style(0)),
                                    ("budget", QColor(OKABE_ITO[2]))], theme, self.font(), self.devicePixelRatioF()))

    def tooltip_at(self, x: float, y: float) -> str:
        j = int(round(x))
        return self.tips[j] if 0 <= j < len(self.tips) and abs(x - j) <= BAR_WIDTH / 2 else ""


class MeritChart(TitledChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Merit of each proposal against the funding line", parent)
        self.codes, self.tips = [], []
        self.merit = self._x = np.zeros(0)
        self.chosen = np.zeros(0, dtype=bool)
        self.forced: list[str | None] = []
        self.marginal: float | None = None
        self.others = pg.ScatterPlotItem(size=8)
        self.picked = pg.ScatterPlotItem(size=8)
        self.selected = pg.ScatterPlotItem(size=17, brush=pg.mkBrush(None))
        self.line = pg.InfiniteLine(angle=0, movable=False)
        self.line_label = pg.InfLineLabel(self.line, "", position=0.98, anchors=[(1, 1), (1, 1)])
        for item in (self.line, self.others, self.picked, self.selected):
            self.item.addItem(item)
        self.item.setLabel("bottom", "Proposals by merit (1 = best)")
        self.item.setLabel("left", "Merit")
        self.apply_theme(self.theme)

    def show_merit(self, codes, titles, merit, chosen, forced, costs, why_out, note: str = "") -> None:
        """One mark per proposal, in any order: they are ranked here by merit, best first."""
        codes, titles, costs, why_out, forced = list(codes), list(titles), list(costs), list(why_out), list(forced)
        merit = np.asarray(merit, dtype=float)
        order = np.argsort(-merit, kind="stable")
        self.codes = [codes[i] for i in order]
        self.merit = merit[order]
        self.chosen = np.asarray(chosen, dtype=bool)[order]
        self.forced = [forced[i] for i in order]
        n = len(self.codes)
        if not n:
            return self.show_empty("No proposal competes in this scenario.")
        self._x = np.arange(1, n + 1, dtype=float)
        self.tips = [f"{codes[i]}: {titles[i]}\nMerit {merit[i]:.3f}, rank {r}\nCost {costs[i]:,.0f}\n"
                     + ("chosen" if chosen[i] else f"not chosen{': ' + why_out[i] if why_out[i] else ''}")
                     + (f"\nforced {forced[i]}" if forced[i] else "")
                     for r, i in enumerate(order, start=1)]
        self.marginal = float(self.merit[self.chosen].min()) if self.chosen.any() else None
        self.line.setVisible(self.marginal is not None)
        if self.marginal is not None:
            self.line.setPos(self.marginal)
            self.line_label.setFormat(f"funding line {self.marginal:.3f}")
        self._draw_marks()
        top = float(self.merit.max()) if n else 1.0
        self.view.setRange(xRange=(0.5, n + 0.5), yRange=(min(0.0, float(self.merit.min())), max(top, 1e-9) * 1.08),
                           padding=0.02)
        self.show_plot(note)
        self.plot.setAccessibleDescription(f"{n} proposals, {int(self.chosen.sum())} chosen; marginal merit "
                                           f"{'none' if self.marginal is None else f'{self.marginal:.3f}'}")

    def _draw_marks(self) -> None:
        small = len(self.codes) > CROWDED
        size = 6 if small else 9
        for item, mask, filled, colour in ((self.picked, self.chosen, True, self._chosen_colour()),
                                           (self.others, ~self.chosen, False, QColor(OKABE_ITO[3]))):
            symbols = ["t1" if f == "in" else "t" if f == "out" else "o" for f in np.array(self.forced, object)[mask]]
            item.setData(self._x[mask], self.merit[mask], symbol=symbols, size=[size + 4 if s != "o" else size
                                                                               for s in symbols],
                         pen=chart_pen(colour, 1.5), brush=pg.mkBrush(colour) if filled else pg.mkBrush(None))

    def _chosen_colour(self) -> QColor:
        return QColor(OKABE_ITO[5] if self.theme.dark else OKABE_ITO[0])  # sky blue reads better on dark

    def select(self, code: str | None) -> None:
        """Ring the mark of `code` (the proposal selected in the table)."""
        j = self.codes.index(code) if code in self.codes else None
        self.selected.setData(*(([self._x[j]], [self.merit[j]]) if j is not None else ([], [])))

    def apply_theme(self, theme: PlotTheme) -> None:
        super().apply_theme(theme)
        self.line.setPen(chart_pen(QColor(OKABE_ITO[2]), 2, Qt.PenStyle.DashLine))
        self.line_label.setColor(theme.foreground)
        backing = QColor(theme.background)
        backing.setAlphaF(0.85)
        self.line_label.fill = pg.mkBrush(backing)
        self.line_label.update()
        self.selected.setPen(chart_pen(theme.foreground, 2))
        self.legend.setPixmap(_key([("chosen", ("o", self._chosen_colour(), True)),
                                    ("not chosen", ("o", QColor(OKABE_ITO[3]), False)),
                                    ("forced in / out", ("t", theme.foreground, False)),
                                    ("funding line", QColor(OKABE_ITO[2]))], theme, self.font(),
                                   self.devicePixelRatioF()))
        if len(self.codes):
            self._draw_marks()

    def tooltip_at(self, x: float, y: float) -> str:
        j = int(round(x)) - 1
        return self.tips[j] if 0 <= j < len(self.tips) else ""
