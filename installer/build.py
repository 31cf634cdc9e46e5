"""Build the installable package of Genesis Desktop for the system this runs on (`make installer`).

    python installer/build.py [--dist dist] [--venv build/installer-venv]

1. A build environment of its own where the program and the reference plugins are *installed*, not
   editable (PyInstaller finds package data and entry-point metadata through the installation),
   with PyInstaller. It is made once and refreshed when pyproject.toml or installer/requirements.txt
   change; the program itself is reinstalled on every build, so the bundle holds the code as it is.
2. The one-folder bundle from installer/genesis.spec, into build/frozen/genesis-desktop.
3. The bundle's own `genesis self-test`, offscreen, requiring the plugins it ships: a bundle that
   lost a resource, a kernel or a plugin is never packaged.
4. The package: Linux, a tarball (and an AppImage where appimagetool is installed); Windows, the
   Inno Setup installer; macOS, the .app in a .dmg.
Prints what it made, with sizes, and the self-test's report on failure.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "installer"
PLUGINS = (ROOT / "plugins" / "genesis-slurm", ROOT / "plugins" / "genesis-dask")
SHIPPED_BACKENDS = ("local", "slurm", "dask")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the package goes (default dist/)")
    p.add_argument("--venv", type=Path, default=ROOT / "build" / "installer-venv",
                   help="the build environment (default build/installer-venv)")
    p.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work and output folders")
    p.add_argument("--no-package", action="store_true", help="stop after the bundle and its self-test")
    args = p.parse_args(argv)
    args.dist, args.venv, args.work = (path.resolve() for path in (args.dist, args.venv, args.work))
    args.work.mkdir(parents=True, exist_ok=True)
    # Away from the checkout: from its root, `import genesis_desktop` would find the source tree
    # (where resources/ is not inside the package) instead of the installed program. The build
    # environment's Python also runs isolated (-I): neither the folder it starts in (build/ holds
    # setuptools' half-made metadata, which breaks pip) nor PYTHON* variables reach it.
    os.chdir(args.work)

    python = build_environment(args.venv)
    started = time.perf_counter()
    bundle = freeze(python, args.work)
    print(f"bundle: {bundle} ({megabytes(folder_size(bundle))} MB, {time.perf_counter() - started:.0f} s)")
    report = self_test(bundle)
    if not report.get("ok"):
        print(json.dumps(report, indent=2), file=sys.stderr)
        print("the frozen program failed its self-test; nothing was packaged", file=sys.stderr)
        return 1
    print(f"self-test of the frozen program: passed ({', '.join(report['checks'])})")
    if args.no_package:
        return 0
    from package import package  # installer/package.py: one recipe per system

    for made in package(bundle, args.dist, version(python), python):
        print(f"made {made} ({megabytes(made.stat().st_size if made.is_file() else folder_size(made))} MB)")
    return 0


def build_environment(venv: Path) -> Path:
    """The build environment's python, made or refreshed as needed."""
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = venv / bindir / ("python.exe" if os.name == "nt" else "python")
    wanted = requirements_digest()
    stamp = venv / ".genesis-installer"
    if not stamp.exists() or stamp.read_text() != wanted:
        # Made afresh (--clear): a half-made environment (a build stopped midway) must not be reused.
        run([sys.executable, "-m", "venv", "--clear", str(venv)])
        run([str(python), "-I", "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([str(python), "-I", "-m", "pip", "install", "--quiet", "-r", str(HERE / "requirements.txt"),
             str(ROOT), *map(str, PLUGINS)])
        stamp.write_text(wanted)
    # The program and plugins as they are now (not as when the environment was made); no dependency
    # changes, so this takes seconds.
    run([str(python), "-I", "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", "--no-build-isolation",
         str(ROOT), *map(str, PLUGINS)])
    return python


def freeze(python: Path, work: Path) -> Path:
    icon = work / "icon-256.png"
    run([str(python), "-I", str(HERE / "render_icon.py"), str(icon)], env={"QT_QPA_PLATFORM": "offscreen"})
    run([str(python), "-I", "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "frozen"), "--workpath", str(work / "pyinstaller"), str(HERE / "genesis.spec")],
        env={"GENESIS_ICON_PNG": str(icon)})
    return work / "frozen" / "genesis-desktop"


def executable(bundle: Path) -> Path:
    return bundle / ("genesis.exe" if os.name == "nt" else "genesis")


def self_test(bundle: Path) -> dict:
    argv = [str(executable(bundle)), "self-test"]
    for name in SHIPPED_BACKENDS:
        argv += ["--expect-backend", name]
    # The bundle must not lean on this checkout or its environments: run it from elsewhere, with a
    # clean PYTHONPATH and no Python of ours on the way.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=bundle.parent, timeout=600)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"ok": False, "exit": done.returncode, "stdout": done.stdout[-4000:], "stderr": done.stderr[-4000:]}


def version(python: Path) -> str:
    return subprocess.run([str(python), "-I", "-c", "import genesis_desktop; print(genesis_desktop.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def requirements_digest() -> str:
    text = b"".join(path.read_bytes() for path in
                    (HERE / "requirements.txt", ROOT / "pyproject.toml", *(p / "pyproject.toml" for p in PLUGINS)))
    return hashlib.sha256(text + platform.python_version().encode()).hexdigest()


def run(argv: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(argv, check=True, env={**os.environ, **(env or {})})


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def megabytes(size: int) -> str:
    return f"{size / 1e6:.0f}"


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
