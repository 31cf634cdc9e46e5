"""`genesis db copy SRC DST`: a whole portfolio from one database to another (SQLite to PostgreSQL and
back), for an analyst's offline copy or an office's move to a shared server.

The target is brought to this program's schema first and must hold no records. Every table is copied
in one transaction on the target, rows in key order, parents before children: a copy that fails
leaves the target as empty as it was. The compute job tables (their own metadata, compute/tables.py)
are copied with the rest when the source has them. PostgreSQL's id sequences are moved past the
copied ids. At the end the two `summary` outputs are compared; they must be equal.

The audit log is copied as it is, entry for entry, so that an analyst's copy carries the history and
`genesis audit verify` passes on it: the target's audit triggers are dropped for the copy (else every
row copied would be logged again, as a new insert by whoever copies) and put back before it commits.
That takes the rights of the target's owner, which whoever made the empty target database has.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import JSON, Connection, Table, bindparam, func, inspect, insert, select, text, update

from . import access_grants, audit_triggers
from .audit_log import audit_log
from .schema import metadata
from .store import open_store
from .summary import summary

BATCH_ROWS = 5_000


class CopyRefused(ValueError):
    """The copy cannot be made; the message names the database, table and rule."""


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]  # table -> rows copied
    summary: dict


def copy_portfolio(source_url: str, target_url: str, extra_tables: Sequence[Table] = ()) -> CopyReport:
    """Copy every record; `extra_tables` (the job tables) come after the portfolio's, where the source
    has them."""
    if source_url == target_url:
        raise CopyRefused(f"{target_url}: the source and the target are the same database")
    source = open_store(source_url, create=False)
    target = open_store(target_url)
    try:
        # The migrations make the job tables on the target; an old source may lack them.
        present = set(inspect(source.engine).get_table_names())
        tables = list(metadata.sorted_tables) + [t for t in [*extra_tables, audit_log] if t.name in present]
        with target.engine.connect() as check:
            for table in tables:
                held = check.scalar(select(func.count()).select_from(table))
                if held:
                    raise CopyRefused(f"{target.url}: table {table.name} already holds {held} rows; "
                                      "copy into an empty database (a new SQLite file or a new PostgreSQL database)")
        rows = {}
        with source.engine.connect() as reading, target.engine.begin() as writing:
            audit_triggers.remove(writing)
            for table in tables:
                rows[table.name] = _copy_table(reading, writing, table)
            if writing.dialect.name == "postgresql":
                _move_sequences(writing, tables)
                access_grants.grant_connect(writing)  # the accounts copied, where their logins exist here
            audit_triggers.install(writing)
        copied, original = summary(target), summary(source)
        if copied != original:
            raise RuntimeError(f"the copy's summary differs from the source's: {copied} != {original}")
        return CopyReport(rows, copied)
    finally:
        source.close()
        target.close()


def _copy_table(reading: Connection, writing: Connection, table: Table) -> int:
    # A row may point at a later row of its own table (a Phase II proposal at its Phase I): such
    # columns are written empty first and filled in once every row of the table is there.
    own = [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]
    key = [c.name for c in table.primary_key.columns]
    # SQL NULL stays NULL in a JSON column (SQLAlchemy would otherwise write the JSON text 'null').
    values = {c.name: bindparam(c.name, type_=JSON(none_as_null=True)) for c in table.columns
              if isinstance(c.type, JSON)}
    statement = insert(table).values(values) if values else insert(table)
    later: list[dict] = []
    count = 0
    result = reading.execution_options(yield_per=BATCH_ROWS).execute(select(table).order_by(*table.primary_key.columns))
    for batch in result.partitions():
        records = [dict(row._mapping) for row in batch]
        for record in records:
            if own and any(record[c] is not None for c in own):
                later.append({**{f"k_{k}": record[k] for k in key}, **{f"v_{c}": record[c] for c in own}})
                record.update({c: None for c in own})
        writing.execute(statement, records)
        count += len(records)
    if later:
        where = [table.c[k] == bindparam(f"k_{k}") for k in key]
        writing.execute(update(table).where(*where).values({c: bindparam(f"v_{c}") for c in own}), later)
    return count


def _move_sequences(writing: Connection, tables: Sequence[Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            # NULL for a key without a sequence (a composite key, a text code): nothing to move.
            sequence = writing.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name})
            if sequence:
                writing.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT max({column.name}) "
                                     f"FROM {table.name}), 0) + 1, false)"))
