"""A 100 MB CSV with one bad column in every row fails cleanly: in bounded time and memory, every row
counted, the first problems listed, nothing written. Run in a child process to measure its peak memory."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from genesis_desktop.portfolio.io import export_frame

MB = 1_000_000


def big_proposals(path, template: pd.Series, target_bytes: int) -> int:
    """Copies of a valid proposal with fresh codes and a longer abstract, every currency 'USDX'."""
    def rows(n: int) -> pd.DataFrame:
        frame = pd.DataFrame({c: np.repeat(template[c], n) for c in template.index})
        frame["code"] = "BIG-" + pd.Series(np.arange(n)).astype(str).str.zfill(7)
        frame["abstract"] = "An abstract long enough to make the file big; " * 4
        frame["currency"] = "USDX"
        return frame

    per_row = len(rows(1000).to_csv(index=False)) / 1000
    n = int(target_bytes * 1.01 / per_row)
    rows(n).to_csv(path, index=False)
    return n


@pytest.mark.slow
def test_100_mb_file_with_a_bad_column(portfolio, tmp_path, snapshot):
    template = export_frame(portfolio, "proposals").iloc[1]  # P-0001
    path = tmp_path / "proposals.csv"
    rows = big_proposals(path, template, 100 * MB)
    assert path.stat().st_size >= 100 * MB
    before = snapshot(portfolio)
    portfolio.close()
    script = textwrap.dedent(f"""
        import json, resource, time
        from genesis_desktop.portfolio.io import ImportFailed, import_file
        from genesis_desktop.portfolio.store import open_store
        store = open_store({portfolio.url!r})
        t = time.perf_counter()
        try:
            import_file(store, "proposals", {str(path)!r})
            out = {{"failed": False}}
        except ImportFailed as e:
            out = {{"failed": True, "shown": len(e.problems), "total": e.total, "first": str(e.problems[0]),
                    "last_line": str(e).splitlines()[-1], "columns": sorted({{p.column for p in e.problems}})}}
        out["seconds"] = time.perf_counter() - t
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    print("100 MB import:", {k: out[k] for k in ("seconds", "peak_mb", "total")})
    assert out["failed"]
    assert (out["shown"], out["total"], out["columns"]) == (1000, rows, ["currency"])
    assert out["first"] == f"{path}:2: column currency: value 'USDX': must be an ISO 4217 currency code such as USD or JPY"
    assert out["last_line"] == f"... and {rows - 1000} more problems"
    assert out["seconds"] < 60, out
    assert out["peak_mb"] < 2500, out  # the file is 100 MB: a few times that, not tens
    from genesis_desktop.portfolio.store import open_store
    again = open_store(portfolio.url)
    try:
        assert snapshot(again) == before
    finally:
        again.close()
