"""`genesis self-test` as a person (or the frozen-build test) runs it: a real process, JSON out."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_self_test_checks_plugins_kernels_resources_window_a_job_files_and_a_report(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "genesis_desktop", "self-test"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    checks = report["checks"]
    assert report["ok"] and set(checks) == {"plugins", "kernels", "resources", "portfolio", "window", "local_job",
                                            "files", "report"}
    local = checks["plugins"]["backends"]["local"]
    assert local["imports"] and local["reachable"]
    assert {"pi", "risk", "assignment", "calibration", "selection", "robustness"} <= set(checks["kernels"]["kernels"])
    assert checks["resources"]["resources"] == len(checks["resources"]["names"]) >= 20
    assert "icons/genesis.svg" in checks["resources"]["names"]
    assert {"overview", "challenges", "proposals", "partners", "reviews", "compute"} <= set(checks["window"]["views"])
    assert checks["window"]["colours"] >= 8
    assert 3.0 < checks["local_job"]["pi"] < 3.3
    assert checks["files"]["rows_round_tripped"]["xlsx"] == checks["files"]["rows_round_tripped"]["parquet"] > 100
    assert checks["report"]["chosen"] > 0 and checks["report"]["report_bytes"]["pdf"] > 5000
    # The self-test leaves the person's remembered layout alone.
    assert not (tmp_path / "config").exists() or not any((tmp_path / "config").rglob("*.conf"))


def test_a_backend_the_installer_shipped_but_that_is_missing_fails_the_plugin_check():
    from genesis_desktop.ui.self_test import check_plugins

    with pytest.raises(RuntimeError, match="backends nosuch are not found through the entry points; found: local"):
        check_plugins(False, ["local", "nosuch"])
    assert check_plugins(True, ["local"])["backends"]["local"]["imports"]
