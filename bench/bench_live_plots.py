"""Live telemetry plots under load: 32 series at 1,000 samples a second each, drawn at 30 Hz.

    python bench/bench_live_plots.py [--seconds 60] [--skip-baseline]

In this process, with Qt offscreen, a producer thread makes 32 series (random walks; one plot's
runs carry a 95% band) and hands them to the GUI thread as one batch of arrays every 20 ms, as the
Compute view receives telemetry. The GUI thread appends them to the series and, every 33 ms, the
plots redraw and Qt paints what changed. Four LivePlots of eight runs each, in a
1400 x 900 window: the Compute view's layout. Printed:

- frame time (the redraw of every changed run plus the paints Qt then makes), median and 99th
  percentile;
- the event loop's longest stall and its 99th percentile (a 5 ms timer records how late it fires);
- CPU use of the process (both threads) over the run, in cores;
- resident memory growth while the data streams (the aim), after the series' buffers have
  filled, and with the building of the plots themselves.

Then the same load drawn the common way, one pyqtgraph PlotDataItem per run with its peak
downsampling and clip-to-view, as the baseline; and one redraw of 1,000,000 points in view with and
without our per-pixel-column reduction. Aims (2 cores): median frame < 16 ms, p99 < 50 ms, memory
growth < 50 MB. Figures, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QObject, QTimer, Signal  # noqa: E402
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from genesis_desktop.ui.telemetry_plot import LivePlot  # noqa: E402
from genesis_desktop.ui.telemetry_series import Series  # noqa: E402

PLOTS, RUNS, RATE_HZ, BATCH_MS, FRAME_MS, TICK_MS = 4, 8, 1000, 20, 33, 5
AIMS = {"median frame ms": 16.0, "p99 frame ms": 50.0, "memory growth MB": 50.0}


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Producer(QObject):
    batch = Signal(object)  # (t0, list of value arrays, one per series)

    def __init__(self, series: int) -> None:
        super().__init__()
        self.series, self.stop = series, threading.Event()
        self.rng = np.random.default_rng(0)
        self.level = np.zeros(series)

    def run(self) -> None:
        per = RATE_HZ * BATCH_MS // 1000
        sent = 0
        start = time.perf_counter()
        while not self.stop.is_set():
            steps = self.rng.normal(0, 0.05, (self.series, per)).cumsum(axis=1) + self.level[:, None]
            self.level = steps[:, -1]
            self.batch.emit((sent, steps))
            sent += per
            wait = start + sent / RATE_HZ - time.perf_counter()
            if wait > 0:
                time.sleep(wait)


class Stalls:
    def __init__(self) -> None:
        self.late: list[float] = []
        self.timer = QTimer(interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(now - self.last - TICK_MS / 1000, 0.0))
        self.last = now


def window_of_plots(app: QApplication, drawer: str) -> tuple[QWidget, list, list[Series]]:
    window = QWidget()
    grid = QGridLayout(window)
    window.resize(1400, 900)
    series, plots = [], []
    for p in range(PLOTS):
        band = p == 2  # the estimate plot
        if drawer == "ours":
            plot = LivePlot(f"plot {p}")
            plot.hide_shared_controls()
            plot.timer.stop()
        else:
            plot = pg.PlotWidget(title=f"plot {p}")
            plot.items_of_runs = []
        grid.addWidget(plot, p // 2, p % 2)
        for r in range(RUNS):
            s = Series(band=band)
            series.append(s)
            if drawer == "ours":
                plot.add_run(f"run {r}", s)
            else:
                item = plot.plot(pen=pg.mkPen(pg.intColor(r, RUNS)))
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                plot.items_of_runs.append((item, s))
        plots.append(plot)
    window.show()
    app.processEvents()
    if drawer == "ours":
        for plot in plots:
            plot.timer.stop()  # frames are driven by the benchmark, to time each one whole
    return window, plots, series


def redraw(plots, drawer: str) -> None:
    if drawer == "ours":
        for plot in plots:
            plot.redraw()
        return
    for plot in plots:
        for item, s in plot.items_of_runs:
            item.setData(s.step.copy(), s.value.copy())
        plot.getPlotItem().getViewBox().setXRange(max(0.0, s.step[-1] - 9000) if len(s) else 0, s.step[-1] if len(s) else 1)


def run_load(app: QApplication, seconds: float, drawer: str) -> dict[str, float]:
    rss_empty = rss_mb()
    window, plots, series = window_of_plots(app, drawer)
    rss_start = rss_mb()
    producer = Producer(len(series))
    frames: list[float] = []
    parts: list[tuple[float, float]] = []

    def take(batch) -> None:
        first, values = batch
        step = np.arange(first, first + values.shape[1], dtype=np.float64)
        rel, wall = step / RATE_HZ, 1.79e9 + step / RATE_HZ
        for s, v in zip(series, values):
            if s.band:
                s.append_batch(step, rel, wall, v, v - 0.2, v + 0.2)
            else:
                s.append_batch(step, rel, wall, v)

    painting = [0.0]
    paint_event = pg.GraphicsView.paintEvent

    def timed_paint(view, event) -> None:
        t = time.perf_counter()
        paint_event(view, event)
        painting[0] += time.perf_counter() - t

    pg.GraphicsView.paintEvent = timed_paint
    last_redraw = [None]

    def frame() -> None:
        # A frame: the redraw, then the paints Qt makes of what it changed (they run later in the
        # event loop, so the previous frame is closed here, with the paints since its redraw).
        if last_redraw[0] is not None:
            frames.append(last_redraw[0] + painting[0])
            parts.append((last_redraw[0], painting[0]))
        painting[0] = 0.0
        t = time.perf_counter()
        redraw(plots, drawer)
        last_redraw[0] = time.perf_counter() - t

    producer.batch.connect(take)
    frame_timer = QTimer(interval=FRAME_MS)
    frame_timer.timeout.connect(frame)
    stalls = Stalls()
    thread = threading.Thread(target=producer.run, daemon=True)
    cpu0, wall0 = os.times(), time.perf_counter()
    thread.start()
    frame_timer.start()
    stalls.timer.start()
    warm_rss = None
    end = wall0 + seconds
    while time.perf_counter() < end:
        app.processEvents()
        if warm_rss is None and time.perf_counter() - wall0 > min(12.0, seconds / 2):
            warm_rss = rss_mb()  # the series buffers (8,192 samples each) are full by now
        time.sleep(0.001)
    producer.stop.set()
    thread.join()
    frame_timer.stop()
    stalls.timer.stop()
    cpu1, wall1 = os.times(), time.perf_counter()
    app.processEvents()
    pg.GraphicsView.paintEvent = paint_event
    rss_end = rss_mb()
    window.close()
    cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / (wall1 - wall0)
    ms = sorted(f * 1000 for f in frames)
    late = sorted(x * 1000 for x in stalls.late)
    return {"frames": len(ms), "median frame ms": statistics.median(ms),
            "  of which redraw ms": statistics.median(p[0] for p in parts) * 1000,
            "  of which paint ms": statistics.median(p[1] for p in parts) * 1000, "p99 frame ms": ms[int(0.99 * (len(ms) - 1))],
            "max stall ms": late[-1], "p99 stall ms": late[int(0.99 * (len(late) - 1))], "cpu cores": cpu,
            "memory growth MB": rss_end - rss_start, "growth after warm-up MB": rss_end - (warm_rss or rss_start),
            "with building the plots MB": rss_end - rss_empty,
            "samples": int(sum(s.received for s in series))}


def million_points(app: QApplication) -> tuple[float, float, float, float]:
    n = 1_000_000
    series = Series(capacity=n)
    step = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(1)
    # A noisy metric (a drifting mean under sample noise), as a loss or an estimate per block looks.
    values = rng.normal(0, 0.05, n).cumsum() + rng.normal(0, 1.0, n)
    series.append_batch(step, step / 1e3, 1.79e9 + step / 1e3, values)
    plot = LivePlot("1,000,000 points")
    plot.resize(1000, 600)
    plot.show()
    plot.timer.stop()
    plot.add_run("one", series)
    plot.redraw()
    plot.repaint()
    app.processEvents()
    out = []
    for reduce in (True, False):
        plot.curves.reduce = reduce
        times = []
        for _ in range(5):
            plot.runs["one"].drawn_version = -1
            builds = plot.curves.builds
            t = time.perf_counter()
            plot.redraw()
            app.processEvents()  # the scene hands its changes to the view
            plot.plot.viewport().repaint()
            times.append(time.perf_counter() - t)
            assert plot.curves.builds == builds + 1, "the redraw was not painted"
        out.append(statistics.median(times) * 1000)
    plot.close()
    # The same million with pyqtgraph's own item, its peak downsampling on and off.
    widget = pg.PlotWidget()
    widget.resize(1000, 600)
    widget.show()
    item = widget.plot(step, values)
    item.setClipToView(True)
    for auto in (True, False):
        item.setDownsampling(auto=auto, method="peak") if auto else item.setDownsampling(ds=1, auto=False)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            item.setData(step, values)
            app.processEvents()
            widget.viewport().repaint()
            times.append(time.perf_counter() - t)
        out.append(statistics.median(times) * 1000)
    widget.close()
    return tuple(out)


def show(name: str, figures: dict[str, float]) -> None:
    print(f"\n{name}")
    for key, value in figures.items():
        aim = AIMS.get(key)
        verdict = "" if aim is None else f"   aim < {aim:g}: {'met' if value < aim else 'MISSED'}"
        print(f"  {key:>24}: {value:,.2f}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"{PLOTS * RUNS} series x {RATE_HZ} samples/s, {args.seconds:g} s, frames every {FRAME_MS} ms, "
          f"{os.cpu_count()} cores")
    ours = run_load(app, args.seconds, "ours")
    show("LivePlot (RunCurves: one item per plot, per-pixel-column peaks, running smoothing)", ours)
    if not args.skip_baseline:
        base = run_load(app, args.seconds, "pyqtgraph")
        show("baseline: one PlotDataItem per run, peak downsampling + clip-to-view", base)
        print(f"\n  median frame, baseline / ours: {base['median frame ms'] / ours['median frame ms']:.2f}x")
    reduced, full, pg_down, pg_full = million_points(app)
    print(f"\n1,000,000 noisy points in view, one redraw (1000 x 600 px):")
    print(f"  LivePlot: per-column peaks {reduced:.1f} ms, every point {full:.1f} ms, ratio {full / reduced:.1f}x")
    print(f"  pyqtgraph PlotDataItem: peak downsampling {pg_down:.1f} ms, none {pg_full:.1f} ms, "
          f"ratio {pg_full / pg_down:.1f}x")


if __name__ == "__main__":
    main()
