"""The PostgreSQL side of the audit triggers (audit_triggers.py says what they are for).

One plpgsql function logs every audited table: to_jsonb(OLD/NEW) takes whatever columns the row has
now, so a column added later is logged without reinstalling; only a new table needs install().

- SECURITY DEFINER: it runs as the log's owner, so roles without any privilege on audit_log (none
  has one: it is revoked from PUBLIC) still append to it, and only through it.
- The actor is session_user: the role that logged in, which SET ROLE cannot change.
- pg_advisory_xact_lock serialises appends until commit, so that under concurrent writers ids and
  the chain agree (each entry reads the last committed one). Writers of audited tables therefore
  commit one at a time; under REPEATABLE READ a second writer fails on the id instead of forking.
- The log's own triggers refuse UPDATE, DELETE and TRUNCATE, even by its owner, and an INSERT that
  does not come from the audit trigger. Getting past them takes disabling triggers, which a
  superuser or the owner can do; what they then change the hash chain exposes.
"""
from __future__ import annotations

from sqlalchemy import Connection

from .audit_log import FIRST_PREV_HASH

FUNCTION = "genesis_audit"
REFUSE = "genesis_audit_refuse"
TRIGGER = "genesis_audit"  # on each audited table
GUARDS = {"genesis_audit_log_no_change": "BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW",
          "genesis_audit_log_no_truncate": "BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT",
          "genesis_audit_log_only_appended": "BEFORE INSERT ON audit_log FOR EACH ROW"}

_LOG = """
CREATE OR REPLACE FUNCTION {schema}.{function}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    row_json jsonb;
    before_text text;
    after_text text;
    key_text text;
    last_id integer;
    last_hash text;
    entry_id integer;
    at_text text;
    actor text := session_user;
    tx_text text := pg_current_xact_id()::text;
    action text := lower(TG_OP);
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_json := to_jsonb(OLD);
        before_text := row_json::text;
    ELSE
        row_json := to_jsonb(NEW);
        after_text := row_json::text;
        IF TG_OP = 'UPDATE' THEN
            IF to_jsonb(OLD) = row_json THEN
                RETURN NULL;  -- an update that changes nothing is not logged
            END IF;
            before_text := to_jsonb(OLD)::text;
        END IF;
    END IF;
    SELECT jsonb_agg(row_json -> k ORDER BY n)::text INTO key_text
        FROM unnest(TG_ARGV) WITH ORDINALITY AS pk(k, n);
    PERFORM pg_advisory_xact_lock(hashtext('genesis.audit_log'));
    SELECT id, hash INTO last_id, last_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    entry_id := coalesce(last_id, 0) + 1;
    last_hash := coalesce(last_hash, '{first}');
    at_text := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    INSERT INTO audit_log (id, at, actor, tx, table_name, row_key, action, before, after, prev_hash, hash)
    VALUES (entry_id, at_text, actor, tx_text, TG_TABLE_NAME, key_text, action, before_text, after_text, last_hash,
            encode(sha256(convert_to(
                {canonical}, 'UTF8')), 'hex'));
    RETURN NULL;
END
$$
"""

_REFUSE = """
CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is this trigger on a statement a client sent; the audit trigger's insert is deeper.
    IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    -- (the message is concatenated: psycopg would take a percent sign for a placeholder)
    RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused',
              ERRCODE = 'insufficient_privilege',
              HINT = 'entries are appended by the audit triggers and never changed or removed';
END
$$
"""


def _canonical_sql() -> str:
    """audit_log.canonical() in SQL: each field as char_length:text, NULL as '-'."""
    fields = ("entry_id::text", "at_text", "actor", "tx_text", "TG_TABLE_NAME::text", "key_text", "action",
              "before_text", "after_text", "last_hash")
    return " || ".join(f"coalesce(char_length({f})::text || ':' || {f}, '-')" for f in fields)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def install(conn: Connection, tables: list[str], keys: dict[str, list[str]]) -> None:
    schema = _ident(conn.exec_driver_sql("SELECT current_schema()").scalar())
    conn.exec_driver_sql(_LOG.format(schema=schema, function=FUNCTION, first=FIRST_PREV_HASH,
                                     canonical=_canonical_sql()))
    conn.exec_driver_sql(_REFUSE.format(schema=schema, refuse=REFUSE))
    for table in tables:
        args = ", ".join("'" + k.replace("'", "''") + "'" for k in keys[table])
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {schema}.{_ident(table)}")
        conn.exec_driver_sql(f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {schema}.{_ident(table)} "
                             f"FOR EACH ROW EXECUTE FUNCTION {schema}.{FUNCTION}({args})")
    for name, when in GUARDS.items():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {schema}.audit_log")
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {schema}.{REFUSE}()")
    conn.exec_driver_sql(f"REVOKE ALL ON {schema}.audit_log FROM PUBLIC")
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {schema}.{FUNCTION}() FROM PUBLIC")


def enabled_triggers(conn: Connection) -> dict[str, set[str]]:
    """table -> the names of its enabled triggers, in the current schema."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'D'")
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


def remove(conn: Connection) -> None:
    """Drop the functions and, with them (CASCADE), every trigger that calls them."""
    schema = _ident(conn.exec_driver_sql("SELECT current_schema()").scalar())
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {schema}.{FUNCTION}() CASCADE")
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {schema}.{REFUSE}() CASCADE")
