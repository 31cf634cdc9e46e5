"""How long `genesis init --demo --proposals N` takes: build_demo on a fresh SQLite file.

    python bench/bench_demo_init.py [N]        (default 1,000,000)

Prints seconds, proposals per second, peak memory (ru_maxrss) and the file's size.
"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.store import open_store


def main() -> None:
    n = int(sys.argv[1].replace("_", "").replace(",", "")) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="genesis-bench-") as tmp:
        path = Path(tmp) / "demo.sqlite"
        started = time.perf_counter()
        store = open_store(f"sqlite:///{path}")
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
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(json.dumps({
        "proposals": n, "seconds": round(seconds, 2), "proposals_per_s": round(n / seconds) if seconds else None,
        "peak_rss_mib": round(peak / 2**20, 1), "database_mib": round(size / 2**20, 1), "rows": written,
    }, indent=2))


if __name__ == "__main__":
    main()
