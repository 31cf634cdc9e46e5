"""Reading the audit log: is its chain intact, and what happened to one record.

    verify(engine)                          -> VerifyResult (entries, the last hash, the first problem)
    record_history(store, "proposal", code) -> [HistoryEntry(when, who, action, what, field changes), ...]

The triggers that write the log are in audit_triggers.py; the entry format and its hash in audit_log.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from . import audit_triggers
from .audit_log import FIRST_PREV_HASH, HASHED, audit_log, entry_hash
from .edits_rows import edit_kind, owner_column, record_id
from .schema import metadata
from .store import Store

BATCH_ROWS = 5_000


@dataclass(frozen=True)
class Problem:
    entry_id: int | None  # the first entry that is wrong or missing; None for a table left unaudited
    kind: str  # altered, removed, relinked, unaudited
    message: str


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    last_id: int | None
    last_hash: str | None  # note it down: entries removed from the end can only be seen against it
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(engine: Engine) -> VerifyResult:
    """Recompute every entry's hash from its stored fields and follow the chain from the first entry;
    stop at the first problem. Also check that every audited table still has its triggers."""
    with engine.connect() as conn:
        count, last, problem = _walk(conn)
        if problem is None:
            missing = audit_triggers.missing(conn)
            if missing:
                problem = Problem(None, "unaudited", f"changes to {', '.join(missing)} are not being logged: "
                                  "their audit triggers are missing or disabled")
    return VerifyResult(count, last[0] if count else None, last[1] if count else None, problem)


def _walk(conn: Connection) -> tuple[int, tuple[int, str], Problem | None]:
    last = (0, FIRST_PREV_HASH)
    count = 0
    rows = conn.execution_options(yield_per=BATCH_ROWS).execute(select(audit_log).order_by(audit_log.c.id))
    for row in rows:
        entry = row._mapping
        eid = entry["id"]
        if eid != last[0] + 1:
            span = f"entry {last[0] + 1}" if eid == last[0] + 2 else f"entries {last[0] + 1} to {eid - 1}"
            return count, last, Problem(last[0] + 1, "removed", f"{span} removed: the ids go from {last[0]} to {eid}")
        if entry_hash(*(entry[c] for c in HASHED)) != entry["hash"]:
            return count, last, Problem(eid, "altered", f"entry {eid} was altered: its hash does not match its content")
        if entry["prev_hash"] != last[1]:
            before = f"entry {last[0]}'s hash" if last[0] else "the start of the log"
            return count, last, Problem(eid, "relinked", f"entry {eid} does not follow {before}: its prev_hash "
                                        "differs (the entry before it was altered and re-hashed, or replaced)")
        last = (eid, entry["hash"])
        count += 1
    return count, last, None


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object  # the value as the log holds it (JSON: text, number, true/false, list); None if absent
    after: object


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: str  # ISO 8601 UTC
    actor: str
    action: str  # insert, update, delete
    tx: str  # the transaction: the entries of one save share it
    table: str
    row_key: list
    changes: tuple[FieldChange, ...]

    @property
    def what(self) -> str:
        """The row: its table, with its key when the key has more than one column."""
        return self.table if len(self.row_key) == 1 else f"{self.table} {json.dumps(self.row_key)}"

    @property
    def label(self) -> str:
        """The row in words: 'proposal budget 2026' (a part's key less its owner's id, which comes first)."""
        return " ".join([self.table.replace("_", " "), *(str(k) for k in self.row_key[1:])])


def record_history(store: Store, kind: str, code: str, *, every_entry: bool = False) -> list[HistoryEntry]:
    """Every logged change to the record `code` of `kind` and to the rows it owns, oldest first.
    Found by its code in the logged rows, so a record deleted since still has its history.

    Unless `every_entry`, the entries one transaction made to one row are folded into their net change: the
    import's writer, which edits share, replaces a record's parts by deleting and inserting them again,
    and a title edit would otherwise list every budget year as removed and added unchanged."""
    k = edit_kind(kind)
    with store.engine.connect() as conn:
        field = _json_field(conn)
        main = audit_log.c.table_name == k.table.name
        named = select(audit_log.c.row_key).where(main, or_(*(field(side, k.key) == code for side in _SIDES)))
        keys = set(conn.execute(named).scalars())
        current = record_id(conn, k, code)
        if current is not None:
            keys.add(json.dumps([current]))
        ids = [json.loads(key)[0] for key in keys]
        wanted = [and_(main, audit_log.c.row_key.in_(keys))] if keys else []
        for part in k.parts:
            owner = owner_column(part, k.table).name
            wanted += [and_(audit_log.c.table_name == part.name, field(side, owner).in_(_as_json_values(conn, ids)))
                       for side in _SIDES] if ids else []
        if not wanted:
            return []
        rows = conn.execute(select(audit_log).where(or_(*wanted)).order_by(audit_log.c.id)).all()
    # The version is the editors' bookkeeping: every save raises it, so listing it says nothing new.
    skip = {"id", "version"} | {owner_column(p, k.table).name for p in k.parts}
    found = [dict(r._mapping) for r in rows]
    return [_entry(r, skip) for r in (found if every_entry else _net(found))]


def _net(rows: list[dict]) -> list[dict]:
    """Fold the entries one transaction made to one row into one entry with their net effect; drop
    those that left the row as it was."""
    last: dict[tuple, int] = {}  # (transaction, table, key) -> index in `out` of the row's entry
    out: list[dict | None] = []
    for row in rows:
        key = (row["tx"], row["actor"], row["table_name"], tuple(json.loads(row["row_key"])))
        if key in last and out[last[key]] is not None:
            out[last[key]] = _folded(out[last[key]], row)
            continue
        last[key] = len(out)
        out.append(row)
    return sorted((r for r in out if r is not None), key=lambda r: r["id"])


def _folded(earlier: dict, later: dict) -> dict | None:
    before, after = earlier["before"], later["after"]
    if (before is None and after is None) or (before and after and json.loads(before) == json.loads(after)):
        return None  # added and removed, or put back as it was
    action = "insert" if before is None else "delete" if after is None else "update"
    return {**later, "action": action, "before": before, "after": after}


_SIDES = (audit_log.c.after, audit_log.c.before)


def _json_field(conn: Connection):
    """(column, name) -> SQL for the top-level field `name` of the JSON text in `column`."""
    if conn.dialect.name == "postgresql":
        return lambda column, name: cast(column, JSONB).op("->>")(name)
    return lambda column, name: func.json_extract(column, f'$."{name}"')


def _as_json_values(conn: Connection, ids: list[int]) -> list:
    # PostgreSQL's ->> answers text; SQLite's json_extract the number itself.
    return [str(i) for i in ids] if conn.dialect.name == "postgresql" else ids


def _entry(row, skip: set[str]) -> HistoryEntry:
    before = json.loads(row["before"]) if row["before"] else {}
    after = json.loads(row["after"]) if row["after"] else {}
    changes = tuple(
        FieldChange(name, before.get(name), after.get(name))
        for name in _ordered(row["table_name"], before, after)
        if name not in skip and before.get(name) != after.get(name)
        and not (_empty(before.get(name)) and _empty(after.get(name)))  # an insert's empty fields
    )
    return HistoryEntry(row["id"], row["at"], row["actor"], row["action"], row["tx"], row["table_name"],
                        json.loads(row["row_key"]), changes)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _ordered(table: str, before: dict, after: dict) -> list[str]:
    """The fields in the table's column order, on both engines (PostgreSQL's jsonb sorts its keys by
    length); then any the table no longer has."""
    columns = [c.name for c in metadata.tables[table].columns] if table in metadata.tables else []
    return list(dict.fromkeys([*(c for c in columns if c in before or c in after), *after, *before]))


def value_text(value: object) -> str:
    """A logged value as a person reads it: '—' for none, JSON for lists and objects."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


