"""Look of the desktop: Fusion everywhere, a light or dark palette that follows the system, a style sheet.

Fusion looks the same on Linux, Windows and macOS, so screenshots and officers' screens agree. The
style sheet only adjusts spacing and emphasis and takes its colours from the palette, so one sheet
serves both schemes.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from .resources import stylesheet

LIGHT, DARK, SYSTEM = "light", "dark", "system"
THEME_CHOICES = (SYSTEM, LIGHT, DARK)
# Application properties: what the person chose, and the scheme in effect (charts read the latter).
_CHOICE, _SCHEME = "genesisThemeChoice", "genesisThemeScheme"
_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup


def system_scheme() -> str:
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        _Role.Window: "#202326",
        _Role.WindowText: "#e6e6e6",
        _Role.Base: "#17191c",
        _Role.AlternateBase: "#25292d",
        _Role.ToolTipBase: "#2d3136",
        _Role.ToolTipText: "#e6e6e6",
        _Role.PlaceholderText: "#9aa0a6",
        _Role.Text: "#e6e6e6",
        _Role.Button: "#2b2f33",
        _Role.ButtonText: "#e6e6e6",
        _Role.BrightText: "#ff6b6b",
        _Role.Light: "#3a3f44",
        _Role.Midlight: "#30353a",
        _Role.Mid: "#44494f",
        _Role.Dark: "#111315",
        _Role.Shadow: "#000000",
        _Role.Highlight: "#2f7ed8",
        _Role.HighlightedText: "#ffffff",
        _Role.Link: "#6cb4ff",
        _Role.LinkVisited: "#b39ddb",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (_Role.WindowText, _Role.Text, _Role.ButtonText):
        p.setColor(_Group.Disabled, role, QColor("#7b8086"))
    return p


def light_palette(app: QApplication) -> QPalette:
    p = app.style().standardPalette()
    p.setColor(_Role.Highlight, QColor("#2f7ed8"))
    p.setColor(_Role.HighlightedText, QColor("#ffffff"))
    p.setColor(_Role.AlternateBase, QColor("#f3f5f8"))
    return p


def apply_theme(app: QApplication, scheme: str | None = None) -> str:
    """Fusion, the palette for `scheme` (default: the system's), the style sheet. Returns the scheme."""
    scheme = scheme or system_scheme()
    sheet = stylesheet("app")
    if app.property(_SCHEME) == scheme and app.styleSheet() == sheet:
        # Already in effect: setting them again re-polishes every widget alive, twice (seconds, in a
        # long session or a test run), and changes nothing.
        return scheme
    # With a style sheet in place, style() is Qt's style-sheet wrapper, which does not say its base.
    app.setStyleSheet("")
    if app.style().name().lower() != "fusion":
        app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if scheme == DARK else light_palette(app))
    app.setStyleSheet(sheet)
    app.setProperty(_SCHEME, scheme)
    return scheme


def current_scheme(app: QApplication) -> str:
    return app.property(_SCHEME) or system_scheme()


def theme_choice(app: QApplication) -> str:
    return app.property(_CHOICE) or SYSTEM


def choose_theme(app: QApplication, choice: str) -> str:
    """Follow the system, or keep light or dark whatever the system says. Returns the scheme in effect."""
    if choice not in THEME_CHOICES:
        raise ValueError(f"unknown theme {choice!r}; choose one of {', '.join(THEME_CHOICES)}")
    app.setProperty(_CHOICE, choice)
    return apply_theme(app, None if choice == SYSTEM else choice)


def follow_system_scheme(app: QApplication) -> None:
    """Re-apply the theme when the system switches between light and dark, unless a scheme was chosen."""

    def changed(_scheme) -> None:
        if theme_choice(app) == SYSTEM:
            apply_theme(app)

    app.styleHints().colorSchemeChanged.connect(changed)
