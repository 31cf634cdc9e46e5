"""From the frozen one-folder bundle to what a person downloads, one recipe per system.

Linux: genesis-desktop-VERSION-linux-ARCH.tar.gz, the bundle with its desktop entry, icons and
install.sh (per user under ~/.local, or system-wide with PREFIX=/usr/local); and an AppImage where
appimagetool is installed. Windows: the Inno Setup installer (iscc). macOS: the .app in a .dmg
(hdiutil). Each returns the paths it made.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = "genesis-desktop"


def package(bundle: Path, dist: Path, version: str, python: Path) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    if sys.platform.startswith("linux"):
        return linux(bundle, dist, version, python)
    if sys.platform == "win32":
        return windows(bundle, dist, version)
    if sys.platform == "darwin":
        return macos(bundle, dist, version)
    raise SystemExit(f"no package recipe for {sys.platform}; the bundle is {bundle}")


def linux(bundle: Path, dist: Path, version: str, python: Path) -> list[Path]:
    name = f"{APP}-{version}-linux-{platform.machine()}"
    staging = bundle.parent / name
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(bundle, staging, symlinks=True)
    share = staging / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(resource(python, "genesis-desktop.desktop"), share / "applications" / f"{APP}.desktop")
    for size, source in (("scalable", resource(python, "icons/genesis.svg")),
                         ("256x256", bundle.parent.parent / "icon-256.png")):
        folder = share / "icons" / "hicolor" / size / "apps"
        folder.mkdir(parents=True)
        shutil.copy(source, folder / f"{APP}{source.suffix}")
    shutil.copy(HERE / "linux" / "install.sh", staging / "install.sh")
    os.chmod(staging / "install.sh", 0o755)
    made = [dist / f"{name}.tar.gz"]
    with tarfile.open(made[0], "w:gz", compresslevel=6) as tar:
        tar.add(staging, arcname=name)
    appimage = linux_appimage(staging, dist, name)
    if appimage:
        made.append(appimage)
    shutil.rmtree(staging)
    return made


def linux_appimage(staging: Path, dist: Path, name: str) -> Path | None:
    tool = shutil.which("appimagetool")
    if tool is None:
        # Neither Debian nor PyPI carries appimagetool (it comes from the AppImage project's releases).
        print("AppImage: skipped, appimagetool is not installed (see installer/README.md)")
        return None
    appdir = staging.parent / f"{name}.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(staging, appdir / "usr" / "lib" / APP, symlinks=True)
    shutil.copy(staging / "share" / "applications" / f"{APP}.desktop", appdir / f"{APP}.desktop")
    shutil.copy(staging / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{APP}.png", appdir / f"{APP}.png")
    apprun = appdir / "AppRun"
    apprun.write_text(f'#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/lib/{APP}/genesis" "$@"\n')
    apprun.chmod(0o755)
    target = dist / f"{name}.AppImage"
    subprocess.run([tool, str(appdir), str(target)], check=True, env={**os.environ, "ARCH": platform.machine()})
    shutil.rmtree(appdir)
    return target


def windows(bundle: Path, dist: Path, version: str) -> list[Path]:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        raise SystemExit("Inno Setup's iscc is not on PATH (winget install JRSoftware.InnoSetup)")
    subprocess.run([iscc, f"/DAppVersion={version}", f"/DBundleDir={bundle}", f"/DOutputDir={dist}",
                    str(HERE / "windows" / "genesis.iss")], check=True)
    return [dist / f"{APP}-{version}-windows-setup.exe"]


def macos(bundle: Path, dist: Path, version: str) -> list[Path]:
    app = bundle.parent / "Genesis Desktop.app"
    target = dist / f"{APP}-{version}-macos-{platform.machine()}.dmg"
    target.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", "Genesis Desktop", "-srcfolder", str(app), "-ov",
                    "-format", "UDZO", str(target)], check=True)
    return [target]


def resource(python: Path, name: str) -> Path:
    """A file of genesis_desktop.resources as the build environment installed it."""
    done = subprocess.run([str(python), "-I", "-c", "import sys; from importlib.resources import files; "
                           "print(files('genesis_desktop.resources').joinpath(*sys.argv[1].split('/')))", name],
                          capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())
