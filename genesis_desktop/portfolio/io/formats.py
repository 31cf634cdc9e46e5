"""Files to text tables and back: CSV, XLSX, JSON and Parquet, chosen by extension.

Every cell is read as text and every cell is written as text, so that "007" stays "007" and money is
never a float on its way through (tables.py turns typed cells into that text). Row numbers are kept in the frame's index as a person sees them: CSV and XLSX count the header as
row 1, JSON and Parquet count records from 1.
"""
from __future__ import annotations

import codecs
import csv
import json
import os
import re
from pathlib import Path

import pandas as pd

from . import xlsx
from .problems import ImportFailed, Problem, fail
from .tables import RawTable, cell_text, framed

EXTENSIONS = (".csv", ".xlsx", ".json", ".parquet")
_CHUNK = 1 << 20


def extension(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        raise fail(path, f"unsupported file type {path.suffix or '(none)'!r}: use one of {', '.join(EXTENSIONS)}")
    return ext


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    """One table from a file; for a workbook, the sheet named `sheet` or else its only sheet."""
    path = Path(path)
    ext = extension(path)
    if not path.is_file():
        raise fail(path, "no such file" if not path.exists() else "not a file")
    if path.stat().st_size == 0:
        raise fail(path, "the file is empty (0 bytes): it needs at least a header row naming the columns")
    if ext == ".csv":
        return _read_csv(path)
    if ext == ".json":
        return _read_json(path)
    if ext == ".parquet":
        return _read_parquet(path)
    return xlsx.read_sheet(path, sheet)


def _check_text(path: Path) -> None:
    """Refuse binary or non-UTF-8 content before the CSV parser turns it into odd rows."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line = lines + chunk.count(b"\n", 0, nul)
                raise fail(path, f"not a UTF-8 text CSV: a NUL byte on line {line} (is it a binary file?)")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                line = lines + chunk.count(b"\n", 0, max(e.start, 0))
                raise fail(path, f"not a UTF-8 text CSV: bytes that are not UTF-8 on line {line}; "
                                 "save the file as CSV UTF-8") from None
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise fail(path, "not a UTF-8 text CSV: the file ends inside a character") from None


def _read_csv(path: Path) -> RawTable:
    _check_text(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header or all(not h.strip() for h in header):
        raise fail(path, "no header row: the first line must name the columns", row=1)
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[], skip_blank_lines=False,
                            index_col=False, encoding="utf-8-sig", header=0, names=range(len(header)))
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise fail(path, f"this row has {m[3]} cells but the header names {m[1]} columns", row=int(m[2])) from None
        raise fail(path, f"not a readable CSV: {e}") from None
    except pd.errors.EmptyDataError:
        raise fail(path, "no header row: the first line must name the columns", row=1) from None
    return framed(str(path), header, frame, 2, 1)


def _read_json(path: Path) -> RawTable:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except UnicodeDecodeError:
        raise fail(path, "not UTF-8 text: a JSON file must be UTF-8") from None
    except json.JSONDecodeError as e:
        raise fail(path, f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(data, list):
        raise fail(path, "expected a JSON array of objects, one per row")
    names: dict[str, None] = {}
    problems = []
    for i, rec in enumerate(data, 1):
        if not isinstance(rec, dict):
            problems.append(Problem(str(path), i, "", "", "each row must be a JSON object of column: value"))
            continue
        for k, v in rec.items():
            names.setdefault(k)
            if isinstance(v, (list, dict)):
                problems.append(Problem(str(path), i, k, json.dumps(v)[:80],
                                        "a value must be text, a number, true/false or null (lists are 'a; b')"))
    if problems:
        raise ImportFailed(problems[:1000], max(0, len(problems) - 1000))
    cols = [[cell_text(rec.get(n)) for rec in data] for n in names]
    return framed(str(path), list(names), cols, 1, None)


def _read_parquet(path: Path) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise fail(path, f"not a readable Parquet file: {e}") from None
    cols = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols.append(col.to_pandas().astype("str").fillna(""))
        else:
            cols.append(pd.Series([cell_text(v) for v in col.to_pylist()], dtype="str"))
    frame = pd.concat(cols, axis=1) if cols else pd.DataFrame()
    return framed(str(path), table.column_names, frame, 1, None)


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write text columns in the format named by the extension; a crash mid-way leaves no half file."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        raise ValueError(f"{path}: unsupported file type {path.suffix or '(none)'!r}: use one of {', '.join(EXTENSIONS)}")
    if ext == ".xlsx":
        xlsx.write_workbook({path.stem[:31] or "Sheet1": frame}, path)
        return
    tmp = path.with_name(path.name + ".partial")
    try:
        if ext == ".csv":
            frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        elif ext == ".json":
            records = [dict(zip(frame.columns, row)) for row in frame.itertuples(index=False, name=None)]
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(records, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        else:
            _write_parquet(frame, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: pa.array(frame[c].tolist(), type=pa.string()) for c in frame.columns})
    pq.write_table(table, path)


