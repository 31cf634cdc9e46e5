"""The desktop on a portfolio in a real PostgreSQL 15 server (tests/servers/postgres.py): every view
loads and a frame renders. In a process of its own, as a person starts it (and so that no window of
it outlives the test in this process); tests/portfolio/test_postgres.py covers the records."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

pytestmark = pytest.mark.xdist_group("postgres")

WINDOW = """
import json, sys
from pathlib import Path
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.ui.self_test import check_window
store = open_store(sys.argv[1]); build_demo(store, proposals=40); store.close()
print(json.dumps(check_window(sys.argv[1], Path(sys.argv[2]))))
"""


def test_the_desktop_loads_every_view_from_postgresql(pg_url, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", WINDOW, pg_url, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    window = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"overview", "proposals", "reviews", "portfolio", "compute"} <= set(window["views"])
    assert window["colours"] >= 8
    frame = QImage(str(tmp_path / "frame.png"))
    assert (frame.width(), frame.height()) == tuple(window["frame"])
