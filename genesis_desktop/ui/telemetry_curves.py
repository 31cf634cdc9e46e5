"""The runs of one live plot drawn by one graphics item: lines, faint raw lines and confidence bands.

Why not a pyqtgraph PlotDataItem per run: its setData costs about a millisecond of Python, and 32
runs at 30 frames a second would spend the whole frame there (bench/bench_live_plots.py: 3.6
times slower). This item keeps the arrays it is given and, when painted, cuts every run to the x
range in view and reduces a run with more than two samples per pixel column to each column's
minimum and maximum (telemetry_reduce); a run that only grew since the last paint is reduced from
its last column on. Lines are polylines; a band is one stroked vertical span per column. The
paths are cached until data, x range or width change: a crosshair moving over the plot rebuilds
nothing. Bands are drawn first, then raw lines, then lines, so no band covers another run's line.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPen, QPolygonF

from .telemetry_reduce import KINDS, Columns, Reduced, in_view, reduce_run

def _union(a: tuple[float, float] | None, b: tuple[float, float] | None) -> tuple[float, float] | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), max(a[1], b[1]))


@dataclass
class Curve:
    x: np.ndarray  # sorted ascending, plot units
    ys: dict[str, np.ndarray]  # KINDS present for this run, plot units (log10 on a log axis)
    line_pen: QPen
    raw_pen: QPen
    band_brush: QBrush
    visible: bool = True
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    paths: dict[str, QPainterPath | QPolygonF] | None = None
    reduced: Reduced | None = None  # the last per-column reduction, extended while the run grows
    unchanged: int = 0  # leading samples the same as at the last reduction
    band_spans: bool = False  # the band path is one vertical span per column, to be stroked


def _finite_range(arrays) -> tuple[float, float] | None:
    lo = hi = np.nan
    for a in arrays:
        if a.size:
            lo, hi = min(lo, np.fmin.reduce(a)) if lo == lo else np.fmin.reduce(a), \
                max(hi, np.fmax.reduce(a)) if hi == hi else np.fmax.reduce(a)
    return (float(lo), float(hi)) if np.isfinite(lo) and np.isfinite(hi) else None


class RunCurves(pg.GraphicsObject):
    def __init__(self) -> None:
        super().__init__()
        self.curves: dict[str, Curve] = {}
        self._bounds = QRectF()
        self._key: Columns | None = None
        self._batch_depth = 0
        # Off only to measure what the reduction saves (bench/bench_live_plots.py).
        self.reduce = True
        self.builds = 0  # path rebuilds: the tests check the caching by it

    @contextmanager
    def changes(self):
        """Several changes, one geometry update and repaint at the end (a frame sets every run)."""
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            self._changed()

    # Data -------------------------------------------------------------------------------------

    def set_curve(self, name: str, x: np.ndarray, grown_from: int | None = None, **ys: np.ndarray | None) -> None:
        """x sorted ascending; ys: line, and raw, low, high where the run has them.

        grown_from: the first `grown_from` samples of every array are those of the last call (the
        run only grew), so only what follows them is looked at again.
        """
        unknown = set(ys) - set(KINDS)
        if unknown:
            raise ValueError(f"a curve has {', '.join(KINDS)}, not {', '.join(sorted(unknown))}")
        arrays = {k: v for k, v in ys.items() if v is not None}
        curve = self.curves.get(name)
        if curve is None:
            curve = self.curves[name] = Curve(x, arrays, QPen(), QPen(), QBrush())
        grown = grown_from is not None and curve.x_range is not None and 0 < grown_from <= len(x)
        curve.unchanged = min(curve.unchanged, grown_from) if grown else 0
        if grown:
            new_x = _finite_range([x[grown_from:]])
            new_y = _finite_range([a[grown_from:] for a in arrays.values()])
            curve.x_range = _union(curve.x_range, new_x)
            curve.y_range = _union(curve.y_range, new_y) if curve.y_range else _finite_range(arrays.values())
        else:
            curve.x_range = _finite_range([x])
            curve.y_range = _finite_range(arrays.values())
        curve.x, curve.ys = x, arrays
        self._changed()

    def set_style(self, name: str, line_pen: QPen, raw_pen: QPen, band_brush: QBrush) -> None:
        curve = self.curves[name]
        curve.line_pen, curve.raw_pen, curve.band_brush = line_pen, raw_pen, band_brush
        self.update()

    def set_visible(self, name: str, visible: bool) -> None:
        if self.curves[name].visible != visible:
            self.curves[name].visible = visible
            self._changed()

    def remove(self, name: str) -> None:
        del self.curves[name]
        self._changed()

    def _changed(self) -> None:
        if self._batch_depth:
            return
        self.prepareGeometryChange()
        self._bounds = self._data_rect()
        self._key = None
        self.update()

    def data_range(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((x0, x1), (y0, y1)) over the finite data of the visible runs."""
        r = self._bounds
        return None if r.isNull() else ((r.left(), r.right()), (r.top(), r.bottom()))

    def _data_rect(self) -> QRectF:
        shown = [c for c in self.curves.values() if c.visible and c.x_range and c.y_range]
        if not shown:
            return QRectF()
        xr = (min(c.x_range[0] for c in shown), max(c.x_range[1] for c in shown))
        yr = (min(c.y_range[0] for c in shown), max(c.y_range[1] for c in shown))
        return QRectF(xr[0], yr[0], max(xr[1] - xr[0], 1e-12), max(yr[1] - yr[0], 1e-12))

    def boundingRect(self) -> QRectF:
        # The data's rectangle cut to the view: a repaint of the curves then dirties only the plot
        # area, not the axes beside it (whose text costs more to replay than the curves to draw).
        view = self.getViewBox()
        if view is None or self._bounds.isNull():
            return self._bounds
        (x0, x1), (y0, y1) = view.viewRange()
        return self._bounds.intersected(QRectF(x0, y0, x1 - x0, y1 - y0))

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):
        found = self.data_range()
        return found[axis] if found else (None, None)

    # Paths ------------------------------------------------------------------------------------

    def build_paths(self) -> None:
        view = self.getViewBox()
        if view is None:
            return
        (x0, x1), _ = view.viewRange()
        columns = Columns(x0, x1, max(int(view.width()), 1))
        if columns == self._key:
            return
        self._key = columns
        self.builds += 1
        edges, centres = columns.edges, columns.centres
        for c in self.curves.values():
            if not c.visible:
                c.paths = None
                continue
            lo, hi = in_view(c.x, x0, x1)
            if self.reduce and hi - lo > 2 * columns.count and x1 > x0:
                c.reduced = reduce_run(c.x, c.ys, columns, lo, hi, edges, centres, c.reduced, c.unchanged)
                c.unchanged = len(c.x)
                self._make_paths(c, c.reduced.x, c.reduced.ys, spans=True)
            else:
                c.reduced = None
                self._make_paths(c, c.x[lo:hi], {k: v[lo:hi] for k, v in c.ys.items()}, spans=False)

    @staticmethod
    def _line(x: np.ndarray, y: np.ndarray):
        # A polyline costs a quarter of a path to build; a path only where NaN leaves a gap.
        if np.isfinite(y).all():
            return pg.functions.arrayToQPolygonF(x, y)
        return pg.arrayToQPath(x, y, connect="finite")

    @staticmethod
    def _make_paths(c: Curve, x: np.ndarray, ys: dict[str, np.ndarray], spans: bool) -> None:
        if not len(x):
            # Never hand pyqtgraph an empty polygon: writing into its null buffer crashes.
            c.paths = {}
            return
        c.paths = {k: RunCurves._line(x, ys[k]) for k in ("line", "raw") if k in ys}
        c.band_spans = spans
        if "low" in ys and "high" in ys:
            low, high = ys["low"], ys["high"]
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.sum() >= 2:
                bx, low, high = x[ok], low[ok], high[ok]
                if spans:
                    # A vertical span per column, stroked: a polygon with a thousand jagged edges
                    # costs the rasteriser up to a hundred times more for the same pixels.
                    y = np.empty(len(bx))
                    y[0::2], y[1::2] = low[0::2], high[1::2]
                    c.paths["band"] = pg.arrayToQPath(bx, y, connect="pairs")
                else:
                    band = pg.arrayToQPath(np.concatenate([bx, bx[::-1]]),
                                           np.concatenate([high, low[::-1]]), connect="all")
                    band.closeSubpath()
                    c.paths["band"] = band

    def path(self, name: str, kind: str) -> QPainterPath | QPolygonF | None:
        """The shape drawn for a run's "line", "raw" (polyline, or path with gaps) or "band"."""
        self.build_paths()
        paths = self.curves[name].paths
        return None if paths is None else paths.get(kind)

    def paint(self, painter: QPainter, *args) -> None:
        self.build_paths()
        drawn = [c for c in self.curves.values() if c.visible and c.paths]
        for c in drawn:
            band = c.paths.get("band")
            if band is None:
                continue
            if c.band_spans:
                pen = QPen(c.band_brush.color())
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawPath(band)
            else:
                painter.fillPath(band, c.band_brush)
        for kind, pen_of in (("raw", lambda c: c.raw_pen), ("line", lambda c: c.line_pen)):
            for c in drawn:
                shape = c.paths.get(kind)
                if shape is None:
                    continue
                pen = pen_of(c)
                if isinstance(shape, QPolygonF) and shape.size() == 1:
                    # One sample draws no line: a dot, in pixels whatever the axes' scale.
                    pen = QPen(pen)
                    pen.setWidthF(5.0)
                    pen.setCosmetic(True)
                    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                    painter.setPen(pen)
                    painter.drawPoint(shape.at(0))
                    continue
                painter.setPen(pen)
                if isinstance(shape, QPolygonF):
                    painter.drawPolyline(shape)
                else:
                    painter.drawPath(shape)
