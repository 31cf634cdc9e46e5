"""Starting the desktop: the QApplication, its look, the portfolio, the main window; and screenshots.

`run_gui` is what `genesis gui` calls; `render_screenshot` is what `genesis screenshot` calls. Both
open the portfolio with `open_store`, so the database is created or upgraded the same way as by the CLI.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from genesis_desktop import __version__
from genesis_desktop.portfolio.store import StoreError, open_store

from .main_window import APP_TITLE, MainWindow
from .resources import icon
from .role_view import NotForThisRole, open_window, refuse_reviewer
from .theme import apply_theme, follow_system_scheme
from .views import SCREENSHOT_VIEWS

APP_NAME = "genesis-desktop"  # also the .desktop file's name and the icon's name
ORGANIZATION = "Genesis Mission"
ORGANIZATION_DOMAIN = "genesis-mission.org"


def display_problem() -> str | None:
    """Why a window cannot be shown here, or None. Qt itself would abort the process instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "genesis: no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "Start it from a desktop session, or run it under a virtual display (xvfb-run genesis gui),\n"
        "or render a view to a file instead: genesis screenshot proposals --out proposals.png"
    )


def make_application(argv: Sequence[str] | None = None, platform: str | None = None) -> QApplication:
    """The process's QApplication, created and themed on first call; reused afterwards."""
    existing = QCoreApplication.instance()
    if existing is not None:
        if not isinstance(existing, QApplication):
            raise RuntimeError("a non-widget Qt application already exists in this process")
        return existing
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setOrganizationDomain(ORGANIZATION_DOMAIN)
    QGuiApplication.setDesktopFileName(APP_NAME)
    # Only the program name goes to Qt, so that it never eats the genesis command's own options.
    args = list(argv if argv is not None else sys.argv[:1]) or ["genesis"]
    if platform:
        args += ["-platform", platform]
    app = QApplication(args)
    app.setWindowIcon(icon("genesis", selected=None))
    apply_theme(app)
    follow_system_scheme(app)
    return app


def run_gui(url: str | None, argv: Sequence[str] | None = None, safe_mode: bool = False) -> int:
    """Show the desktop on the portfolio at `url` (None: the default one) until it is closed."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = make_application(argv)
    try:
        store = open_store(url)
    except (StoreError, OSError) as exc:
        print(f"genesis: {exc}", file=sys.stderr)
        QMessageBox.critical(None, f"{APP_TITLE}: cannot open the portfolio", str(exc))
        return 1
    window = None
    try:
        try:  # a reviewer's sign-in gets the reviewer's own desk, the others the main window
            window = open_window(store, safe_mode=safe_mode)
        except (NotForThisRole, PermissionError) as exc:
            print(f"genesis: {exc}", file=sys.stderr)
            QMessageBox.critical(None, f"{APP_TITLE}: cannot open the portfolio", str(exc))
            return 2
        window.show()
        return app.exec()
    finally:
        if isinstance(window, MainWindow):
            window.desk.shutdown()
        elif window is not None:
            window.shutdown()
        store.close()


def render_screenshot(
    url: str | None, view: str, out: Path, size: tuple[int, int] = (1280, 800), timeout_ms: int = 60_000
) -> Path:
    """Render one view of the main window offscreen, with its data loaded, to the PNG file `out`."""
    if view not in SCREENSHOT_VIEWS:
        raise ValueError(f"unknown view {view!r}; known views: {', '.join(SCREENSHOT_VIEWS)}")
    out = Path(out)
    app = make_application(platform="offscreen")
    store = open_store(url)
    try:
        refuse_reviewer(store, "the programme office's views")
        window = MainWindow(store)
    except (NotForThisRole, PermissionError) as exc:
        store.close()
        raise ValueError(str(exc)) from None
    try:
        window.resize(*size)
        window.select_view(view)
        window.show()
        if not window.wait_until_loaded(timeout_ms):
            raise TimeoutError(f"the {view} view did not load within {timeout_ms / 1000:.0f} s")
        if view in window.errors:
            raise RuntimeError(f"the {view} view could not load: {window.errors[view]}")
        app.processEvents()
        return save_png(window, out)
    finally:
        window.close()
        # Closing hides it; the window (thousands of widgets) would live on, in tests restyled with
        # every theme change after.
        window.deleteLater()
        store.close()


def save_png(widget, out: Path) -> Path:
    """The widget as it is drawn now, written to the PNG file `out` (its folder made if need be)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(out), "PNG"):
        raise OSError(f"could not write the PNG file {out}")
    return out
