"""`genesis self-test` as a person (or the frozen-build test) runs it: a real process, JSON out."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def test_self_test_checks_plugins_resources_window_and_a_local_job(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "genesis_desktop", "self-test"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    checks = report["checks"]
    assert report["ok"] and set(checks) == {"plugins", "resources", "portfolio", "window", "local_job"}
    assert checks["plugins"]["backends"]["local"]["loads"]
    assert checks["resources"]["resources"] >= 20
    assert {"overview", "challenges", "proposals", "partners", "reviews", "compute"} <= set(checks["window"]["views"])
    assert checks["window"]["colours"] >= 8
    assert 3.0 < checks["local_job"]["pi"] < 3.3
    # The self-test leaves the person's remembered layout alone.
    assert not (tmp_path / "config").exists() or not any((tmp_path / "config").rglob("*.conf"))
