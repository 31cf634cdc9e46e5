"""The core packages run where PySide6 cannot be imported (ARCHITECTURE.md: Qt stays in ui/).

A folder of stand-in packages that raise ImportError goes first on PYTHONPATH, so any Qt import in
the core fails loudly in a subprocess, as it would on a machine without Qt. The core's own tests run
that way too, once: `make test`'s first pass (scripts/run-tests) runs them with the same blocker, and
tests/conftest.py refuses to start that pass if Qt still imports. (They used to run a second time
here, in a subprocess: six minutes of every `make test`.)
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import genesis_desktop

PACKAGE = Path(genesis_desktop.__file__).parent
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt5", "PyQt6")


def _blocked_env(tmp_path: Path) -> dict[str, str]:
    for name in QT_MODULES:
        pkg = tmp_path / "no_qt" / name
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(f"raise ImportError('{name} is blocked: the core must not need Qt')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "no_qt"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("QT_QPA_PLATFORM", None)
    return env


def _core_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts
        if "ui" in parts or "migrations" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_no_qt_import_statement_outside_ui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


def test_blocker_really_blocks(tmp_path):
    probe = subprocess.run([sys.executable, "-c", "import PySide6"], env=_blocked_env(tmp_path),
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "blocked" in probe.stderr


def test_every_core_module_imports_without_qt(tmp_path):
    modules = _core_modules()
    assert "genesis_desktop.portfolio.store" in modules and "genesis_desktop.cli" in modules
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"assert not any(q in sys.modules for q in {QT_MODULES!r}), 'a Qt module was loaded'\n"
            "print('ok', len(sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], env=_blocked_env(tmp_path), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok")
