"""The installer end to end: `installer/build.py` freezes the program (PyInstaller, one folder), the
bundle passes its own self-test, the Linux tarball installs with its install.sh into a private
prefix, and the installed program, started from there with no Python of ours, passes
`genesis self-test`, lists every resource of the source tree, finds every plugin and kernel, and
answers `summary` as the unfrozen program does. Then it is broken on purpose (a resource, a plugin's
metadata, the program's own metadata removed) and the self-test must say so.

It takes minutes (a build environment, PyInstaller), so it is marked `frozen`: skip it locally with
`make test PYTEST_ARGS='-m "not frozen"'`; CI runs it. Linux only (the tarball recipe).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

# Meant for one worker; when xdist spreads it anyway, build_once() keeps to one build.
pytestmark = [pytest.mark.frozen, pytest.mark.timeout(2400), pytest.mark.xdist_group("frozen"),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux package recipe")]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_BACKENDS = ("local", "slurm", "dask")
OWN_KERNELS = {"pi", "risk", "assignment", "calibration", "selection", "robustness"}


def clean_env(**extra: str) -> dict[str, str]:
    """No Python of ours on the way: the frozen program must carry everything it needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/bin:/bin"
    env["QT_QPA_PLATFORM"] = "offscreen"
    return {**env, **extra}


def build_once() -> Path:
    """The tarball, built once per test run: the xdist_group mark does not always keep this module on
    one worker (xdist 3.8), so the workers take turns on a lock and the later ones reuse the build."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
    dist = ROOT / "build" / f"test-dist-{run_id}"
    dist.parent.mkdir(exist_ok=True)
    with open(ROOT / "build" / "test-frozen.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dist / "built").exists():
            shutil.rmtree(dist, ignore_errors=True)
            done = subprocess.run([sys.executable, str(ROOT / "installer" / "build.py"), "--dist", str(dist)],
                                  capture_output=True, text=True, timeout=2000)
            assert done.returncode == 0, f"build failed:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
            assert "self-test of the frozen program: passed" in done.stdout
            (dist / "built").write_text(done.stdout)
    (tarball,) = dist.glob("genesis-desktop-*-linux-*.tar.gz")
    return tarball


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The tarball that `make installer` makes, unpacked and installed under a private prefix."""
    tarball = build_once()
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked, filter="tar")
    (folder,) = unpacked.iterdir()
    prefix = tmp_path_factory.mktemp("prefix")
    home = tmp_path_factory.mktemp("home")
    subprocess.run([str(folder / "install.sh")], check=True, env=clean_env(PREFIX=str(prefix), HOME=str(home)),
                   cwd=home, capture_output=True, timeout=300)
    return prefix


def genesis(prefix: Path, *argv: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = clean_env(HOME=str(home or prefix))
    return subprocess.run([str(prefix / "bin" / "genesis"), *argv], capture_output=True, text=True, env=env,
                          cwd=prefix, timeout=600)


def self_test(prefix: Path) -> dict:
    argv = ["self-test"] + [a for name in SHIPPED_BACKENDS for a in ("--expect-backend", name)]
    done = genesis(prefix, *argv)
    return json.loads(done.stdout) | {"exit": done.returncode}


def shipped_resources() -> list[str]:
    folder = ROOT / "resources"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)


def test_the_installed_program_passes_its_self_test(installed):
    report = self_test(installed)
    failed = {k: v.get("error") for k, v in report["checks"].items() if not v["ok"]}
    assert report["ok"] and report["exit"] == 0 and not failed, failed
    checks = report["checks"]
    assert set(checks) == {"plugins", "kernels", "resources", "portfolio", "window", "local_job", "files", "report"}
    assert set(checks["plugins"]["backends"]) == set(SHIPPED_BACKENDS)
    assert all(b["imports"] for b in checks["plugins"]["backends"].values())
    assert set(checks["kernels"]["kernels"]) == OWN_KERNELS
    assert checks["resources"]["names"] == shipped_resources()
    assert checks["window"]["colours"] >= 8 and len(checks["window"]["views"]) > 10
    assert 3.0 < checks["local_job"]["pi"] < 3.3


def test_the_installed_program_opens_its_window_on_a_real_x_server(installed, xvfb_display):
    # Qt's xcb platform and the X libraries it loads must be in the bundle, not only offscreen.
    env = {**clean_env(HOME=str(installed)), **xvfb_display.env}
    env.pop("QT_QPA_PLATFORM")
    done = subprocess.run([str(installed / "bin" / "genesis"), "self-test"], capture_output=True, text=True,
                          env=env, cwd=installed, timeout=600)
    window = json.loads(done.stdout)["checks"]["window"]
    assert window["ok"], window
    assert window["platform"] == "xcb" and window["colours"] >= 8


def test_the_package_installs_a_menu_entry_for_the_installed_program(installed):
    entry = (installed / "share" / "applications" / "genesis-desktop.desktop").read_text()
    program = installed / "opt" / "genesis-desktop" / "genesis"
    assert f"Exec={program} gui" in entry.splitlines()
    assert f"TryExec={program}" in entry.splitlines()
    assert os.access(program, os.X_OK)
    assert (installed / "bin" / "genesis").resolve() == program
    icons = installed / "share" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "genesis-desktop.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (icons / "scalable" / "apps" / "genesis-desktop.svg").read_bytes()


def test_unused_qt_modules_are_left_out(installed):
    internal = installed / "opt" / "genesis-desktop" / "_internal"
    names = {p.name for p in internal.rglob("*")}
    dangling = [str(p) for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    for unused in ("QtQml", "QtQuick", "QtNetwork", "QtSql", "QtTest", "QtDesigner", "QtUiTools"):
        # the Python module (QtTest.abi3.so) and Qt's library (libQt6Test.so.6)
        assert not any(n.startswith((unused + ".", f"libQt6{unused[2:]}.")) and ".so" in n for n in names), unused
    assert not any("flight" in n for n in names)
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so").exists()


def test_the_frozen_program_answers_as_the_unfrozen_one(installed, tmp_path):
    answers = []
    for label, command in (("frozen", [str(installed / "bin" / "genesis")]),
                           ("unfrozen", [sys.executable, "-m", "genesis_desktop"])):
        url = f"sqlite:///{tmp_path / f'{label}.sqlite'}"
        env = clean_env(HOME=str(tmp_path)) if label == "frozen" else {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        for argv in (["init", "--demo", "--proposals", "60"], ["summary", "--json"]):
            done = subprocess.run(command + ["--db", url] + argv, capture_output=True, text=True, env=env,
                                  cwd=tmp_path, timeout=600)
            assert done.returncode == 0, (label, argv, done.stderr[-3000:])
        answers.append(json.loads(done.stdout))
    assert answers[0] == answers[1]
    assert answers[0]["counts"]["proposals"] == 60 and answers[0]["money"]["commitments"]


def test_the_self_test_names_what_a_broken_bundle_lacks(installed, tmp_path):
    broken = tmp_path / "prefix"
    shutil.copytree(installed, broken, symlinks=True)
    internal = broken / "opt" / "genesis-desktop" / "_internal"
    (broken / "bin" / "genesis").unlink()
    (broken / "bin" / "genesis").symlink_to(broken / "opt" / "genesis-desktop" / "genesis")

    (internal / "genesis_desktop" / "resources" / "icons" / "reviews.svg").unlink()
    for meta in internal.glob("genesis_slurm-*.dist-info"):
        shutil.rmtree(meta)
    report = self_test(broken)
    assert not report["ok"] and report["exit"] == 1
    assert "reviews.svg" in report["checks"]["window"]["error"]
    assert "backends slurm are not found" in report["checks"]["plugins"]["error"]

    for meta in internal.glob("genesis_desktop-*.dist-info"):
        shutil.rmtree(meta)
    report = self_test(broken)
    assert "kernels assignment, calibration, selection, robustness are not found" in report["checks"]["kernels"]["error"]


def test_the_frozen_program_keeps_a_portfolio_on_postgresql(installed, pg_url, tmp_path):
    # The driver (psycopg and its libpq), the migrations with their triggers and grants, and the audit
    # log, all from inside the bundle, on the real server the suite started.
    for argv in (["init", "--demo", "--proposals", "40"], ["summary", "--json"], ["audit", "verify"]):
        done = genesis(installed, "--db", pg_url, *argv, home=tmp_path)
        assert done.returncode == 0, (argv, done.stderr[-3000:])
        if argv[0] == "summary":
            summary = json.loads(done.stdout)
    assert summary["counts"]["proposals"] == 40 and summary["money"]["commitments"]
    assert "intact" in done.stdout
