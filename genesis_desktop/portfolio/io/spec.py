"""What a kind of record is in a file: its columns, its natural key, and the three things it can do."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd
from sqlalchemy import Connection, Table


@dataclass(frozen=True)
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[str, ...]  # the order export writes
    required: frozenset[str]
    key: tuple[str, ...]  # the natural key, as file columns
    table: Table
    # validate(sheet, context) -> parsed (opaque to the importer); it reports problems on the sheet
    validate: Callable[[Any, Any], Any]
    # write(connection, parsed, context) -> Outcome; only called when the whole import is valid
    write: Callable[[Connection, Any, Any], Outcome]
    export: Callable[[Connection], pd.DataFrame]


def columns(spec: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """'code* name* city' -> (('code', 'name', 'city'), {'code', 'name'})."""
    names = tuple(w.rstrip("*") for w in spec.split())
    return names, frozenset(w.rstrip("*") for w in spec.split() if w.endswith("*"))


def frame(names: tuple[str, ...], rows: list[tuple]) -> pd.DataFrame:
    """The export frame: text columns in the kind's order."""
    if not rows:
        return pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    return pd.DataFrame(rows, columns=list(names), dtype="str")
