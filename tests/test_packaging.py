"""What a wheel of the project holds: every package, every resource, the migrations, the script."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_every_python_package_folder_is_declared():
    # The package list is explicit (resources/ is mapped into the package), so a new sub-package
    # that is not listed would silently be left out of the wheel.
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "genesis_desktop").rglob("__init__.py")
    } | {"genesis_desktop.resources"}
    assert found == _declared_packages()


@pytest.mark.slow
def test_wheel_ships_resources_migrations_and_the_console_script(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("genesis_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = [p for p in (ROOT / "resources").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    missing = [str(p.relative_to(ROOT)) for p in resources
               if f"genesis_desktop/resources/{p.relative_to(ROOT / 'resources').as_posix()}" not in names]
    assert missing == []
    migrations = [p.name for p in (ROOT / "genesis_desktop/portfolio/migrations/versions").glob("0*.py")]
    assert migrations and all(f"genesis_desktop/portfolio/migrations/versions/{m}" in names for m in migrations)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "genesis = genesis_desktop.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_self_test_knows_every_kernel_the_distribution_declares():
    # A frozen bundle that lost the metadata finds none of these; the self-test can only say so
    # if it knows them without the metadata.
    from genesis_desktop.ui.self_test_records import OWN_KERNELS

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["genesis_desktop.kernels"]
    assert set(OWN_KERNELS) == set(declared)
