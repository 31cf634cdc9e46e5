"""RunCurves, the one item that draws every run of a live plot: what the per-pixel-column reduction
keeps (spikes, gaps, the edges), that it caches its paths, and that it draws nothing for no data."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QPolygonF

from genesis_desktop.ui.telemetry_curves import RunCurves
from genesis_desktop.ui.telemetry_reduce import Columns, in_view, reduce_by_column, reduce_run


def _points(shape) -> np.ndarray:
    if isinstance(shape, QPolygonF):
        return np.array([(p.x(), p.y()) for p in shape])
    return np.array([(shape.elementAt(i).x, shape.elementAt(i).y) for i in range(shape.elementCount())])


def test_reduction_keeps_a_one_sample_spike_and_two_points_per_column():
    x = np.arange(100_000, dtype=float)
    y = np.zeros_like(x)
    y[54_321] = 7.0
    cx, ys, _ = reduce_by_column(x, {"line": y}, Columns(0.0, 99_999.0, 500))
    assert len(cx) <= 2 * 502
    assert ys["line"].max() == 7.0 and ys["line"].min() == 0.0
    assert np.all(np.diff(cx) >= 0)


def test_reduction_leaves_gaps_and_band_edges_where_they_are():
    x = np.arange(10_000, dtype=float)
    y = np.ones_like(x)
    y[4_000:6_000] = np.nan  # a gap wider than a column
    low, high = y - np.linspace(0, 1, len(x)), y + np.linspace(0, 2, len(x))
    cx, ys, _ = reduce_by_column(x, {"line": y, "low": low, "high": high}, Columns(0.0, 9_999.0, 100))
    inside_gap = (cx > 4_100) & (cx < 5_900)
    assert inside_gap.any() and np.isnan(ys["line"][inside_gap]).all()
    assert np.nanmin(ys["low"]) == pytest.approx(np.nanmin(low))
    assert np.nanmax(ys["high"]) == pytest.approx(np.nanmax(high))


def test_a_sample_outside_the_view_keeps_its_own_x():
    x = np.array([-50.0, *np.linspace(0, 10, 1000), 60.0])
    cx, ys, _ = reduce_by_column(x, {"line": x * 0 + 1}, Columns(0.0, 10.0, 20))
    assert cx[0] == -50.0 and cx[-1] == 60.0


@pytest.mark.parametrize("view", [(0.0, 3000.0), (500.0, 1500.0)])
def test_extending_a_reduction_gives_what_reducing_it_all_gives(view):
    rng = np.random.default_rng(5)
    columns = Columns(*view, 97)
    edges, centres = columns.edges, columns.centres
    x = np.cumsum(rng.uniform(0.01, 0.5, 12_000))
    y = rng.normal(size=len(x)).cumsum()
    y[rng.integers(0, len(x), 40)] = np.nan
    ys = {"line": y, "low": y - 1, "high": y + 1}
    before, n = None, 300
    extended = 0
    while n < len(x):
        lo, hi = in_view(x[:n], *view)
        if hi - lo > 2 * columns.count:
            part = {k: v[:n] for k, v in ys.items()}
            step = reduce_run(x[:n], part, columns, lo, hi, edges, centres, before, unchanged=n)
            whole = reduce_run(x[:n], part, columns, lo, hi, edges, centres)
            extended += before is not None and before.lo == lo
            np.testing.assert_array_equal(step.x, whole.x)
            np.testing.assert_array_equal(step.groups, whole.groups)
            for k in ys:
                np.testing.assert_array_equal(step.ys[k], whole.ys[k])
            before = step
        n += int(rng.integers(1, 400))
    assert extended > 5  # the extending path was taken, not only full reductions


@pytest.fixture
def plot_widget(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_paths_are_cached_until_data_or_view_change(plot_widget, qtbot):
    curves = RunCurves()
    plot_widget.addItem(curves)
    curves.set_curve("empty", np.empty(0), line=np.empty(0))  # no data: nothing drawn, no crash
    x = np.arange(50_000, dtype=float)
    curves.set_curve("a", x, line=np.sin(x / 500))
    view = plot_widget.getPlotItem().getViewBox()
    view.setRange(xRange=(0, 50_000), yRange=(-1, 1), padding=0)
    plot_widget.viewport().repaint()
    built = curves.builds
    assert len(_points(curves.path("a", "line"))) <= 2 * (view.width() + 2)
    assert curves.path("empty", "line") is None
    plot_widget.viewport().repaint()  # a repaint with nothing changed (a crosshair moving)
    assert curves.builds == built
    view.setRange(xRange=(0, 25_000), padding=0)
    plot_widget.viewport().repaint()
    assert curves.builds == built + 1
    assert _points(curves.path("a", "line"))[:, 0].max() <= 25_000 + 50_000 / view.width() * 2 + 1


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="a curve has line, raw, low, high, not middle"):
        RunCurves().set_curve("a", np.arange(3.0), middle=np.arange(3.0))


def test_a_single_sample_is_drawn_as_a_dot(plot_widget):
    curves = RunCurves()
    plot_widget.addItem(curves)
    curves.set_curve("one", np.array([8.0]), line=np.array([21.8]))
    curves.set_style("one", pg.mkPen("#E69F00"), pg.mkPen("#E69F00"), pg.mkBrush("#E69F00"))
    plot_widget.getPlotItem().getViewBox().setRange(xRange=(7, 9), yRange=(20, 23), padding=0)
    plot_widget.viewport().repaint()
    image = plot_widget.grab().toImage()
    centre = plot_widget.getPlotItem().getViewBox().mapViewToScene(pg.Point(8.0, 21.8))
    point = plot_widget.mapFromScene(centre)
    assert image.pixelColor(point.x(), point.y()).name() == "#e69f00"
