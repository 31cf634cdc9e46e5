"""Creating, editing and deleting one record by hand, with undo and redo: the services the desktop's
record form and the command line both call.

    validate(store, "proposal", values)                  -> [FieldProblem(field, value, rule), ...]
    create(store, "proposal", values)                    -> Change, or EditRefused (nothing written)
    update(store, "proposal", "P-0001", {"title": ...})  -> Change
    delete(store, "call", "DE-FOA-0003612")              -> Change, or DeleteRefused naming what refers to it
    undo(store, change) / redo(store, change)            -> Change, or EditConflict (nothing written)
    read_versioned(store, "proposal", "P-0001")          -> (texts, version)
    update(..., expected_version=3)                      -> Change, or VersionConflict showing both versions

Values are the columns of the kind's import file, as text, and are checked by the import's own rules
(edits_check.py). Each operation is one transaction: all of it is written or none. A `Change` says which
tables it wrote, so that views reload only what they show, and holds the record's rows before and after
as plain values: undo writes the rows back exactly (same ids, codes and values), redo writes them again,
and both first make sure nothing else has changed the record in between. An update given the version
its editor read is refused if the record was written since (portfolio/versions.py): two officers
editing one record, the second save is refused with both versions shown, never silently lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select, update as sql_update
from sqlalchemy.exc import IntegrityError

from .audit_log import acting_as, os_user
from .edits_check import Checked, FieldProblem, check, record_texts, row_texts
from .edits_refs import References, dependent_rows, references as _references
from .edits_rows import KINDS, EditKind, Rows, apply, differs, edit_kind, record_id, record_rows, rows_at
from .schema import ProposalStatusChange, metadata
from .store import Store
from .versions import bumped, lock_record

__all__ = [
    "KINDS", "Change", "FieldProblem", "References", "EditError", "EditRefused", "DeleteRefused", "EditConflict",
    "RecordMissing", "VersionConflict", "validate", "read", "read_versioned", "blank", "references", "create",
    "update", "delete", "undo", "redo",
]


HAND_NOTE = "set by hand"
LEDGER_REASON = "edited in the record editor"  # the reason on ledger entries an edit of commitment totals adds


class EditError(ValueError):
    """An edit that was not made; the message says why in words a person can act on."""


class EditRefused(EditError):
    def __init__(self, kind: str, code: str, problems: list[FieldProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{kind} {code or '(new)'} was not saved:\n{lines}")


class DeleteRefused(EditError):
    def __init__(self, refs: References, needs_cascade: bool = False) -> None:
        self.references = refs
        self.needs_cascade = needs_cascade
        extra = " Nothing was deleted: delete with cascade to go ahead." if needs_cascade else ""
        super().__init__(refs.explain() + extra)


class EditConflict(EditError):
    """Undo or redo would overwrite something written after the edit, or the database refused it."""


class RecordMissing(EditError):
    pass


class VersionConflict(EditConflict):
    """The record was written after its editor read it: `yours` are the texts the editor saved,
    `stored` what the database holds now, under `stored_version` (the editor read `expected_version`)."""

    def __init__(self, kind: str, code: str, expected_version: int, stored_version: int,
                 yours: dict[str, str], stored: dict[str, str]) -> None:
        self.kind, self.code = kind, code
        self.expected_version, self.stored_version = expected_version, stored_version
        self.yours, self.stored = yours, stored
        self.fields = [f for f in stored if yours.get(f, stored[f]) != stored[f]]
        lines = "\n".join(f"  {f}: yours {yours[f]!r}, stored {stored[f]!r}" for f in self.fields)
        super().__init__(
            f"{kind} {code} was not saved: it was changed by someone else after you opened it (you edited "
            f"version {expected_version}; it is now version {stored_version}). Nothing was written."
            + (f" Where the two differ:\n{lines}" if lines else " Your values equal the stored ones."))


@dataclass(frozen=True)
class Change:
    kind: str  # "proposal"
    code: str
    action: str  # create, update, delete, undo, redo
    record_id: int
    before: Rows  # the rows this change replaced (the record's, and for a delete what it cascaded to)
    after: Rows  # the rows it left
    tables: frozenset[str]  # the tables whose rows it changed
    description: str  # "Edit proposal P-0001", for an undo menu

    @property
    def changed(self) -> bool:
        return bool(self.tables)


def default_author() -> str:
    return os_user()


def _missing(kind: EditKind, code: str) -> RecordMissing:
    return RecordMissing(f"there is no {kind.name} {code} (it may have been deleted meanwhile)")


def _stored(conn: Connection, kind: EditKind, code: str) -> tuple[int, dict[str, str]]:
    rid = record_id(conn, kind, code)
    texts = record_texts(conn, kind, code) if rid is not None else None
    if texts is None:
        raise _missing(kind, code)
    return rid, texts


def _merged(kind: EditKind, stored: dict[str, str] | None, values: dict[str, object],
            author: str | None) -> dict[str, str]:
    """The full row: stored texts (when editing) overlaid by the values given.

    A proposal whose status moves by hand records that move today and by this person, unless the
    values say when and by whom (the import's columns status_changed_on and status_changed_by)."""
    given = {c: v for c, v in row_texts(kind, values).items() if c in values}
    texts = {**(stored or row_texts(kind, {})), **given}
    if kind.name == "proposal":
        author = author or default_author()
        if stored is None:
            texts["status_changed_by"] = texts["status_changed_by"] or author
        elif texts["status"].strip() not in ("", stored["status"]):
            if texts["status_changed_on"] == stored["status_changed_on"]:
                texts["status_changed_on"] = date.today().isoformat()
            if texts["status_changed_by"] == stored["status_changed_by"]:
                texts["status_changed_by"] = author
    return texts


def validate(store: Store, kind: str, values: dict[str, object], *, code: str | None = None) -> list[FieldProblem]:
    """What is wrong with `values` as a new record (code None) or as the record `code`; [] if nothing."""
    k = edit_kind(kind)
    with store.engine.connect() as conn:
        stored = _stored(conn, k, code)[1] if code is not None else None
        return check(conn, k, _merged(k, stored, values, None), creating=code is None).problems


def read(store: Store, kind: str, code: str) -> dict[str, str]:
    """The record as the texts of its row in an import file."""
    k = edit_kind(kind)
    with store.engine.connect() as conn:
        return _stored(conn, k, code)[1]


def read_versioned(store: Store, kind: str, code: str) -> tuple[dict[str, str], int]:
    """The record's texts and the version they are, to give back to `update`.

    The texts take several statements, and neither engine holds one snapshot across them here
    (PostgreSQL reads committed data per statement; pysqlite reads outside a transaction), so the
    version is read before and after: equal, the texts are that version's; else read again."""
    k = edit_kind(kind)
    version = select(k.table.c.version).where(k.table.c[k.key] == code)
    with store.engine.connect() as conn:
        while True:
            before = conn.execute(version).scalar()
            texts = _stored(conn, k, code)[1]
            if conn.execute(version).scalar() == before:
                return texts, before
            conn.rollback()  # a new snapshot for the next try


def blank(kind: str) -> dict[str, str]:
    """A new record's texts: every field empty (the import's defaults apply where a field has one)."""
    return row_texts(edit_kind(kind), {})


def references(store: Store, kind: str, code: str) -> References:
    k = edit_kind(kind)
    with store.engine.connect() as conn:
        rid = record_id(conn, k, code)
        if rid is None:
            raise _missing(k, code)
        return _references(conn, k, rid, code)


def _write(conn: Connection, kind: EditKind, checked: Checked, author: str | None) -> int:
    if checked.problems:
        raise EditRefused(kind.name, checked.key, checked.problems)
    # A commitment's changed totals get ledger entries in the editor's name (the import writes them).
    checked.context.ledger_by = author or default_author()
    checked.context.ledger_reason = LEDGER_REASON
    history = ProposalStatusChange.__table__
    last = conn.execute(select(func.max(history.c.id))).scalar() or 0
    try:
        checked.io.write(conn, checked.parsed, checked.context)
    except IntegrityError as e:  # validation should have caught it; say what the database said
        raise EditRefused(kind.name, checked.key,
                          [FieldProblem("", "", f"the database refused the {kind.name}: {e.orig}")]) from e
    # The import notes the status changes it records as its own; these were made by hand.
    conn.execute(sql_update(history).where(history.c.id > last).values(note=HAND_NOTE))
    return record_id(conn, kind, checked.key)


def create(store: Store, kind: str, values: dict[str, object], *, author: str | None = None) -> Change:
    k = edit_kind(kind)
    # The author is also who the audit log names, where the database does not know (SQLite).
    with acting_as(author), store.engine.begin() as conn:
        checked = check(conn, k, _merged(k, None, values, author), creating=True)
        rid = _write(conn, k, checked, author)
        after = record_rows(conn, k, rid)
    empty = {t: {} for t in after}
    return Change(k.name, checked.key, "create", rid, empty, after, differs(empty, after),
                  f"Create {k.name} {checked.key}")


def update(store: Store, kind: str, code: str, values: dict[str, object], *, author: str | None = None,
           expected_version: int | None = None) -> Change:
    """Change the fields given in `values` (the others keep their stored texts). With the version its
    editor read, refused (VersionConflict) if the record was written since."""
    k = edit_kind(kind)
    with acting_as(author), store.engine.begin() as conn:
        version = lock_record(conn, k.table, k.table.c[k.key], code)
        rid, stored = _stored(conn, k, code)
        if expected_version is not None and version != expected_version:
            raise VersionConflict(k.name, code, expected_version, version,
                                  _merged(k, stored, values, author), stored)
        before = record_rows(conn, k, rid)
        checked = check(conn, k, _merged(k, stored, values, author), creating=False)
        _write(conn, k, checked, author)
        after = record_rows(conn, k, rid)
    return Change(k.name, code, "update", rid, before, after, differs(before, after), f"Edit {k.name} {code}")


def delete(store: Store, kind: str, code: str, *, cascade: bool = False) -> Change:
    """Delete the record and the rows it owns. Refused while other records need it; records that
    would be deleted or unlinked with it (a proposal's reviews) need `cascade`."""
    k = edit_kind(kind)
    with store.engine.begin() as conn:
        lock_record(conn, k.table, k.table.c[k.key], code)
        rid = record_id(conn, k, code)
        if rid is None:
            raise _missing(k, code)
        refs = _references(conn, k, rid, code)
        if refs.blocked or (refs.dependents and not cascade):
            raise DeleteRefused(refs, needs_cascade=not refs.blocked)
        before = record_rows(conn, k, rid)
        now, left = dependent_rows(conn, k, rid)
        after: Rows = {t: {} for t in before}
        # Merged per table, not replaced: a dependent may sit in the record's own table (a Phase II
        # proposal whose continues_id points at the proposal deleted).
        for rows, extra in ((before, now), (after, left)):
            for table, found in extra.items():
                rows.setdefault(table, {}).update(found)
        apply(conn, before, after)
    return Change(k.name, code, "delete", rid, before, after, differs(before, after), f"Delete {k.name} {code}")


def undo(store: Store, change: Change) -> Change:
    """Put back the rows `change` replaced."""
    return _restore(store, change, change.after, change.before, "undo")


def redo(store: Store, change: Change) -> Change:
    """Write `change` again after it was undone."""
    return _restore(store, change, change.before, change.after, "redo")


def _restore(store: Store, change: Change, expected: Rows, target: Rows, action: str) -> Change:
    k = edit_kind(change.kind)
    name = f"{k.name} {change.code}"
    tables = {t.name: t for t in metadata.sorted_tables}
    with store.engine.begin() as conn:
        lock_record(conn, k.table, k.table.c.id, change.record_id)
        now = record_rows(conn, k, change.record_id)
        # Rows outside the record that the change touched, also in the record's own table (a Phase II
        # proposal that continues the proposal deleted).
        for table in expected.keys() | target.keys():
            keys = (expected.get(table, {}).keys() | target.get(table, {}).keys()) - now.get(table, {}).keys()
            now.setdefault(table, {}).update(rows_at(conn, tables[table], keys))
        if now[k.table.name] and not target.get(k.table.name):
            refs = _references(conn, k, change.record_id, change.code)
            if refs.blocked:
                raise EditConflict(f"Cannot {action} “{change.description}”: {refs.explain()}")
            for table, rows in dependent_rows(conn, k, change.record_id)[0].items():
                now.setdefault(table, {}).update(rows)
        if differs(now, expected):
            raise EditConflict(
                f"Cannot {action} “{change.description}”: {name} was changed after it "
                f"({', '.join(sorted(differs(now, expected)))}), and {action} would overwrite that change. "
                "Nothing was written.")
        try:
            apply(conn, now, target)
            if target.get(k.table.name) and now.get(k.table.name) == target.get(k.table.name) \
                    and differs(now, target):
                # Only rows the record owns changed: still a new version of the record.
                conn.execute(sql_update(k.table).where(k.table.c.id == change.record_id).values(bumped(k.table)))
        except IntegrityError as e:
            raise EditConflict(f"Cannot {action} “{change.description}”: the database refused it ({e.orig}). "
                               "Nothing was written.") from e
    return Change(k.name, change.code, action, change.record_id, now, target, differs(now, target),
                  f"{action.capitalize()} {change.description[0].lower()}{change.description[1:]}")
