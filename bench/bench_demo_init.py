"""How long `genesis init --demo --proposals N` takes: build_demo on a fresh SQLite file, with the
audit log's triggers installed (as the program runs) and, as the baseline in the same process,
without them.

    python bench/bench_demo_init.py [N] [--no-baseline]       (default N: 1,000,000)

Prints, for each, seconds, proposals per second and the database's size, and the ratio of the two
times. The demo's own generated rows are not logged (portfolio/demo.py says why), so the ratio is
near 1; before that, logging each of them cost 4.1 times the time and 5 times the size at N = 20,000.
Peak memory (ru_maxrss) is the process's, over both builds.
"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from genesis_desktop.portfolio import audit_triggers
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.store import open_store


def build(n: int, audited: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="genesis-bench-") as tmp:
        path = Path(tmp) / "demo.sqlite"
        store = open_store(f"sqlite:///{path}")
        if not audited:
            with store.engine.begin() as conn:
                audit_triggers.remove(conn)
        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter() - started
            if now - last[0] >= 10 or done == total:
                last[0] = now
                print(f"  {done:>9,} / {total:,} proposals  {now:6.1f} s", file=sys.stderr)

        written = build_demo(store, proposals=n, progress=progress)
        store.close()
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    return {"audited": audited, "seconds": round(seconds, 2), "proposals_per_s": round(n / seconds) if seconds else None,
            "database_mib": round(size / 2**20, 1), "rows": written}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0].replace("_", "").replace(",", "")) if args else 1_000_000
    runs = [build(n, audited=True)]
    if "--no-baseline" not in sys.argv:
        runs.append(build(n, audited=False))
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    report = {"proposals": n, "runs": runs, "peak_rss_mib": round(peak / 2**20, 1)}
    if len(runs) == 2:
        report["audit_cost"] = round(runs[0]["seconds"] / runs[1]["seconds"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
