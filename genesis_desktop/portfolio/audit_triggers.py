"""The database triggers that fill the audit log, and keep it append-only.

    install(conn)   (re)create the triggers on every audited table of the LIVE database
    remove(conn)    drop them all (a downgrade; `db copy`, which copies the log itself)

Triggers, not application code, so that a change made with any client is logged. Which tables and
which columns come from the live database (the inspector), never from the current models: a
migration calls install() at the point where it runs, and the SQLite triggers name every column, so
a later migration that adds or rebuilds a table (SQLite's batch mode drops a table's triggers with
it) must call install() again at its end. install() is idempotent.

The compute job tables are not audited: jobs, their state changes, telemetry and block results are
the run state of the compute engine, written many times a second while a job runs, not records a
person changes; their own history is in job_state_change. The compute engine also writes them
through an engine of its own, without the functions the SQLite triggers call.
"""
from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from . import audit_triggers_pg
from .audit_log import FIRST_PREV_HASH

NOT_AUDITED = frozenset({
    "alembic_version", "audit_log",  # the schema's bookkeeping, and the log itself
    "job", "job_block", "job_state_change", "job_telemetry",  # compute run state (see above)
})
PREFIX = "genesis_audit"


def audited_tables(conn: Connection) -> list[str]:
    return sorted(t for t in inspect(conn).get_table_names()
                  if t not in NOT_AUDITED and not t.startswith(("_alembic_tmp_", "sqlite_")))


def install(conn: Connection) -> list[str]:
    """Create (or recreate) the audit triggers and the log's guards; returns the tables audited."""
    tables = audited_tables(conn)
    if conn.dialect.name == "postgresql":
        audit_triggers_pg.install(conn, tables, _primary_keys(conn, tables))
    elif conn.dialect.name == "sqlite":
        _remove_sqlite(conn)
        ins = inspect(conn)
        for table in tables:
            columns = [(c["name"], str(c["type"]).upper()) for c in ins.get_columns(table)]
            for statement in sqlite_triggers(table, columns, ins.get_pk_constraint(table)["constrained_columns"]):
                conn.exec_driver_sql(statement)
        for action in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f'CREATE TRIGGER "{PREFIX}_log_no_{action.lower()}" BEFORE {action} ON audit_log BEGIN '
                f"SELECT RAISE(ABORT, 'audit_log is append-only: an entry cannot be changed or removed'); END")
    else:
        raise NotImplementedError(f"no audit triggers for {conn.dialect.name}")
    return tables


def missing(conn: Connection) -> list[str]:
    """The audited tables whose triggers are missing or disabled ('audit_log' when its guards are)."""
    if conn.dialect.name == "postgresql":
        present = audit_triggers_pg.enabled_triggers(conn)
        wanted = {t: {audit_triggers_pg.TRIGGER} for t in audited_tables(conn)}
        wanted["audit_log"] = set(audit_triggers_pg.GUARDS)
    else:
        present = {}
        for name, table in conn.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")):
            present.setdefault(table, set()).add(name)
        wanted = {t: {f"{PREFIX}_{t}_{a}" for a in ("insert", "update", "delete")} for t in audited_tables(conn)}
        wanted["audit_log"] = {f"{PREFIX}_log_no_update", f"{PREFIX}_log_no_delete"}
    return sorted(t for t, names in wanted.items() if not names <= present.get(t, set()))


def remove(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        audit_triggers_pg.remove(conn)
    else:
        _remove_sqlite(conn)


def _remove_sqlite(conn: Connection) -> None:
    names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB :p"),
                         {"p": f"{PREFIX}*"}).scalars().all()
    for name in names:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')


def _primary_keys(conn: Connection, tables: list[str]) -> dict[str, list[str]]:
    ins = inspect(conn)
    return {t: ins.get_pk_constraint(t)["constrained_columns"] for t in tables}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_json(row: str, columns: list[tuple[str, str]]) -> str:
    parts = []
    for name, kind in columns:
        value = f"{row}.{_quote(name)}"
        if "BLOB" in kind or "BINARY" in kind:  # json_object cannot hold a BLOB: its hex text instead
            value = f"hex({value})"
        elif "JSON" in kind:  # nested as JSON, as PostgreSQL's to_jsonb does (text that is not JSON, as text)
            value = f"json(CASE WHEN json_valid({value}) THEN {value} ELSE json_quote({value}) END)"
        parts.append(f"{_literal(name)}, {value}")
    return f"json_object({', '.join(parts)})"


def sqlite_triggers(table: str, columns: list[tuple[str, str]], key: list[str]) -> list[str]:
    """The three triggers (after insert, update, delete) that log `table`'s rows.

    One INSERT ... VALUES each, whose hash is taken over the same expressions as the stored fields
    (a derived table computed once would be the obvious shape, but SQLite flattens it and evaluates
    everything twice anyway, and more slowly). They agree: 'now' is fixed for the statement, and the
    last entry, which gives the new id and prev_hash, cannot change during it (the writer holds
    SQLite's one write lock). genesis_audit_hash, genesis_actor and genesis_tx are Python functions that
    store.make_engine registers on every connection. An update that changes nothing is not logged."""
    name = _literal(table)
    entry_id = "(SELECT coalesce(max(id), 0) + 1 FROM audit_log)"
    at = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    prev = f"coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '{FIRST_PREV_HASH}')"
    statements = []
    for action, row, before, after in (("insert", "NEW", None, "NEW"), ("update", "NEW", "OLD", "NEW"),
                                       ("delete", "OLD", "OLD", None)):
        fields = ", ".join((entry_id, at, "genesis_actor()", "genesis_tx()", name,
                            f"json_array({', '.join(f'{row}.{_quote(k)}' for k in key)})", f"'{action}'",
                            _row_json(before, columns) if before else "NULL",
                            _row_json(after, columns) if after else "NULL", prev))
        changed = " OR ".join(f"OLD.{_quote(c)} IS NOT NEW.{_quote(c)}" for c, _ in columns)
        statements.append(
            f'CREATE TRIGGER "{PREFIX}_{table}_{action}" AFTER {action.upper()} ON {_quote(table)} '
            f"{'WHEN ' + changed + ' ' if action == 'update' else ''}BEGIN "
            "INSERT INTO audit_log (id, at, actor, tx, table_name, row_key, action, before, after, prev_hash, hash) "
            f"VALUES ({fields}, genesis_audit_hash({fields})); END")
    return statements
