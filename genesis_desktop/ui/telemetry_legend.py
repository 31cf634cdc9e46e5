"""The legend of a live plot: one button per run, drawn in the run's colour and line style.

A click isolates the run (only it is drawn; a second click brings the others back), as in Grafana;
the context menu hides or pins it. The legend only reports what was asked: the plot decides.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from .flow_layout import FlowLayout

SWATCH = QSize(28, 12)


def line_icon(pen: QPen) -> QIcon:
    pixmap = QPixmap(SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    shown = QPen(pen)
    # Two pixels in the legend so a dotted style is still readable at icon size.
    shown.setWidth(2)
    painter.setPen(shown)
    painter.drawLine(1, SWATCH.height() // 2, SWATCH.width() - 1, SWATCH.height() // 2)
    painter.end()
    return QIcon(pixmap)


class RunLegend(QWidget):
    def __init__(self, on_isolate: Callable[[str], None], on_hide: Callable[[str, bool], None],
                 on_pin: Callable[[str, bool], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._on_isolate, self._on_hide, self._on_pin = on_isolate, on_hide, on_pin
        self.buttons: dict[str, QToolButton] = {}
        self._layout = FlowLayout(self, spacing=6)

    def set_entry(self, name: str, pen: QPen, shown: bool, pinned: bool) -> None:
        button = self.buttons.get(name)
        if button is None:
            button = self.buttons[name] = QToolButton(self)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAutoRaise(True)
            button.setIconSize(SWATCH)
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.clicked.connect(lambda _=False, n=name: self._on_isolate(n))
            button.customContextMenuRequested.connect(lambda pos, n=name: self._menu(n, pos))
            self._layout.addWidget(button)
        button.setIcon(line_icon(pen))
        button.setText(f"{name} (pinned)" if pinned else name)
        font = button.font()
        font.setStrikeOut(not shown)
        button.setFont(font)
        button.setProperty("shown", shown)
        button.setProperty("pinned", pinned)
        button.setToolTip(f"{name}: click to show only this run (click again for all); "
                          "right-click to hide or pin it")

    def remove_entry(self, name: str) -> None:
        button = self.buttons.pop(name, None)
        if button is not None:
            self._layout.removeWidget(button)
            button.deleteLater()

    def _menu(self, name: str, pos: QPoint) -> None:
        button = self.buttons[name]
        menu = QMenu(button)
        shown, pinned = bool(button.property("shown")), bool(button.property("pinned"))
        menu.addAction("Hide" if shown else "Show", lambda: self._on_hide(name, shown))
        menu.addAction("Unpin" if pinned else "Pin", lambda: self._on_pin(name, not pinned))
        menu.exec(button.mapToGlobal(pos))
        menu.deleteLater()
