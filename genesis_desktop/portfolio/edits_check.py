"""A record typed by hand, checked by the import's own rules.

The form's values are the columns of the kind's import file, as text. They become a one-row table
that the import's validation reads exactly as it reads a row of a file, inside a transaction on the
same database, so a record is accepted or refused by hand just as the same row would be in a file,
and with the same words. Only the file and row are dropped from the message: the form shows each
problem next to its field.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, select

from .edits_rows import EditKind
from .io import registry
from .io.context import Context
from .io.problems import Problems
from .io.sheet import Sheet
from .io.spec import Kind
from .io.tables import RawTable

FORM = "form"  # the "file" a hand-typed record comes from; never shown
ROW = 1


@dataclass(frozen=True)
class FieldProblem:
    field: str  # a column of the kind's import file ("" for the record as a whole)
    value: str
    rule: str

    def __str__(self) -> str:
        if not self.field:
            return self.rule
        return f"{self.field}: value {self.value!r}: {self.rule}"


class RecordContext(Context):
    """The import's context for one record: its own kind's stored keys are looked up for that one key
    instead of read whole (the proposals table may hold a million)."""

    def __init__(self, conn: Connection, problems: Problems, kind: EditKind, key: str) -> None:
        super().__init__(conn, problems)
        self._kind = kind
        self._key = key
        self._own: dict | None = None

    def ids(self, kind: str) -> dict:
        if kind != self._kind.io_name:
            return super().ids(kind)
        if self._own is None:
            key = self._kind.table.c[self._kind.key]
            self._own = dict(self.conn.execute(select(key, self._kind.table.c.id).where(key == self._key)).all())
        return self._own

    def forget(self, kind: str) -> None:
        if kind == self._kind.io_name:
            self._own = None
        super().forget(kind)


@dataclass
class Checked:
    problems: list[FieldProblem]
    parsed: object  # what the import kind's write takes
    context: RecordContext
    io: Kind
    key: str


def io_kind(kind: EditKind) -> Kind:
    return registry.kind(kind.io_name)


def row_texts(kind: EditKind, values: dict[str, object]) -> dict[str, str]:
    """Every column of the kind's file, as text ("" where not given); unknown names are refused."""
    io = io_kind(kind)
    unknown = sorted(set(values) - set(io.columns))
    if unknown:
        raise ValueError(f"{kind.name} has no field {', '.join(unknown)}: its fields are {', '.join(io.columns)}")
    return {c: "" if values.get(c) is None else str(values[c]) for c in io.columns}


def check(conn: Connection, kind: EditKind, values: dict[str, object], creating: bool) -> Checked:
    """Validate `values` as one row of an import of `kind`; nothing is written."""
    io = io_kind(kind)
    texts = row_texts(kind, values)
    frame = pd.DataFrame({c: [t] for c, t in texts.items()}, index=pd.RangeIndex(ROW, ROW + 1)).astype("str")
    problems = Problems()
    key = texts[kind.key].strip()
    ctx = RecordContext(conn, problems, kind, key)
    parsed = io.validate(Sheet(RawTable(FORM, frame, None), io, problems), ctx)
    for deferred in ctx.deferred:
        deferred()
    found = [FieldProblem(p.column, p.value, p.rule) for p in problems.first()]
    stored = key in ctx.ids(kind.io_name)
    if key and creating and stored:
        found.append(FieldProblem(kind.key, key, f"a {kind.name} with this {kind.key} already exists"))
    elif key and not creating and not stored:
        found.append(FieldProblem(kind.key, key, f"no stored {kind.name} has this {kind.key}; "
                                                 f"the {kind.key} of a record cannot be changed"))
    return Checked(found, parsed, ctx, io, key)


def record_texts(conn: Connection, kind: EditKind, code: str) -> dict[str, str] | None:
    """The record as its row in an export file (None if there is no such record)."""
    io = io_kind(kind)
    frame = io.export(conn, only=[code]) if kind.reads_one else io.export(conn)
    rows = frame[frame[kind.key] == code]
    if rows.empty:
        return None
    return {c: str(v) for c, v in rows.iloc[0].items()}
