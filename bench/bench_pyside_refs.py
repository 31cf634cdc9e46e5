"""References to None gained or lost per call, for the Qt calls a live plot makes: why PySide6 is pinned.

    python bench/bench_pyside_refs.py

PySide6 6.12.0 loses a reference per void call on CPython 3.11 (the interpreter aborts once None's
count reaches zero); 6.10.x and 6.11.x gain 5 or 6 for every QPainter opened on a QPixmap or a
QPicture, which pyqtgraph does at each axis redraw. Run it in an environment with the candidate
PySide6 installed: every figure should be 0.0.
"""
from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6  # noqa: E402
from PySide6.QtGui import QImage, QPainter, QPicture, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402

CALLS = 1000


def painter_on(device) -> None:
    painter = QPainter(device)
    painter.end()


def per_call(call) -> float:
    for _ in range(10):
        call()
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        call()
    gc.collect()
    return (sys.getrefcount(None) - before) / CALLS


def main() -> None:
    app = QApplication.instance() or QApplication([])
    label = QLabel("x")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    checks = {
        "QPainter on a QImage": lambda: painter_on(image),
        "QPainter on a QPixmap": lambda: painter_on(QPixmap(10, 10)),
        "QPainter on a QPicture": lambda: painter_on(QPicture()),
        "a void call (QLabel.setText)": lambda: label.setText("y"),
        "a void call (QWidget.update)": label.update,
    }
    print(f"PySide6 {PySide6.__version__}, Python {sys.version.split()[0]}: references to None per call")
    for name, call in checks.items():
        print(f"  {name:<32} {per_call(call):+.1f}")
    app.processEvents()


if __name__ == "__main__":
    main()
