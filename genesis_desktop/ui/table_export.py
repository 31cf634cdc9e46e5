"""Writing the rows a table shows to CSV or XLSX: its filter and sort, its visible columns in their order.

Qt-free: the page runs `export_rows` in a worker and watches its `Progress`. The file appears whole
or not at all: rows go to a hidden file beside the target, which replaces the target only once
complete, and is removed on an error or a Cancel.

Money is exact. CSV cells hold the plain decimal text (`8500000.00`, what money.parse_amount reads
back); XLSX cells hold numbers, which are exact as long as an amount has at most 15 significant
digits, else its text. Either way the amount's currency column is written beside it, added after it
when the table's currency column is hidden.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .columns import NUMERIC_KINDS, TableData
from .table_reader import Progress

EXPORT_CHUNK_ROWS = 50_000
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
FORMATS = {".csv": "CSV", ".xlsx": "Excel workbook"}
# A float keeps every decimal of a number with up to 15 significant digits (IEEE 754 double).
_EXACT_DIGITS = 15


class ExportError(ValueError):
    """The export cannot be written as asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class ExportColumn:
    title: str
    column: int  # index into the table's columns
    money: bool = False


def export_columns(table: TableData, keys: Sequence[str]) -> list[ExportColumn]:
    """The columns to write: `keys` in order, plus each money column's currency where it is missing."""
    chosen = [table.column_index(k) for k in keys]
    out: list[ExportColumn] = []
    for index in chosen:
        spec = table.columns[index]
        out.append(ExportColumn(spec.title, index, money=spec.kind == "money"))
        if spec.kind == "money" and spec.currency:
            currency = table.column_index(spec.currency)
            if currency not in chosen and all(c.column != currency for c in out):
                out.append(ExportColumn(f"{spec.title} currency", currency))
    return out


def export_rows(path: str | Path, table: TableData, rows: np.ndarray, keys: Sequence[str],
                progress: Progress | None = None) -> int:
    """Write `rows` (source row numbers, in order) of `table`'s columns `keys` to `path`; returns the
    number of rows written. The format comes from the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"cannot export to {path.name}: use a .csv or .xlsx file name")
    if not keys:
        raise ExportError("no column is shown: show at least one column to export")
    if suffix == ".xlsx" and len(rows) > XLSX_MAX_ROWS:
        raise ExportError(f"an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows and {len(rows):,} are shown: "
                          "export to CSV, or filter the table first")
    progress = progress or Progress()
    progress.total = len(rows)
    columns = export_columns(table, keys)
    partial = path.with_name(f".{path.name}.partial")
    try:
        (_write_csv if suffix == ".csv" else _write_xlsx)(partial, table, np.asarray(rows), columns, progress)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return len(rows)


def _cells(table: TableData, column: ExportColumn, rows: np.ndarray, for_xlsx: bool) -> list:
    """One column's cells for `rows`: numbers for number columns, exact text or numbers for money,
    what the table shows for everything else (None where a cell is empty)."""
    spec = table.columns[column.column]
    text = table.text[column.column][rows].tolist()
    if column.money:
        # The display text is exact (grouped major units); without the grouping it is plain decimal text.
        exact = [t.replace(",", "") or None for t in text]
        return [_money_number(v) for v in exact] if for_xlsx else exact
    if spec.kind in NUMERIC_KINDS:
        values = table.values[column.column][rows]
        if values.dtype.kind == "f":
            return [None if v != v else v for v in values.tolist()]
        return values.tolist()
    return [t or None for t in text]


def _money_number(exact: str | None) -> float | str | None:
    if exact is None:
        return None
    digits = len(exact.lstrip("-").replace(".", "").lstrip("0"))
    return float(exact) if digits <= _EXACT_DIGITS else exact


def _write_csv(path: Path, table: TableData, rows: np.ndarray, columns: list[ExportColumn], progress: Progress) -> None:
    titles = [c.title for c in columns]
    with open(path, "w", newline="", encoding="utf-8") as out:
        pd.DataFrame(columns=titles).to_csv(out, index=False)
        for start in range(0, len(rows), EXPORT_CHUNK_ROWS):
            chunk = rows[start:start + EXPORT_CHUNK_ROWS]
            frame = pd.DataFrame({i: _cells(table, c, chunk, False) for i, c in enumerate(columns)}, dtype=object)
            frame.to_csv(out, index=False, header=False)
            progress.advance(len(chunk))


def _write_xlsx(path: Path, table: TableData, rows: np.ndarray, columns: list[ExportColumn], progress: Progress) -> None:
    from openpyxl import Workbook  # only an XLSX export needs it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Rows")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in columns:
        cell = WriteOnlyCell(sheet, value=c.title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    try:
        for start in range(0, len(rows), EXPORT_CHUNK_ROWS):
            chunk = rows[start:start + EXPORT_CHUNK_ROWS]
            cells = [_cells(table, c, chunk, True) for c in columns]
            for row in zip(*cells):
                sheet.append(row)
            progress.advance(len(chunk))
    except BaseException:
        sheet.close()  # end the sheet's temporary file: nothing is left open behind a Cancel
        raise
    book.save(path)
