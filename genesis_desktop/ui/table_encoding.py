"""How a frame column becomes a table column: codes into distinct values, display texts, raw values.

Qt-free; used by columns.TableData.from_frame. Text goes through arrow (which releases the GIL);
conversions to Python objects happen once per distinct value, or in slices (see table_format.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .table_format import grouped_integers, take_objects, to_python

NUMERIC_KINDS = ("int", "float", "money")


def enum_label(value: object) -> str:
    """'under_review' -> 'Under review'."""
    return "" if _missing(value) else str(value).replace("_", " ").capitalize()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT


def factorize(series: pd.Series) -> tuple[np.ndarray, pa.Array | pd.Index]:
    """(codes, uniques): each row's index into the distinct values, -1 where absent.

    Text goes through arrow's dictionary encoder, which releases the GIL and skips pandas' boxing.
    """
    if series.dtype == "str":
        encoded = pc.dictionary_encode(pa.array(series))
        if not isinstance(encoded, pa.ChunkedArray):
            return encoded.indices.fill_null(-1).to_numpy().astype(np.int64), encoded.dictionary
        if encoded.num_chunks == 0:
            return np.zeros(0, dtype=np.int64), pa.array([], type=pa.large_string())
        # Arrow encodes the chunks of a chunked column with one growing dictionary: the last chunk's
        # holds every value, and the indices of all chunks point into it. This avoids copying a
        # million strings into one array first (a long hold of the GIL). Checked, not assumed.
        dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
        if all(_is_prefix(c.dictionary, dictionary) for c in encoded.chunks):
            codes = np.concatenate([c.indices.fill_null(-1).to_numpy() for c in encoded.chunks])
            return codes.astype(np.int64), dictionary
        unified = encoded.unify_dictionaries().combine_chunks()
        return unified.indices.fill_null(-1).to_numpy().astype(np.int64), unified.dictionary
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), uniques


def _is_prefix(part: pa.Array, whole: pa.Array) -> bool:
    """Whether `part` starts `whole` (checked at its ends: a growing dictionary or a different one)."""
    n = len(part)
    return n <= len(whole) and (n == 0 or (part[0] == whole[0] and part[n - 1] == whole[n - 1]))


def _python_list(uniques: pa.Array | pd.Index) -> list:
    if isinstance(uniques, pa.Array):
        return to_python(uniques)
    return [v.item() if isinstance(v, np.generic) else v for v in uniques]


def labels_of(spec, distinct: pa.Array | pd.Index, from_text_key: bool) -> tuple[list, list[str]]:
    """(distinct values as Python objects, their display texts); factorize left out missing values."""
    uniques = _python_list(distinct)
    if isinstance(distinct, pa.Array) and (from_text_key or spec.kind == "text"):
        return uniques, uniques  # arrow text: already Python strings, shared by value and text
    if from_text_key or spec.kind == "text":
        return uniques, [str(v) for v in uniques]
    if spec.kind == "int":
        return uniques, to_python(grouped_integers(np.asarray(uniques, dtype=np.int64)))
    if spec.kind in ("float", "money"):
        return uniques, [f"{v:,.2f}" for v in uniques]
    if spec.kind == "bool":
        return uniques, ["Yes" if v else "No" for v in uniques]
    if spec.kind == "enum":
        return uniques, [enum_label(v) for v in uniques]
    if spec.kind == "date":
        return uniques, [_date_label(v) for v in uniques]
    return uniques, [str(v) for v in uniques]


def _date_label(value: object) -> str:
    """'2026-04-30' for a date or a midnight timestamp, '2026-05-30 22:50' for a time of day."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "hour") and (value.hour or value.minute):
        return value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def raw_values(series: pd.Series, spec, codes: np.ndarray | None, uniques: list | None) -> np.ndarray:
    """Plain numpy numbers for numeric kinds; otherwise objects, shared with the distinct values,
    with None (not NaN) where a value is absent."""
    dtype = series.dtype
    if spec.kind in NUMERIC_KINDS or spec.kind == "bool":
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            return series.to_numpy()
        return series.to_numpy(dtype=float, na_value=np.nan)
    if codes is None:
        codes, distinct = factorize(series)
        uniques = _python_list(distinct)
    objects = np.empty(len(uniques) + 1, dtype=object)
    objects[:-1] = uniques
    objects[-1] = None
    return take_objects(objects, codes)
