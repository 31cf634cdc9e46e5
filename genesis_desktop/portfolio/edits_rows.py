"""The kinds of record a person edits by hand, and their rows as plain values.

A record is its main row plus the rows it owns (a call's phases, a proposal's budget years, team,
challenges and status history, a commitment's fiscal years). Edits remember those rows before and
after, as plain Python values keyed by primary key, so that undo and redo put back exactly what was
there: the same ids, codes and values, whatever wrote the change.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Connection, Table, and_, delete, insert, select, update

from .schema import (
    Call, CallPhase, Challenge, Commitment, CommitmentEntry, CommitmentYear, Institution, Partner, Proposal,
    ProposalBudget, ProposalChallenge, ProposalInstitution, ProposalStatusChange, metadata,
)
from .versions import bumped, without_version

# table name -> primary key (a tuple) -> column -> plain value
Rows = dict[str, dict[tuple, dict]]


@dataclass(frozen=True)
class EditKind:
    name: str  # "proposal"
    io_name: str  # the import/export kind: "proposals"
    table: Table
    key: str  # the natural key, the same name as a column and as a file column
    parts: tuple[Table, ...]  # rows the record owns, each with one foreign key to `table`
    plural: str
    # Its export can read one record instead of all (proposals grow to a million rows).
    reads_one: bool = False

    @property
    def title(self) -> str:
        return self.name.capitalize()


KINDS: dict[str, EditKind] = {k.name: k for k in (
    EditKind("institution", "institutions", Institution.__table__, "code", (), "institutions"),
    EditKind("challenge", "challenges", Challenge.__table__, "code", (), "challenges"),
    EditKind("call", "calls", Call.__table__, "number", (CallPhase.__table__,), "calls"),
    EditKind("partner", "partners", Partner.__table__, "code", (), "partners"),
    # The ledger entries go with the years: undo and redo put both back, so they still add up.
    EditKind("commitment", "commitments", Commitment.__table__, "code",
             (CommitmentYear.__table__, CommitmentEntry.__table__), "commitments"),
    EditKind("proposal", "proposals", Proposal.__table__, "code",
             (ProposalChallenge.__table__, ProposalInstitution.__table__, ProposalBudget.__table__,
              ProposalStatusChange.__table__), "proposals", reads_one=True),
)}

# Parents before children: inserts go in this order, deletes in the reverse.
_ORDER = {t.name: i for i, t in enumerate(metadata.sorted_tables)}


def edit_kind(name: str) -> EditKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind of record {name!r}: use one of {', '.join(KINDS)}") from None


def owner_column(part: Table, owner: Table):
    """The column of `part` that points at `owner`."""
    return next(fk.parent for fk in part.foreign_keys if fk.column.table is owner)


def plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def _pk(table: Table, row: dict) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


def read_rows(conn: Connection, table: Table, where) -> dict[tuple, dict]:
    """The rows as plain values, without a record's version: that only grows, so it is never compared
    or written back (an undo writes the old values under a new version)."""
    rows = {}
    for r in conn.execute(select(table).where(where)):
        row = without_version(table, {k: plain(v) for k, v in r._mapping.items()})
        rows[_pk(table, row)] = row
    return rows


def record_id(conn: Connection, kind: EditKind, code: str) -> int | None:
    return conn.execute(select(kind.table.c.id).where(kind.table.c[kind.key] == code)).scalar()


def record_rows(conn: Connection, kind: EditKind, rid: int) -> Rows:
    """The record's main row (absent if deleted) and every row it owns."""
    rows: Rows = {kind.table.name: read_rows(conn, kind.table, kind.table.c.id == rid)}
    for part in kind.parts:
        rows[part.name] = read_rows(conn, part, owner_column(part, kind.table) == rid)
    return rows


def rows_at(conn: Connection, table: Table, keys) -> dict[tuple, dict]:
    """The rows of `table` now at these primary keys (missing ones left out)."""
    pk = list(table.primary_key.columns)
    found: dict[tuple, dict] = {}
    for key in keys:
        found.update(read_rows(conn, table, and_(*(c == v for c, v in zip(pk, key)))))
    return found


def differs(a: Rows, b: Rows) -> frozenset[str]:
    """The tables whose rows are not the same in `a` and `b` (a table missing from one has no rows there)."""
    return frozenset(t for t in a.keys() | b.keys() if a.get(t, {}) != b.get(t, {}))


def apply(conn: Connection, current: Rows, target: Rows) -> None:
    """Make the rows `current` describes into `target`: delete, then insert, then update.

    Deletes run children first and inserts parents first, so foreign keys hold at every step; updates
    come last so that a row pointing at an inserted one (a partner's institution) finds it there.
    """
    names = sorted(current.keys() | target.keys(), key=_ORDER.__getitem__)
    tables = {t.name: t for t in metadata.sorted_tables}
    for name in reversed(names):
        table, now, want = tables[name], current.get(name, {}), target.get(name, {})
        pk = list(table.primary_key.columns)
        for key in now.keys() - want.keys():
            conn.execute(delete(table).where(and_(*(c == v for c, v in zip(pk, key)))))
    for name in names:
        now, want = current.get(name, {}), target.get(name, {})
        added = [want[k] for k in want.keys() - now.keys()]
        if added:
            conn.execute(insert(tables[name]), added)
    for name in names:
        table, now, want = tables[name], current.get(name, {}), target.get(name, {})
        pk = list(table.primary_key.columns)
        for key in want.keys() & now.keys():
            if want[key] != now[key]:
                conn.execute(update(table).where(and_(*(c == v for c, v in zip(pk, key))))
                             .values({**want[key], **bumped(table)}))
