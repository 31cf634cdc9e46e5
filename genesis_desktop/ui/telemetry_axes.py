"""Axes for live plots that repaint as a blit.

A pyqtgraph axis that draws the grid covers the whole plot area, so every frame of a live plot
repaints it; pyqtgraph keeps the axis as a QPicture, whose replay re-lays every tick label (about
2 ms an axis, more than all the curves of a plot). These axes draw into an image instead and
redraw it only when pyqtgraph drops its picture (a new range, size or style).
Painting into anything but the screen (an SVG export, a print) still replays the vector picture.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPicture
from PySide6.QtWidgets import QWidget


class _ImageCache:
    def _init_cache(self) -> None:
        self._image: QImage | None = None
        self._image_of: tuple | None = None  # (picture, rect, ratio) the image was made from

    def paint(self, p: QPainter, opt, widget) -> None:
        device = p.device()
        if not isinstance(device, QWidget):
            super().paint(p, opt, widget)
            return
        rect = self.boundingRect()
        ratio = device.devicePixelRatioF()
        made_of = self._image_of
        if (self.picture is None or made_of is None or made_of[0] is not self.picture
                or made_of[1:] != (rect, ratio)):
            size = rect.size().toSize() * ratio
            image = QImage(max(size.width(), 1), max(size.height(), 1), QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.translate(-rect.topLeft())
            # What pyqtgraph's paint does, straight into the image: recording the labels in a
            # QPicture and replaying it cost 3 ms an axis, more than drawing them.
            if self.style["tickFont"]:
                painter.setFont(self.style["tickFont"])
            specs = self.generateDrawSpecs(painter)
            if specs is not None:
                self.drawPicture(painter, *specs)
            painter.end()
            if self.picture is None:
                self.picture = QPicture()  # a token: pyqtgraph sets it to None to ask for a redraw
            # The picture itself is kept (not its id), so a new picture can never pass for it.
            self._image, self._image_of = image, (self.picture, rect, ratio)
        p.drawImage(rect.topLeft(), self._image)


class CachedAxisItem(_ImageCache, pg.AxisItem):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_cache()


class CachedDateAxisItem(_ImageCache, pg.DateAxisItem):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_cache()
