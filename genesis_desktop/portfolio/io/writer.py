"""Bulk writes with SQLAlchemy Core: one executemany per table, never an ORM object per row.

A record found by its natural key is updated in place (its id, and so every reference to it, stays);
its child rows (budgets, phases, team, commitment years) are deleted and inserted again.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from ..versions import bumped
from .spec import Outcome

_IN_CHUNK = 500  # ids per DELETE ... IN (...), well under every database's parameter limit


def records(frame: pd.DataFrame) -> list[dict]:
    """Frame rows as dicts of plain Python values, with None (never NaN) for missing."""
    if frame.empty:
        return []
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.tolist()  # numpy scalars become Python ints, bools and floats here
        missing = col.isna().to_numpy()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing)]
        columns.append(values)
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def upsert(conn: Connection, table: Table, rows: Sequence[dict], existing: Sequence[int | None]) -> Outcome:
    """Insert the rows whose `existing` id is None, update the others by id."""
    new = [r for r, i in zip(rows, existing) if i is None]
    old = [{**r, "_id": i} for r, i in zip(rows, existing) if i is not None]
    if new:
        conn.execute(insert(table), new)
    if old:
        conn.execute(update(table).where(table.c.id == bindparam("_id")).values(bumped(table)), old)
    return Outcome(created=len(new), updated=len(old))


def key_ids(conn: Connection, table: Table, *key: str) -> dict:
    """Natural key -> id after a write (tuples for composite keys)."""
    cols = [table.c[k] for k in key]
    rows = conn.execute(select(*cols, table.c.id)).all()
    if len(key) == 1:
        return {r[0]: r[1] for r in rows}
    return {tuple(r[:-1]): r[-1] for r in rows}


def replace_children(conn: Connection, table: Table, parent_column: str, parents: Iterable[int],
                     rows: Sequence[dict]) -> None:
    """Delete the children of the given (updated) parents, then insert `rows` for every parent."""
    parents = [p for p in parents if p is not None]
    col = table.c[parent_column]
    for i in range(0, len(parents), _IN_CHUNK):
        conn.execute(delete(table).where(col.in_(parents[i:i + _IN_CHUNK])))
    if rows:
        conn.execute(insert(table), list(rows))


def existing_ids(keys: pd.Series, ids: dict) -> list[int | None]:
    return [ids.get(k) for k in keys.tolist()]
