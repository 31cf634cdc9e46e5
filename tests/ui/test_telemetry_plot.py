"""The live telemetry plot, offscreen: overlaid runs, what smoothing, log scale and the x axis hand to
the curves, export, pause, and a soak of thousands of frames."""
from __future__ import annotations

import csv
import gc
import os
import sys

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from genesis_desktop.ui.telemetry_plot import LivePlot
from genesis_desktop.ui.telemetry_series import RELATIVE, WALL, Series
from genesis_desktop.ui.telemetry_smoothing import debiased_ema


def _series(n=200, offset=0.0, band=False, start=0):
    s = Series(capacity=4096, band=band)
    step = np.arange(start, start + n, dtype=float)
    value = 1.0 + offset + np.sin(step / 7.0) ** 2
    s.append_batch(step, step * 0.25, 1.79e9 + step * 0.25, value,
                   *( (value - 0.2, value + 0.2) if band else ()))
    return s


@pytest.fixture
def plot(qtbot):
    widget = LivePlot("test")
    qtbot.addWidget(widget)
    widget.resize(640, 400)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()


def _curve(plot, name):
    return plot.curves.curves[name]


def test_two_runs_overlaid_have_distinct_pens(plot):
    plot.add_run("a", _series(band=True))
    plot.add_run("b", _series(offset=1.0))
    plot.redraw()
    pa, pb = _curve(plot, "a").line_pen, _curve(plot, "b").line_pen
    assert pa.color().name() != pb.color().name()
    assert pa.style() != pb.style()
    band = plot.curves.path("a", "band")
    assert band is not None and band.elementCount() >= 400  # high forwards, low back
    assert plot.curves.path("b", "band") is None
    assert set(plot.values_at(10.0)) == {"a", "b"}


def test_smoothing_log_scale_and_x_mode_change_the_curve_data(plot):
    s = _series()
    plot.add_run("a", s)
    plot.redraw()
    np.testing.assert_array_equal(_curve(plot, "a").ys["line"], s.value)
    assert "raw" not in _curve(plot, "a").ys and plot.curves.path("a", "raw") is None

    plot.set_smoothing(0.9)
    np.testing.assert_allclose(_curve(plot, "a").ys["line"], debiased_ema(s.value, 0.9))
    np.testing.assert_array_equal(_curve(plot, "a").ys["raw"], s.value)  # the raw line stays underneath
    assert plot.curves.path("a", "raw") is not None
    assert plot.smoothing_slider.value() == 900

    plot.set_log_y(True)
    np.testing.assert_allclose(_curve(plot, "a").ys["line"], np.log10(debiased_ema(s.value, 0.9)))

    plot.set_x_mode(RELATIVE)
    np.testing.assert_array_equal(_curve(plot, "a").x, s.relative)
    plot.set_x_mode(WALL)
    np.testing.assert_array_equal(_curve(plot, "a").x, s.wall)


def test_isolate_hide_and_pin(plot):
    plot.add_run("a", _series())
    plot.add_run("b", _series(offset=1.0))
    plot.redraw()
    plot.legend.buttons["a"].click()  # clicking a legend entry isolates that run
    assert not _curve(plot, "b").visible and _curve(plot, "a").visible
    assert plot.curves.path("b", "line") is None
    assert set(plot.values_at(5.0)) == {"a"}
    plot.legend.buttons["a"].click()
    assert _curve(plot, "b").visible
    plot.set_run_visible("a", False)
    assert not _curve(plot, "a").visible and plot.legend.buttons["a"].font().strikeOut()
    plot.set_pinned("b", True)
    assert _curve(plot, "b").line_pen.width() == 2
    plot.clear_unpinned()
    assert set(plot.runs) == {"b"} and set(plot.legend.buttons) == {"b"}


def test_export_writes_the_visible_data_and_images(plot, tmp_path):
    plot.add_run("a", _series(n=400, band=True))
    plot.add_run("b", _series(n=400, offset=1.0))
    plot.set_smoothing(0.5)
    plot.follow_button.setChecked(False)  # the person stops following and zooms in
    plot.view.setXRange(100, 199, padding=0)
    assert not plot.follow
    count = plot.export_csv(tmp_path / "visible.csv")
    with open(tmp_path / "visible.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert count == len(rows) == 200
    assert {r["run"] for r in rows} == {"a", "b"}
    steps = [float(r["step"]) for r in rows if r["run"] == "a"]
    assert steps == list(np.arange(100.0, 200.0))
    a = plot.runs["a"].drawn
    first = next(r for r in rows if r["run"] == "a")
    assert float(first["smoothed"]) == pytest.approx(a["smoothed"][100])
    assert float(first["low"]) == pytest.approx(a["low"][100])
    assert first["wall_time_utc"].startswith("2026-")

    for name in ("plot.png", "plot.svg"):
        plot.export_image(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "plot.svg").read_bytes()[:2000]


def test_pause_stops_redraws_and_resume_catches_up(plot, qtbot):
    s = _series()
    plot.add_run("a", s)
    qtbot.waitUntil(lambda: plot.frames >= 1)
    assert plot.timer.isActive()
    plot.set_paused(True)
    assert not plot.timer.isActive() and plot.pause_button.isChecked()
    frames = plot.frames
    s.append_batch([500.0], [1.0], [1.0], [9.0])
    qtbot.wait(150)  # several frame intervals
    assert plot.frames == frames
    assert _curve(plot, "a").x[-1] != 500.0
    plot.set_paused(False)
    qtbot.waitUntil(lambda: _curve(plot, "a").x[-1] == 500.0)


def test_palette_change_rethemes(plot, qapp):
    from genesis_desktop.ui.theme import DARK, LIGHT, apply_theme

    plot.add_run("a", _series())
    apply_theme(qapp, LIGHT)
    qapp.processEvents()
    light = plot.plot.backgroundBrush().color().name()
    apply_theme(qapp, DARK)
    qapp.processEvents()
    assert plot.theme.dark and plot.plot.backgroundBrush().color().name() != light


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _none_refs() -> int:
    gc.collect()
    return sys.getrefcount(None)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from /proc")
def test_soak_frames_of_appended_batches_do_not_leak(plot):
    runs = [Series(capacity=512, band=(i == 0)) for i in range(2)]
    for i, s in enumerate(runs):
        plot.add_run(f"run {i}", s)
    plot.resize(480, 300)
    plot.set_smoothing(0.6)
    plot.timer.stop()  # frames are driven here, one per loop
    rng = np.random.default_rng(0)
    batch = 8

    def frame(k: int) -> None:
        step = np.arange(k * batch, (k + 1) * batch, dtype=float)
        for i, s in enumerate(runs):
            v = rng.normal(i, 1.0, batch)
            s.append_batch(step, step * 1e-3, 1.79e9 + step * 1e-3, v, *((v - 1, v + 1) if s.band else ()))
        plot.redraw()
        QApplication.processEvents()
        plot.repaint()

    for k in range(200):
        frame(k)
    none_before, rss_before = _none_refs(), _rss_bytes()
    for k in range(200, 2200):
        frame(k)
        if k % 100 == 0:
            # Falling is the PySide6 leak (a reference lost per void call); checked often, so a leaking
            # build fails here before None's count reaches zero and aborts the interpreter.
            assert none_before - sys.getrefcount(None) <= 200, "references to None are being lost"
    assert plot.frames >= 2200
    assert all(len(s) <= 512 for s in runs) and runs[0].received == 2200 * batch
    drift, growth = none_before - _none_refs(), _rss_bytes() - rss_before
    assert abs(drift) <= 200, f"references to None moved by {drift} over 2,000 frames"
    assert growth <= 40 * 2**20, f"resident memory grew {growth / 2**20:.1f} MiB over 2,000 frames"


def test_a_growing_run_is_reduced_by_its_tail_to_what_a_full_reduction_gives(plot):
    from genesis_desktop.ui.telemetry_reduce import Columns, in_view, reduce_run

    s = Series(capacity=8192)
    plot.add_run("a", s)
    plot.set_smoothing(0.3)
    plot.follow_button.setChecked(False)
    plot.view.setRange(xRange=(0, 6000), yRange=(-50, 50), padding=0)
    rng = np.random.default_rng(2)
    done = 0
    for _ in range(12):
        step = np.arange(done, done + 400, dtype=float)
        s.append_batch(step, step, step, rng.normal(size=400).cumsum())
        done += 400
        plot.redraw()
        plot.plot.viewport().repaint()
    c = plot.curves.curves["a"]
    assert c.reduced is not None and c.reduced.lo == 0 and c.reduced.extended
    (x0, x1), _ = plot.view.viewRange()
    columns = Columns(x0, x1, max(int(plot.view.width()), 1))
    whole = reduce_run(c.x, c.ys, columns, *in_view(c.x, x0, x1), columns.edges, columns.centres)
    np.testing.assert_array_equal(c.reduced.x, whole.x)
    for kind in ("line", "raw"):
        np.testing.assert_array_equal(c.reduced.ys[kind], whole.ys[kind])
