"""`genesis gui` and `genesis screenshot` as a user types them (real subprocesses)."""
from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage


def _genesis(*args, env):
    return subprocess.run([sys.executable, "-m", "genesis_desktop", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM",
                                                          "GENESIS_DB")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env.update(extra)
    return env


def test_gui_without_a_display_explains_and_creates_nothing(tmp_path):
    r = _genesis("gui", env=_env(tmp_path))
    assert r.returncode == 1
    assert "no display" in r.stderr and "genesis screenshot" in r.stderr
    assert not (tmp_path / "data").exists()


def test_screenshot_on_first_start_creates_the_demo_portfolio(tmp_path):
    out = tmp_path / "proposals.png"
    r = _genesis("screenshot", "proposals", "--out", str(out), env=_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "data" / "genesis-desktop" / "portfolio.sqlite").exists()
    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 600
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 23)}
    assert len(colours) > 20, "the view rendered as a blank image"


def test_screenshot_of_an_unknown_view_exits_2(tmp_path):
    r = _genesis("screenshot", "widgets", "--out", str(tmp_path / "w.png"),
                 env=_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 2 and "known views" in r.stderr
    assert not (tmp_path / "w.png").exists() and not (tmp_path / "data").exists()
