"""`run_gui` on a real X server (Xvfb), through Qt's xcb platform, in its own process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from PySide6.QtGui import QImage

# Runs in a fresh process: one Qt platform per process, and this one must be xcb, not offscreen.
WINDOW_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from genesis_desktop.ui.app import make_application, run_gui
    from genesis_desktop.ui.main_window import MainWindow

    url, out = sys.argv[1], sys.argv[2]
    app = make_application(["genesis"])
    deadline = time.monotonic() + 30
    settle = []

    def poll():
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        handle = windows[0].windowHandle() if windows else None
        if time.monotonic() > deadline:
            print("the window never became exposed and loaded", file=sys.stderr)
            app.exit(3)
            return
        if not (handle and handle.isExposed() and windows[0].is_loaded):
            return
        window = windows[0]
        if not settle:
            window.move(40, 30)
            window.resize(1100, 700)
            window.select_view("proposals")
        settle.append(1)
        if len(settle) < 10:  # a few turns of the loop, so the X server holds the painted frame
            return
        timer.stop()
        screen = QGuiApplication.primaryScreen()
        if not screen.grabWindow(0).save(out, "PNG"):
            print("could not save the screen grab", file=sys.stderr)
            app.exit(4)
            return
        print(json.dumps({"platform": QGuiApplication.platformName(), "title": window.windowTitle(),
                          "rows": window.page("proposals").model.rowCount(),
                          "screen": [screen.size().width(), screen.size().height()],
                          "geometry": [window.x(), window.y(), window.width(), window.height()]}))
        window.close()

    timer = QTimer(interval=50)
    timer.timeout.connect(poll)
    timer.start()
    sys.exit(run_gui(url))
""")


def test_main_window_on_a_real_x_server(xvfb_display, portfolio_url, portfolio_data, tmp_path):
    out = tmp_path / "screen.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(xvfb_display.env, QT_QPA_PLATFORM="xcb")
    result = subprocess.run([sys.executable, "-c", WINDOW_SCRIPT, portfolio_url, str(out)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb"
    assert report["title"] == "Genesis Desktop — portfolio.sqlite"
    assert report["rows"] == len(portfolio_data.proposals)
    assert report["screen"] == [xvfb_display.width, xvfb_display.height]

    image = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB32)
    assert (image.width(), image.height()) == (xvfb_display.width, xvfb_display.height)
    # Xvfb's empty root window is black: the window's pixels must differ inside it, not outside.
    x, y, w, h = report["geometry"]
    inside = {image.pixel(px, py) for px in range(x + 5, x + w - 5, 9) for py in range(y + 5, y + h - 5, 9)}
    assert len(inside) > 20, "the window area on the X screen is (nearly) one colour"
    outside = image.pixel(xvfb_display.width - 2, xvfb_display.height - 2)
    assert image.pixel(x + w // 2, y + h // 2) != outside or len(inside) > 20
