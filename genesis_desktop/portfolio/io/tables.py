"""A file's table as text: what every reader produces and every rule reads.

Cells that arrive typed (numbers, dates, booleans from XLSX, Parquet or JSON) are turned into the
same text that our own files hold, so the rules see one form whatever the format.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pandas as pd


@dataclass
class RawTable:
    file: str
    frame: pd.DataFrame  # text columns, "" for blank, index = row numbers
    header_row: int | None  # 1 for CSV and XLSX; None where names are not on a row of their own
    duplicates: list[str] = field(default_factory=list)  # column names given more than once


def cell_text(v) -> str:
    """A typed cell (from XLSX, Parquet or JSON) as the text our own files would hold."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        # repr is the shortest text that reads back as the same float, so exactness rules still bite.
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if v is pd.NaT:
        return ""
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(timezone.utc).replace(tzinfo=None)
        if v.time() == time(0):
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, (date, time)):
        return v.isoformat()
    return str(v)


def framed(file: str, names: list[str], columns: list[list[str]] | pd.DataFrame, first_row: int,
            header_row: int | None) -> RawTable:
    names = [str(n).strip() for n in names]
    if isinstance(columns, pd.DataFrame):
        frame = columns
        frame.columns = range(len(frame.columns))
    else:
        frame = pd.DataFrame(dict(enumerate(columns)), dtype="str") if columns else pd.DataFrame()
    frame = frame.reindex(columns=range(len(names))).astype("str").fillna("")
    keep, seen, dups = [], set(), []
    for i, name in enumerate(names):
        if not name:
            if (frame[i] == "").all():
                continue  # a trailing separator or a padded spreadsheet row, not a column
            names[i] = f"(column {i + 1})"  # cells under no name: reported as an unknown column
        if names[i] in seen:
            dups.append(names[i])
        else:
            keep.append(i)
            seen.add(names[i])
    frame = frame.iloc[:, keep]
    frame.columns = [names[i] for i in keep]
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    # Blank lines keep their number (so later rows are reported where they are) but are not records.
    if len(frame.columns) and len(frame):
        frame = frame[(frame != "").any(axis=1)]
    return RawTable(file, frame, header_row, dups)
