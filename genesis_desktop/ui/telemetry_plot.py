"""A live plot of one quantity for several runs, as TensorBoard and Grafana draw them.

Each run is a `Series` (telemetry_series); all runs are drawn by one `RunCurves` item, made once
and handed new arrays. A 30 Hz timer redraws only the runs whose series version moved (or all,
after a change of smoothing, scale or x axis), so appending data costs nothing until the next
frame, and a hidden or paused plot costs nothing at all. Smoothing is extended over new samples
only (telemetry_smoothing). The axes follow the data by our own bounds (pyqtgraph's auto-range
costs several times a frame) until the person pans or zooms; "Follow" takes it back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .plot_theme import PlotTheme
from .telemetry_axes import CachedAxisItem, CachedDateAxisItem
from .telemetry_curves import RunCurves
from .telemetry_export import write_csv, write_image
from .telemetry_legend import RunLegend
from .telemetry_plot_controls import X_TITLES, PlotControlBar, set_quietly
from .telemetry_series import STEP, WALL, X_MODES, Series
from .telemetry_smoothing import RunningEma

FRAME_MS = 33  # up to 30 redraws a second
LINE_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
               Qt.PenStyle.DashDotLine, Qt.PenStyle.DashDotDotLine)


@dataclass
class _Run:
    series: Series
    index: int  # decides colour and line style, kept for the life of the plot
    smoother: RunningEma = field(default_factory=RunningEma)
    visible: bool = True
    pinned: bool = False
    drawn_version: int = -1
    # What the drawn arrays were made from; while it holds, a redraw only adds samples at the end.
    drawn_from: tuple | None = None
    drawn: dict[str, np.ndarray] = field(default_factory=dict)  # what the curves hold, in data units


def _covers(lo: float, hi: float, d0: float, d1: float) -> bool:
    return lo <= d0 and d1 <= hi and (d1 - d0) >= 0.5 * (hi - lo)


def _log10(y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)


def _widen(lo: float, hi: float) -> tuple[float, float]:
    """A range for data that spans (next to) nothing, such as one sample: a margin around it,
    so the axis shows readable ticks rather than the 12th digit of one value."""
    if hi - lo > 1e-9 * max(abs(lo), abs(hi), 1.0):
        return lo, hi
    pad = max(abs(lo) * 0.05, 0.5)
    return lo - pad, hi + pad


def _same(y: np.ndarray) -> np.ndarray:
    return y


class LivePlot(QWidget):
    pin_changed = Signal(str, bool)  # a run pinned from this plot's legend: a panel pins it everywhere

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: dict[str, _Run] = {}
        self.smoothing = 0.0
        self.log_y = False
        self.x_mode = STEP
        self.paused = False
        self.follow = True
        self.isolated: str | None = None
        self.frames = 0  # redraws that changed something: what a test or benchmark counts
        self._next_index = 0
        self.theme = PlotTheme.from_palette(self.palette())

        self.plot = pg.PlotWidget(self, axisItems={"left": CachedAxisItem("left")})
        self.plot.setAccessibleName(title or "live plot")
        self.item = self.plot.getPlotItem()
        self.item.setMenuEnabled(False)
        self.item.hideButtons()
        self.item.setTitle(title)
        self.view = self.item.getViewBox()
        self.view.disableAutoRange()
        self.view.sigRangeChangedManually.connect(lambda *_: self._set_follow(False))
        self.item.getAxis("left").enableAutoSIPrefix(False)
        self.curves = RunCurves()
        self.item.addItem(self.curves)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.hide()
        self.item.addItem(self.crosshair, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.legend = RunLegend(self.isolate, lambda n, hide: self.set_run_visible(n, not hide),
                                self.set_pinned, self)
        self._build_controls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.control_bar)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.readout)
        self._set_x_axis()
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.redraw)
        self.apply_theme(self.theme)

    def _build_controls(self) -> None:
        bar = self.control_bar = PlotControlBar(self.export_csv, self.export_image,
                                                lambda: self.item.titleLabel.text, self)
        self.smoothing_slider, self.x_box, self.pause_button = bar.smoothing_slider, bar.x_box, bar.pause_button
        self.log_box, self.follow_button = bar.log_box, bar.follow_button
        self.smoothing_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 1000))
        self.x_box.currentIndexChanged.connect(lambda i: self.set_x_mode(self.x_box.itemData(i)))
        self.pause_button.toggled.connect(self.set_paused)
        self.log_box.toggled.connect(self.set_log_y)
        self.follow_button.toggled.connect(self._set_follow)

    def hide_shared_controls(self) -> None:
        """In a panel of plots, smoothing, x axis and pause are set once for all of them."""
        self.control_bar.hide_shared()

    # Runs -------------------------------------------------------------------------------------

    def add_run(self, name: str, series: Series) -> None:
        """Draw `series` as the run `name` (a run of that name gets the new series)."""
        run = self.runs.get(name)
        if run is not None:
            run.series, run.drawn_version = series, -1
            return
        run = self.runs[name] = _Run(series, self._next_index)
        self._next_index += 1
        self.curves.set_curve(name, np.empty(0), line=np.empty(0))
        self._style(name, run)

    def remove_run(self, name: str) -> None:
        self.runs.pop(name)
        self.curves.remove(name)
        self.legend.remove_entry(name)
        if self.isolated == name:
            self.isolated = None
        self._all_dirty()

    def clear_unpinned(self) -> None:
        for name in [n for n, r in self.runs.items() if not r.pinned]:
            self.remove_run(name)

    def shown(self, name: str) -> bool:
        return name == self.isolated if self.isolated else self.runs[name].visible

    def isolate(self, name: str) -> None:
        """Show only `name`; asked again for the same run, show them all again."""
        self.isolated = None if self.isolated == name else name
        self._all_dirty()

    def set_run_visible(self, name: str, visible: bool) -> None:
        self.runs[name].visible = visible
        if not visible and self.isolated == name:
            self.isolated = None
        self._all_dirty()

    def set_pinned(self, name: str, pinned: bool) -> None:
        run = self.runs[name]
        if run.pinned != pinned:
            run.pinned = pinned
            self._style(name, run)
            self.pin_changed.emit(name, pinned)

    # Settings ---------------------------------------------------------------------------------

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = min(max(float(weight), 0.0), 0.999)
        set_quietly(self.smoothing_slider, self.smoothing_slider.setValue, round(self.smoothing * 1000))
        self._all_dirty()

    def set_log_y(self, log: bool) -> None:
        self.log_y = bool(log)
        set_quietly(self.log_box, self.log_box.setChecked, self.log_y)
        self.item.getAxis("left").setLogMode(False, self.log_y)
        self._all_dirty()

    def set_x_mode(self, mode: str) -> None:
        if mode not in X_MODES:
            raise ValueError(f"unknown x-axis mode {mode!r}; choose one of {', '.join(X_MODES)}")
        self.x_mode = mode
        set_quietly(self.x_box, self.x_box.setCurrentIndex, X_MODES.index(mode))
        self._set_x_axis()
        self._set_follow(True)
        self._all_dirty()

    def set_paused(self, paused: bool) -> None:
        """Stop drawing new data (it is still kept); resuming draws what came meanwhile."""
        self.paused = bool(paused)
        set_quietly(self.pause_button, self.pause_button.setChecked, self.paused)
        self._sync_timer()

    def _set_follow(self, follow: bool) -> None:
        self.follow = bool(follow)
        set_quietly(self.follow_button, self.follow_button.setChecked, self.follow)
        if self.follow:
            self._fit()

    def _set_x_axis(self) -> None:
        axis = CachedDateAxisItem(orientation="bottom", utcOffset=0) if self.x_mode == WALL else CachedAxisItem("bottom")
        axis.setLabel(X_TITLES[self.x_mode])
        self.item.setAxisItems({"bottom": axis})
        self._theme_axes()

    def _all_dirty(self) -> None:
        for name, run in self.runs.items():
            run.drawn_version = -1
            self._style(name, run)
        if not self.paused:
            self.redraw()

    # Drawing ----------------------------------------------------------------------------------

    def redraw(self) -> int:
        """Give the curves every changed run's new data; returns how many runs changed."""
        changed = 0
        y: Callable[[np.ndarray], np.ndarray] = _log10 if self.log_y else _same
        with self.curves.changes():
            for name, run in self.runs.items():
                if run.drawn_version == run.series.version:
                    continue
                run.drawn_version = run.series.version
                changed += 1
                shown = self.shown(name)
                self.curves.set_visible(name, shown)
                if not shown:
                    continue
                s = run.series
                source = (id(s), s.compactions, self.x_mode, self.smoothing, self.log_y)
                before = len(run.drawn.get("x", ())) if run.drawn_from == source else 0
                # Copies: the series thins its buffer in place, under any array the curves hold.
                run.drawn = {"x": s.x(self.x_mode).copy(), "value": s.value.copy(),
                             "smoothed": run.smoother.of(s, self.smoothing)}
                run.drawn_from = source
                grown_from = min(before, run.smoother.unchanged) if self.smoothing > 0 else before
                ys = {"line": y(run.drawn["smoothed"])}
                if self.smoothing > 0:
                    ys["raw"] = y(run.drawn["value"])
                if s.band:
                    run.drawn.update(low=s.low.copy(), high=s.high.copy())
                    ys.update(low=y(run.drawn["low"]), high=y(run.drawn["high"]))
                self.curves.set_curve(name, run.drawn["x"], grown_from=grown_from or None, **ys)
        if changed:
            self.frames += 1
            if self.follow:
                self._fit()
        return changed

    def _fit(self) -> None:
        found = self.curves.data_range()
        if found is None:
            return
        (x0, x1), (y0, y1) = _widen(*found[0]), _widen(*found[1])
        (vx0, vx1), (vy0, vy1) = self.view.viewRange()
        # Moving the range re-lays and redraws both axes, which costs more than all the curves;
        # so the range jumps ahead with a margin, and moves only when the data leaves it or fills
        # less than half of it.
        if not (_covers(vx0, vx1, x0, x1) and _covers(vy0, vy1, y0, y1)):
            xs, ys = x1 - x0, y1 - y0
            self.view.setRange(xRange=(x0, x1 + 0.25 * xs), yRange=(y0 - 0.2 * ys, y1 + 0.2 * ys), padding=0)

    def _style(self, name: str, run: _Run) -> None:
        colour = self.theme.style(run.index).colour
        # Pinned runs are drawn wider, so they stand out among the runs that come and go.
        line = pg.mkPen(colour, width=2 if run.pinned else 1, style=LINE_STYLES[run.index % len(LINE_STYLES)])
        faint = QColor(colour)
        faint.setAlphaF(0.3)
        fill = QColor(colour)
        fill.setAlphaF(0.28 if self.theme.dark else 0.2)
        self.curves.set_style(name, line, pg.mkPen(faint, width=1), QBrush(fill))
        self.legend.set_entry(name, line, self.shown(name), run.pinned)

    # Crosshair --------------------------------------------------------------------------------

    def values_at(self, x: float) -> dict[str, tuple[float, float]]:
        """(x, smoothed value) of the sample nearest `x` in every shown run."""
        found = {}
        for name, run in self.runs.items():
            xs = run.drawn.get("x")
            if not self.shown(name) or xs is None or not len(xs):
                continue
            i = int(np.clip(np.searchsorted(xs, x), 1, len(xs) - 1)) if len(xs) > 1 else 0
            if len(xs) > 1 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
                i -= 1
            found[name] = (float(xs[i]), float(run.drawn["smoothed"][i]))
        return found

    def _hover(self, scene_pos) -> None:
        if not self.view.sceneBoundingRect().contains(scene_pos):
            self.crosshair.hide()
            return
        x = self.view.mapSceneToView(scene_pos).x()
        self.crosshair.setPos(x)
        self.crosshair.show()
        self.readout.setText("   ".join(f"{n}: {v:.6g}" for n, (_, v) in self.values_at(x).items()))

    # Export -----------------------------------------------------------------------------------

    def visible_data(self) -> list[tuple[str, dict[str, np.ndarray]]]:
        """The samples of each shown run that lie in the x range on screen, as drawn."""
        if not self.paused:
            self.redraw()  # so the series and what is drawn are the same samples
        (x0, x1), _ = self.view.viewRange()
        out = []
        for name, run in self.runs.items():
            if not self.shown(name) or "x" not in run.drawn:
                continue
            s, columns = run.series, dict(run.drawn)
            if s.version == run.drawn_version:  # paused with new samples: the drawn ones only
                columns.update(step=s.step.copy(), relative=s.relative.copy(), wall=s.wall.copy())
            else:
                columns.update({k: np.full(len(columns["x"]), np.nan) for k in ("step", "relative", "wall")})
                columns[self.x_mode] = columns["x"]
            mask = (columns["x"] >= x0) & (columns["x"] <= x1)
            out.append((name, {k: v[mask] for k, v in columns.items()}))
        return out

    def export_csv(self, path: str | Path) -> int:
        return write_csv(path, self.visible_data())

    def export_image(self, path: str | Path) -> None:
        write_image(self.plot, path)

    # Theme and life cycle ---------------------------------------------------------------------

    def apply_theme(self, theme: PlotTheme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.background)
        self.item.titleLabel.setText(self.item.titleLabel.text, color=theme.foreground)
        self._theme_axes()
        self.crosshair.setPen(pg.mkPen(theme.axis, width=1, style=Qt.PenStyle.DashLine))
        for name, run in self.runs.items():
            self._style(name, run)

    def _theme_axes(self) -> None:
        for name in ("left", "bottom"):
            axis = self.item.getAxis(name)
            axis.setPen(self.theme.axis)
            axis.setTextPen(self.theme.foreground)
        self.item.showGrid(x=True, y=True, alpha=self.theme.grid_alpha)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme(PlotTheme.from_palette(self.palette()))
        super().changeEvent(event)

    def _sync_timer(self) -> None:
        if self.isVisible() and not self.paused:
            self.timer.start()
        else:
            self.timer.stop()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._sync_timer()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._sync_timer()

    def closeEvent(self, event) -> None:
        self.timer.stop()
        super().closeEvent(event)
