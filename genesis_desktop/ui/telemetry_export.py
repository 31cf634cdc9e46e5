"""Writing out what a live plot shows: its visible samples as CSV, the plot as PNG or SVG."""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

CSV_HEADER = ("run", "step", "relative_s", "wall_time_utc", "value", "smoothed", "low", "high")


def _number(v: float) -> str:
    return "" if not np.isfinite(v) else repr(float(v))


def write_csv(path: str | Path, rows: Iterable[tuple[str, dict[str, np.ndarray]]]) -> int:
    """rows: (run name, columns of its visible samples). Returns the number of samples written."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for name, c in rows:
            n = len(c["value"])
            nan = np.full(n, np.nan)
            low, high = c.get("low", nan), c.get("high", nan)
            for i in range(n):
                wall = datetime.fromtimestamp(c["wall"][i], timezone.utc).isoformat() if np.isfinite(c["wall"][i]) else ""
                writer.writerow((name, _number(c["step"][i]), _number(c["relative"][i]), wall,
                                 _number(c["value"][i]), _number(c["smoothed"][i]), _number(low[i]),
                                 _number(high[i])))
            count += n
    return count


def write_image(plot: pg.PlotWidget, path: str | Path) -> None:
    """PNG or SVG by the file's suffix, of the plot as it is on screen.

    SVG goes through Qt's own QSvgGenerator: pyqtgraph's SVGExporter fails on the path data that
    Qt 6 writes ("not enough values to unpack" in its coordinate rewriting).
    """
    suffix = Path(path).suffix.lower()
    size = plot.viewport().size()
    if suffix == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(size)
        generator.setViewBox(QRect(QPoint(0, 0), size))
        generator.setTitle(plot.getPlotItem().titleLabel.text or "Genesis live plot")
        painter = QPainter(generator)
        try:
            plot.render(painter)
        finally:
            painter.end()
    elif suffix == ".png":
        image = plot.grab()
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write the plot to {path}")
    else:
        raise ValueError(f"export the plot as .png or .svg, not {suffix or 'a file without a suffix'}")
