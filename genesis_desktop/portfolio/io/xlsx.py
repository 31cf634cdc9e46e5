"""XLSX workbooks: one sheet per kind, every cell written as text (never a formula)."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd

from .problems import fail
from .tables import RawTable, cell_text, framed


def _open_xlsx(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise fail(path, f"not an XLSX workbook ({type(e).__name__}: {e})") from None


def _sheet_table(path: Path, ws, name: str) -> RawTable:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or all(c is None or str(c).strip() == "" for c in header):
        raise fail(name, "no header row: row 1 must name the columns", row=1)
    body = list(rows)
    width = max([len(header)] + [len(r) for r in body])
    names = [cell_text(c) for c in header] + [""] * (width - len(header))
    cols = [[cell_text(r[i]) if i < len(r) else "" for r in body] for i in range(width)]
    return framed(name, names, cols, 2, 1)


def read_sheet(path: Path, sheet: str | None) -> RawTable:
    wb = _open_xlsx(path)
    try:
        names = wb.sheetnames
        if sheet in names:
            chosen = sheet
        elif len(names) == 1:
            chosen = names[0]
        else:
            raise fail(path, f"the workbook has no sheet named {sheet!r} (sheets: {', '.join(names)})")
        return _sheet_table(path, wb[chosen], f"{path}[{chosen}]" if len(names) > 1 else str(path))
    finally:
        wb.close()


def read_workbook(path: str | Path) -> dict[str, RawTable]:
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise fail(path, "no such file" if not path.exists() else "the file is empty (0 bytes)")
    wb = _open_xlsx(path)
    try:
        return {name: _sheet_table(path, wb[name], f"{path}[{name}]") for name in wb.sheetnames}
    finally:
        wb.close()


def write_workbook(frames: dict[str, pd.DataFrame], path: str | Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    wb = openpyxl.Workbook(write_only=True)
    for name, frame in frames.items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            cells = []
            for v in row:
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"  # text, never a formula: "=..." in a title stays a title
                cells.append(cell)
            ws.append(cells)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
