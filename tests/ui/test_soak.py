"""Soak test: thousands of live-plot frames must not leak references to None or memory.

PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a void Qt method
(`update()`, `setText()`, each paint); a live pyqtgraph plot then aborts the process with
"Fatal Python error: none_dealloc" after a few hundred frames. This test is why PySide6 is pinned:
an upgrade that brings the leak back fails here instead of in an officer's hands. 6.10.x and 6.11.x
leak the other way (5 or 6 references gained per QPainter opened on a QPixmap or QPicture, so at
every axis redraw): the pin is 6.9.3, which does neither.

It needs only PySide6, pyqtgraph, numpy and pytest-qt, so it can be run on its own against any
candidate PySide6 release (copy the file into an empty folder and run pytest there).
"""
from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget  # noqa: E402

WARMUP_FRAMES = 200
FRAMES = 3000
# Checked often, so that a leaking build fails with a message long before None's count reaches zero
# and the interpreter aborts.
CHECK_EVERY = 25
# getrefcount(None) moves a little with whatever temporaries hold None when it is sampled; a leak
# of one reference per void call moves it by hundreds per frame.
NONE_TOLERANCE = 200
RSS_GROWTH_LIMIT = 64 * 1024 * 1024


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _none_refs() -> int:
    gc.collect()
    return sys.getrefcount(None)


class _LivePlot(QWidget):
    """A plot like the desktop's telemetry panel: one curve, a caption, redrawn every frame."""

    def __init__(self) -> None:
        super().__init__()
        self.caption = QLabel("frame 0")
        self.plot = pg.PlotWidget()
        self.curve = self.plot.plot(pen=pg.mkPen("#1f77b4", width=1))
        self.plot.setXRange(0, 2000, padding=0)
        self.plot.setYRange(-1.5, 1.5, padding=0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot)
        self.resize(640, 400)
        self.x = np.arange(2000, dtype=float)

    def frame(self, i: int) -> None:
        self.curve.setData(self.x, np.sin(self.x * 0.01 + i * 0.05) + 0.1 * np.cos(self.x * 0.3 + i))
        self.caption.setText(f"frame {i}")
        self.plot.update()
        # The scene tells the view what changed through a queued call: let it arrive, then paint now.
        QApplication.processEvents()
        self.repaint()


def test_live_plot_frames_do_not_leak_none_or_memory(qtbot):
    widget = _LivePlot()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)

    for i in range(WARMUP_FRAMES):
        widget.frame(i)
    qtbot.wait(10)
    none_before = _none_refs()
    rss_before = _rss_bytes()

    for i in range(1, FRAMES + 1):
        widget.frame(WARMUP_FRAMES + i)
        if i % CHECK_EVERY == 0:
            drift = none_before - sys.getrefcount(None)
            assert drift <= NONE_TOLERANCE, (
                f"references to None fell by {drift} over {i} frames ({drift / i:.1f} per frame): "
                f"this PySide6 ({_pyside_version()}) leaks None on void calls and would abort a live plot"
            )
    grabbed = widget.grab()
    assert not grabbed.isNull()

    drift = none_before - _none_refs()
    growth = _rss_bytes() - rss_before
    assert abs(drift) <= NONE_TOLERANCE, (
        f"references to None moved by {drift} over {FRAMES} frames ({drift / FRAMES:.2f} per frame)"
    )
    assert growth <= RSS_GROWTH_LIMIT, (
        f"resident memory grew {growth / 2**20:.1f} MiB over {FRAMES} frames "
        f"({growth / FRAMES / 1024:.1f} KiB per frame; limit {RSS_GROWTH_LIMIT / 2**20:.0f} MiB)"
    )


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__
