"""The self-test's checks of what the program does with records, beyond the window: every kernel
loads, the file formats round-trip, a portfolio selection is solved and reported.

They exercise the parts a frozen bundle most easily loses: kernels found through entry-point
metadata, pyarrow's Parquet, openpyxl, scipy's HiGHS and reportlab's font metrics.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

# The kernels this distribution declares as entry points (pyproject.toml). They are listed here as
# well because a bundle that lost the distribution's metadata would not find them and not know it.
OWN_KERNELS = ("assignment", "calibration", "selection", "robustness")
SELF_TEST_SCENARIO = "self-test"


def check_kernels() -> dict[str, Any]:
    from genesis_desktop.compute import kernels

    kernels.rediscover()
    missing = [name for name in OWN_KERNELS if name not in kernels.KERNELS]
    if missing:
        raise RuntimeError(f"kernels {', '.join(missing)} are not found through the entry points "
                           f"(is genesis-desktop's distribution metadata missing?); found: {', '.join(kernels.KERNELS)}")
    broken = {name: why for name, why in kernels.kernel_problems().items() if why}
    if broken:
        raise RuntimeError("; ".join(broken.values()))
    return {"kernels": list(kernels.KERNELS)}


def check_files(url: str, out_dir: Path) -> dict[str, Any]:
    """Every kind exported as a workbook and as Parquet files, then imported into an empty portfolio
    of the same programme; each kind must read back as it was written."""
    from genesis_desktop.portfolio import io
    from genesis_desktop.portfolio.demo import ensure_programme
    from genesis_desktop.portfolio.store import open_store

    source = open_store(url)
    copies = {"xlsx": out_dir / "files.xlsx", "parquet": out_dir / "parquet"}
    try:
        io.export_all(source, copies["xlsx"])
        io.export_all(source, copies["parquet"])
        written = {kind: io.export_frame(source, kind) for kind in io.KINDS}
    finally:
        source.close()
    rows = {}
    for fmt, path in copies.items():
        target = open_store(f"sqlite:///{out_dir / f'files-{fmt}.sqlite'}", create=True)
        try:
            with target.session() as s, s.begin():
                ensure_programme(s)
            io.import_all(target, path)
            differ = [kind for kind in io.KINDS if not io.export_frame(target, kind).equals(written[kind])]
        finally:
            target.close()
        if differ:
            raise RuntimeError(f"{', '.join(differ)} read back from {path.name} differ from what was written")
        rows[fmt] = sum(len(frame) for frame in written.values())
    return {"rows_round_tripped": rows}


def check_report(url: str, out_dir: Path) -> dict[str, Any]:
    """A scenario of the portfolio's first call solved exactly, written as a PDF and an XLSX report."""
    from genesis_desktop.decisions.reports import export_portfolio_report
    from genesis_desktop.decisions.scenarios import default_spec, save_scenario, solve_scenario
    from sqlalchemy import select

    from genesis_desktop.portfolio.programme import Call
    from genesis_desktop.portfolio.store import open_store

    store = open_store(url)
    try:
        with store.session() as s:
            call = s.scalar(select(Call.number).order_by(Call.id))
        save_scenario(store, SELF_TEST_SCENARIO, default_spec(store, call), who="self-test")
        result = solve_scenario(store, SELF_TEST_SCENARIO, who="self-test")
        written = {}
        for suffix in ("pdf", "xlsx"):
            path = export_portfolio_report(store, SELF_TEST_SCENARIO, out_dir / f"report.{suffix}")
            written[suffix] = path.stat().st_size
    finally:
        store.close()
    if not (out_dir / "report.pdf").read_bytes().startswith(b"%PDF"):
        raise RuntimeError("the portfolio report is not a PDF")
    return {"chosen": len(result["chosen"]), "report_bytes": written}
