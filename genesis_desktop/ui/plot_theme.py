"""pyqtgraph colours taken from the application palette, so charts follow the light or dark theme.

Series colours are the Okabe-Ito set, which people with the common colour-vision deficiencies can
tell apart; its black is left out because it vanishes on a dark background. Colour is never the
only cue: every series also has its own fill pattern (see chart_items), and the legend and the
tooltips name it.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

_Role = QPalette.ColorRole

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
# reddish purple, sky blue, yellow. Yellow comes last: it is faint on a white background.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
# Drawn over the series colour: solid first, then hatches that stay distinct in grey-scale print.
PATTERNS = (
    Qt.BrushStyle.NoBrush,
    Qt.BrushStyle.BDiagPattern,
    Qt.BrushStyle.CrossPattern,
    Qt.BrushStyle.FDiagPattern,
    Qt.BrushStyle.HorPattern,
    Qt.BrushStyle.DiagCrossPattern,
)


@dataclass(frozen=True)
class SeriesStyle:
    colour: QColor
    pattern: Qt.BrushStyle
    hatch: QColor  # colour of the pattern's lines, drawn over `colour`


@dataclass(frozen=True)
class PlotTheme:
    dark: bool
    background: QColor  # the plot area
    foreground: QColor  # text: tick labels, axis titles, value labels
    axis: QColor  # axis lines and ticks
    grid_alpha: float  # 0..1, of the axis colour
    series: tuple[QColor, ...]

    @classmethod
    def from_palette(cls, palette: QPalette) -> "PlotTheme":
        background = palette.color(_Role.Base)
        foreground = palette.color(_Role.Text)
        dark = background.lightness() < foreground.lightness()
        axis = QColor(foreground)
        axis.setAlphaF(0.65)
        return cls(dark=dark, background=background, foreground=foreground, axis=axis,
                   grid_alpha=0.22 if dark else 0.16, series=tuple(QColor(c) for c in OKABE_ITO))

    def style(self, index: int) -> SeriesStyle:
        """The look of the index-th series of a chart. Seven colours and six patterns cycle side by
        side, so the first 42 series all differ: series 8 has series 1's colour, not its pattern."""
        hatch = QColor(self.background)
        # Lines in the background colour read as cut into the bar, in both themes.
        hatch.setAlphaF(0.8)
        return SeriesStyle(self.series[index % len(self.series)], PATTERNS[index % len(PATTERNS)], hatch)
