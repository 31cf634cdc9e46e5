"""Optimistic locking: each record that a person edits by hand carries a `version`, raised by every
write of its row, so that an editor who read an older version is refused instead of overwriting.

The program's own writes raise it explicitly (the import's upsert, the record editor's undo and
redo); a trigger (migration 0007) raises it for any other writer, so that a change made with another client is seen
too. A version is a change counter and only ever grows: undoing an edit writes the old values back
under a new version.

    lock_record(conn, table, key_column, key) -> the stored version (None if there is no such row),
        after taking the lock that keeps other editors of the record waiting until this transaction ends
"""
from __future__ import annotations

from sqlalchemy import Column, Connection, Table, select

VERSION = "version"


def versioned(table: Table) -> bool:
    return VERSION in table.c


def bumped(table: Table) -> dict[str, object]:
    """Values to add to an UPDATE of `table` so that it raises the version (nothing if unversioned)."""
    return {VERSION: table.c[VERSION] + 1} if versioned(table) else {}


def without_version(table: Table, row: dict) -> dict:
    """A row's values without its version: rows that are compared or written back (undo) leave it out."""
    return {k: v for k, v in row.items() if k != VERSION} if versioned(table) else row


def lock_record(conn: Connection, table: Table, key: Column, value: object) -> int | None:
    """The record's stored version, read under a lock held until the transaction ends: PostgreSQL's row
    lock; on SQLite the database's write lock, taken first so that nothing writes between the read and
    this transaction's own write (which SQLite would otherwise refuse with "database is locked")."""
    if conn.dialect.name == "sqlite":
        begin_immediate(conn)
    query = select(table.c[VERSION]).where(key == value)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return conn.execute(query).scalar()


def begin_immediate(conn: Connection) -> None:
    """Start the SQLite transaction holding the write lock; a no-op once something ran in it."""
    if not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
