"""Starting the desktop: screenshots, the no-display message, resources shipped in the package."""
from __future__ import annotations

import configparser
import subprocess
import sys
from importlib.resources import files

import pytest
from PySide6.QtGui import QImage

from genesis_desktop.ui import app as gui
from genesis_desktop.ui.resources import icon, stylesheet, svg_pixmap


def distinct_colours(image: QImage, step: int = 7) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


@pytest.mark.parametrize("view", gui.SCREENSHOT_VIEWS)
def test_render_screenshot_writes_a_real_png(qapp, portfolio_url, tmp_path, view):
    out = gui.render_screenshot(portfolio_url, view, tmp_path / "shots" / f"{view}.png", size=(1024, 640))
    assert out.exists() and out.stat().st_size > 5_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1024, 640)
    assert distinct_colours(image) > 20, "the screenshot is (nearly) one colour"


def test_render_screenshot_refuses_unknown_views(portfolio_url, tmp_path):
    with pytest.raises(ValueError, match="unknown view 'portfolios'; known views: overview, challenges, proposals"):
        gui.render_screenshot(portfolio_url, "portfolios", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_run_gui_without_a_display_says_so_instead_of_aborting(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = ("import sys; from genesis_desktop.ui.app import run_gui; "
            f"sys.exit(run_gui('sqlite:///{tmp_path / 'p.sqlite'}'))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "no display" in result.stderr and "DISPLAY" in result.stderr
    assert "Fatal" not in result.stderr and "Aborted" not in result.stderr
    assert not (tmp_path / "p.sqlite").exists(), "nothing is created when no window can be shown"


def test_display_problem_respects_an_explicit_platform(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert gui.display_problem() is None
    monkeypatch.delenv("QT_QPA_PLATFORM")
    if sys.platform.startswith("linux"):
        assert "no display" in gui.display_problem()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert gui.display_problem() is None


def test_application_identity_and_theme(qapp):
    assert qapp.applicationName() == "genesis-desktop"
    assert qapp.organizationName() == "Genesis Mission"
    assert qapp.desktopFileName() == "genesis-desktop"
    sheet = qapp.styleSheet()
    assert "QListWidget#navigation" in sheet
    qapp.setStyleSheet("")  # style() names its base style only without a sheet
    try:
        assert qapp.style().name().lower() == "fusion"
    finally:
        qapp.setStyleSheet(sheet)
    assert not qapp.windowIcon().isNull()


def test_dark_scheme_gives_a_dark_palette(qapp):
    from genesis_desktop.ui.theme import DARK, LIGHT, apply_theme

    try:
        apply_theme(qapp, DARK)
        assert qapp.palette().window().color().lightness() < 80
        apply_theme(qapp, LIGHT)
        assert qapp.palette().window().color().lightness() > 180
    finally:
        apply_theme(qapp)


@pytest.mark.parametrize("name", ["genesis", "challenges", "proposals"])
def test_icons_render(qapp, name):
    pixmap = svg_pixmap(name, 48)
    assert pixmap.width() == 48 and distinct_colours(pixmap.toImage(), step=2) > 2
    assert not icon(name).isNull()


def test_stylesheet_and_desktop_entry_ship_in_the_package():
    assert "palette(highlight)" in stylesheet("app")
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read_string((files("genesis_desktop.resources") / "genesis-desktop.desktop").read_text("utf-8"))
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"] == "genesis gui"
    assert desktop["Icon"] == "genesis-desktop"
    assert desktop["Categories"] == "Office;Science;"
