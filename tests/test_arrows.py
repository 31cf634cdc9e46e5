"""Who may import whom (ARCHITECTURE.md, "Arrows"), read from every module's import statements."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "genesis_desktop"
QT = ("PySide6", "shiboken6", "pyqtgraph")
# package -> the genesis_desktop packages it must never import (at the top or inside a function).
FORBIDDEN = {
    "compute": ("portfolio", "review", "decisions", "ui", "cli", "cli_compute"),
    "portfolio": ("review", "decisions", "ui", "cli"),
    "review": ("decisions", "ui", "cli"),
    "decisions": ("ui", "cli"),
}


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package_parts[: len(package_parts) - node.level + 1])
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module or "")
    return names


def modules_of(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py")) if (PACKAGE / package).is_dir() else []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_packages_never_import_higher_ones_or_qt(package):
    broken = []
    for path in modules_of(package):
        for name in imported_names(path):
            top = name.split(".")
            if top[0] in QT:
                broken.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if top[0] == "genesis_desktop" and len(top) > 1 and top[1] in FORBIDDEN[package]:
                broken.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not broken, "\n".join(broken)


def test_the_scan_sees_relative_and_absolute_imports(tmp_path):
    # Guards the test above: both spellings of an import must be found.
    module = PACKAGE / "compute" / "kernels" / "risk.py"
    names = imported_names(module)
    assert any(n.startswith("genesis_desktop.compute") for n in names), names


PLUGINS = PACKAGE.parent / "plugins"


def test_plugins_import_only_the_public_compute_api():
    # docs/compute.md: a plugin imports genesis_desktop.compute.api and nothing else of the program,
    # so that the program may reorganise its insides without breaking plugins.
    sources = sorted(p for p in PLUGINS.glob("*/*/*.py") if p.parent.name != "tests")
    assert sources, "the plugins' sources were not found"
    broken = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            broken += [f"{path.relative_to(PLUGINS)} imports {n}" for n in names
                       if n.startswith("genesis_desktop") and n != "genesis_desktop.compute.api"]
    assert not broken, "\n".join(broken)
