"""Uninstall PySide6 from the virtual environment when it is not the version pyproject.toml pins.

pip changes PySide6-Essentials in place, but a downgrade over leftovers (PySide6-Addons, an old
shiboken6) has deleted the shared PySide6/__init__.py here; so every pyside6* and shiboken6
distribution goes first, and the install that follows brings the pinned one back whole.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

pins = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())
wanted = next((m.group(1) for d in pins["project"]["dependencies"]
               if (m := re.fullmatch(r"PySide6-Essentials==(\S+)", d))), None)
try:
    installed = metadata.version("PySide6-Essentials")
except metadata.PackageNotFoundError:
    installed = None
if wanted and installed and installed != wanted:
    names = sorted({d.metadata["Name"] for d in metadata.distributions()
                    if d.metadata["Name"] and d.metadata["Name"].lower().startswith(("pyside6", "shiboken6"))})
    print(f"PySide6 {installed} is installed, {wanted} is pinned: uninstalling {', '.join(names)} first")
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *names], check=True)
