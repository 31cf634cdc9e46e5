"""Icons and style sheets shipped in the package (genesis_desktop.resources), read through importlib.

Never a path into the source tree: the same code works from a wheel, a zip or a frozen build.
"""
from __future__ import annotations

from importlib.resources import files

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

PACKAGE = "genesis_desktop.resources"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def resource_bytes(*parts: str) -> bytes:
    """The bytes of a shipped file, e.g. resource_bytes("icons", "genesis.svg")."""
    node = files(PACKAGE)
    for part in parts:
        node = node / part
    return node.read_bytes()


def stylesheet(name: str = "app") -> str:
    return resource_bytes("styles", f"{name}.qss").decode("utf-8")


def svg_pixmap(name: str, size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """An icon rendered at `size` logical pixels; a missing or broken SVG is an error, not a blank."""
    renderer = QSvgRenderer(QByteArray(resource_bytes("icons", f"{name}.svg")))
    if not renderer.isValid():
        raise ValueError(f"icons/{name}.svg in {PACKAGE} is not a valid SVG")
    side = max(1, round(size * device_pixel_ratio))
    image = QImage(QSize(side, side), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


def tinted(pixmap: QPixmap, colour: QColor | str) -> QPixmap:
    """The same shape in one flat colour (a monochrome view icon on a highlighted row)."""
    result = QPixmap(pixmap)
    painter = QPainter(result)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(result.rect(), QColor(colour))
    painter.end()
    return result


def icon(name: str, selected: QColor | str | None = "#ffffff") -> QIcon:
    """A QIcon with the SVG pre-rendered at the usual sizes (no dependence on the SVG icon plugin).

    `selected`: the flat colour drawn when the icon sits on a selected row (None keeps its colours),
    so that a blue icon stays visible on the blue selection.
    """
    result = QIcon()
    for size in ICON_SIZES:
        for ratio in (1.0, 2.0):
            pixmap = svg_pixmap(name, size, ratio)
            result.addPixmap(pixmap)
            if selected is not None:
                result.addPixmap(tinted(pixmap, selected), QIcon.Mode.Selected)
    return result
