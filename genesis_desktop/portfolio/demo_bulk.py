"""Bulk inserts of column arrays, for the demo's millions of rows.

On SQLite the rows go through the raw DBAPI connection's executemany, inside the caller's
transaction: the ORM is about 22 times slower there and Core executemany about 1.7 times (see
shared/EXAMPLES.md). Every other dialect gets SQLAlchemy Core `conn.execute(insert(table), rows)`,
which lets the driver and the column types do their own conversions.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, insert, text

# Tests switch this off to prove that the portable Core path writes the same rows.
RAW_SQLITE = True


class JsonText(list):
    """A column of JSON documents already serialised the way SQLAlchemy's JSON type writes them
    (json.dumps defaults), so that the SQLite path stores them as they are."""


def _for_sqlite(values: Any) -> list:
    if isinstance(values, JsonText):
        return values
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            if np.datetime_data(values.dtype)[0] == "D":
                return values.astype(str).tolist()
            # SQLAlchemy's SQLite DateTime storage format: space separator, microseconds always written.
            stamps = np.datetime_as_string(values.astype("datetime64[s]"), unit="s").tolist()
            return [s.replace("T", " ") + ".000000" for s in stamps]
        if values.dtype.kind == "b":
            return values.astype(np.int64).tolist()
        return values.tolist()
    return list(values)


def _for_core(values: Any) -> list:
    if isinstance(values, JsonText):
        return [json.loads(v) for v in values]
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M" and np.datetime_data(values.dtype)[0] != "D":
            return values.astype("datetime64[us]").tolist()
        return values.tolist()
    return list(values)


def insert_columns(conn: Connection, table: Table, columns: dict[str, Any]) -> int:
    """Insert equal-length columns (numpy arrays, lists, JsonText) into `table`; returns the row count."""
    names = list(columns)
    if not names:
        return 0
    if conn.dialect.name == "sqlite" and RAW_SQLITE:
        quote = conn.dialect.identifier_preparer.quote
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        values = [_for_sqlite(columns[n]) for n in names]
        rows = list(zip(*values))
        if rows:
            conn.connection.driver_connection.executemany(sql, rows)
        return len(rows)
    values = [_for_core(columns[n]) for n in names]
    rows = [dict(zip(names, row)) for row in zip(*values)]
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


def advance_sequence(conn: Connection, table: Table, column: str = "id") -> None:
    """After rows were written with explicit ids, move PostgreSQL's sequence past them so that the
    next ORM insert does not collide. SQLite takes max(rowid) + 1 by itself."""
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"COALESCE((SELECT max({quote(column)}) FROM {quote(table.name)}), 0) + 1, false)"
        ), {"table": table.name, "column": column})
