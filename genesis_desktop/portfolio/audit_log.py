"""The audit log's table and the rule that chains its entries.

Every change to a record is appended to `audit_log` by database triggers (audit_triggers.py): who,
when, which row, insert/update/delete, and the row before and after as JSON text. Each entry's hash
covers its own stored fields and the hash of the entry before it, so an entry altered or removed
afterwards breaks the chain where it was (audit.verify finds it).

The table sits on a metadata of its own, as the compute job tables do: the portfolio's metadata is
"the records", and the code that dumps, compares, undoes or copies records must not treat the log of
their changes as one more record (an undo would otherwise never put "everything" back).

Every hashed field is stored as text (`at` too, as ISO 8601 UTC), so that the hash can be recomputed
from what is stored, in Python, on SQLite and on PostgreSQL alike, and survives `genesis db copy`
between the two. The canonical form is length-prefixed, so no value can shift a field boundary.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import getpass
import hashlib
import secrets

from sqlalchemy import CheckConstraint, Column, Index, Integer, MetaData, String, Table, Text

from .base import NAMING

metadata = MetaData(naming_convention=NAMING)

ACTIONS = ("insert", "update", "delete")
# The prev_hash of the first entry: there is nothing before it.
FIRST_PREV_HASH = "0" * 64
# The hashed fields, in the order the canonical form takes them.
HASHED = ("id", "at", "actor", "tx", "table_name", "row_key", "action", "before", "after", "prev_hash")

audit_log = Table(
    "audit_log", metadata,
    # Given by the trigger as the last id + 1 under the chain's lock, never by a sequence: a sequence
    # skips numbers on rollback, and a gap must mean a removed entry.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", String(24), nullable=False),  # 2026-05-01T12:00:00.123Z, UTC, milliseconds
    Column("actor", String(200), nullable=False),  # PostgreSQL: session_user; SQLite: the program's user
    # The transaction that wrote it (PostgreSQL's xact id; SQLite: a token per transaction), so that a
    # history can show one save as one change.
    Column("tx", String(32), nullable=False),
    Column("table_name", String(63), nullable=False),
    Column("row_key", Text, nullable=False),  # the primary key as a JSON array: [5], [12, 2026]
    Column("action", String(6), nullable=False),
    Column("before", Text, nullable=True),  # the row as JSON text; NULL for an insert
    Column("after", Text, nullable=True),  # NULL for a delete
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("action IN ('insert', 'update', 'delete')", name="action_known"),
    Index("ix_audit_log_table_name_row_key", "table_name", "row_key"),
)


def canonical(*fields) -> str:
    """The text an entry's hash is taken over: each of HASHED as `length:text`, NULL as `-`.

    PostgreSQL's trigger builds the same text with char_length (characters, as Python's len)."""
    return "".join("-" if f is None else f"{len(str(f))}:{f}" for f in fields)


def entry_hash(id, at, actor, tx, table_name, row_key, action, before, after, prev_hash) -> str:  # noqa: A002
    """sha256 hex of canonical(...). SQLite's triggers call this for every row they log, so the usual
    entry (only before or after NULL) takes one f-string, a third faster than canonical()."""
    try:
        i = str(id)
        b = "-" if before is None else f"{len(before)}:{before}"
        a = "-" if after is None else f"{len(after)}:{after}"
        text = (f"{len(i)}:{i}{len(at)}:{at}{len(actor)}:{actor}{len(tx)}:{tx}{len(table_name)}:{table_name}"
                f"{len(row_key)}:{row_key}{len(action)}:{action}{b}{a}{len(prev_hash)}:{prev_hash}")
    except TypeError:  # a NULL (or a number) where text belongs: an entry altered by hand
        text = canonical(id, at, actor, tx, table_name, row_key, action, before, after, prev_hash)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache  # asked for on every audited row: the user of a running program does not change
def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (some containers): still say it was by hand
        return "desktop"


# Who the SQLite triggers name as the actor (PostgreSQL names the session's role and ignores this):
# the person the program acts for, by default the one logged in to the computer.
_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("genesis_audit_actor", default=None)


def current_actor() -> str:
    return _ACTOR.get() or os_user()


@contextlib.contextmanager
def acting_as(name: str | None):
    """Name `name` as the actor of the SQLite writes made in this block (None: leave it as it is)."""
    if not name:
        yield
        return
    token = _ACTOR.set(name)
    try:
        yield
    finally:
        _ACTOR.reset(token)


TX_KEY = "genesis_audit_tx"


def register_sqlite_functions(dbapi_conn, info: dict) -> None:
    """The functions the SQLite triggers call; make_engine registers them on every connection.
    `info` is the pooled connection's dict, where new_transaction leaves each transaction's token.

    A client without them (the sqlite3 shell) cannot write an audited table: its writes fail with
    "no such function" rather than go unlogged."""
    info[TX_KEY] = secrets.token_hex(8)  # until the first transaction begins (a raw DBAPI use)
    dbapi_conn.create_function("genesis_audit_hash", len(HASHED), entry_hash, deterministic=True)
    dbapi_conn.create_function("genesis_actor", 0, current_actor)
    dbapi_conn.create_function("genesis_tx", 0, lambda: info[TX_KEY])


def new_transaction(conn) -> None:
    """SQLAlchemy's `begin` event on a SQLite engine: a new token names the transaction's entries."""
    conn.connection.info[TX_KEY] = secrets.token_hex(8)
