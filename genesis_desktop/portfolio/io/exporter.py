"""Exports: every column as text, rows in natural-key order, so that the same portfolio always gives
the same file and a file read back gives the same portfolio."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..store import Store
from . import formats, registry, xlsx


def export_frame(store: Store, kind: str) -> pd.DataFrame:
    """The records of `kind` as the text table that export_file writes."""
    k = registry.kind(kind)
    with store.engine.connect() as conn:
        return k.export(conn)


def export_file(store: Store, kind: str, path: str | Path) -> Path:
    path = Path(path)
    frame = export_frame(store, kind)
    if path.suffix.lower() == ".xlsx":
        xlsx.write_workbook({kind: frame}, path)
    else:
        formats.write_table(frame, path)
    return path


def export_all(store: Store, target: str | Path) -> list[Path]:
    """A folder of KIND.parquet files, or (target ending in .xlsx) one workbook with a sheet per kind."""
    target = Path(target)
    with store.engine.connect() as conn, conn.begin():
        frames = {k.name: k.export(conn) for k in registry.ORDER}
    if target.suffix.lower() == ".xlsx":
        xlsx.write_workbook(frames, target)
        return [target]
    if target.suffix and not target.is_dir():
        raise ValueError(f"{target}: export_all writes to a folder (Parquet files) or an .xlsx workbook")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        formats.write_table(frame, target / f"{name}.parquet")
        written.append(target / f"{name}.parquet")
    return written
