"""The frozen program (installer/build.py's one-folder bundle) against the unfrozen one (this venv).

    python bench/bench_frozen.py [--runs 5] [--bundle build/frozen/genesis-desktop]

Builds the bundle first if there is none (installer/build.py --no-package, minutes). Prints the
bundle's size, in all and by its largest parts, the tarball's size if `make installer` made one,
and for each start-up the median and min over the runs, frozen and unfrozen, with the ratio:
  version  `genesis --version`: the interpreter and the command line, no libraries
  summary  `genesis summary --json` on a demo portfolio: SQLAlchemy and the records
  window   `genesis screenshot overview`: Qt, the main window built, every view loaded, one frame
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("PySide6", "pyarrow", "scipy", "scipy.libs", "numpy", "numpy.libs", "pandas", "libpython3.11.so.1.0",
         "sqlalchemy", "reportlab", "distributed", "dask")


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=cwd, timeout=600)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--bundle", type=Path, default=ROOT / "build" / "frozen" / "genesis-desktop")
    args = p.parse_args()
    if not (args.bundle / "genesis").exists():
        subprocess.run([sys.executable, str(ROOT / "installer" / "build.py"), "--no-package"], check=True)

    internal = args.bundle / "_internal"
    total = size(args.bundle)
    print(f"bundle {args.bundle}: {total / 1e6:,.0f} MB in {sum(1 for _ in args.bundle.rglob('*')):,} files")
    for part in PARTS:
        if (internal / part).exists():
            print(f"  {part:<22} {size(internal / part) / 1e6:7.1f} MB")
    for tarball in sorted((ROOT / "dist").glob("genesis-desktop-*.tar.gz")):
        print(f"package {tarball.name}: {size(tarball) / 1e6:,.0f} MB ({size(tarball) / total:.2f} of the bundle)")

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    programs = {"frozen": [str(args.bundle / "genesis")],
                "unfrozen": [sys.executable, "-m", "genesis_desktop"]}
    with tempfile.TemporaryDirectory(prefix="genesis-bench-frozen-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'demo.sqlite'}"
        subprocess.run(programs["unfrozen"] + ["--db", url, "init", "--demo", "--proposals", "500"],
                       check=True, capture_output=True, env=env)
        cases = {"version": ["--version"], "summary": ["--db", url, "summary", "--json"],
                 "window": ["--db", url, "screenshot", "overview", "--out", str(work / "overview.png")]}
        print(f"\nstart-up, {args.runs} runs each after one warm-up (seconds: median, min)")
        print(f"{'':<9}{'frozen':>16}{'unfrozen':>16}{'frozen/unfrozen':>18}")
        for case, argv in cases.items():
            medians = {}
            cells = []
            for label, program in programs.items():
                timed(program + argv, env, work)  # warm the page cache: both sides start from it
                times = [timed(program + argv, env, work) for _ in range(args.runs)]
                medians[label] = statistics.median(times)
                cells.append(f"{medians[label]:7.2f} {min(times):6.2f}")
            ratio = medians["frozen"] / medians["unfrozen"]
            print(f"{case:<9}{cells[0]:>16}{cells[1]:>16}{ratio:>18.2f}")


if __name__ == "__main__":
    main()
