"""The audit trail on a real SQLite file and a real PostgreSQL database: edits append who, when, what,
before and after; the log refuses to be changed; a changed or removed entry breaks the hash chain
where it was, and `verify` names it; a record's history is read back from the log."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, select, text
from sqlalchemy.exc import DBAPIError

from genesis_desktop.portfolio import audit_triggers, edits
from genesis_desktop.portfolio.audit import FieldChange, record_history, verify
from genesis_desktop.portfolio.audit_log import HASHED, audit_log, entry_hash, os_user
from genesis_desktop.portfolio.demo import ensure_programme
from genesis_desktop.portfolio.store import open_store, sqlite_path

LBNL = {"code": "LBNL", "name": "Lawrence Berkeley National Laboratory", "kind": "national_lab",
        "country": "US", "city": "Berkeley"}
CALL = {"number": "DE-FOA-0009999", "title": "Second call", "currency": "USD", "total_budget": "1000000.00",
        "phases": "I", "award_floor": "I=100000.00", "award_ceiling": "I=200000.00", "duration_months": "I=12"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("postgres"))])
def store(request):
    """A portfolio with its programme row, on each engine."""
    url = request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
    s = open_store(url)
    with s.session() as session, session.begin():
        ensure_programme(session)
    yield s
    s.close()


def entries(store, table: str | None = None) -> list[dict]:
    query = select(audit_log).order_by(audit_log.c.id)
    if table:
        query = query.where(audit_log.c.table_name == table)
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(query)]


def is_pg(store) -> bool:
    return store.engine.dialect.name == "postgresql"


def tamper(store, sql: str, **params) -> None:
    """Run `sql` on the log past its guards: SQLite's dropped, PostgreSQL's skipped by the superuser."""
    with store.engine.begin() as c:
        if is_pg(store):
            c.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            c.execute(text("DROP TRIGGER IF EXISTS genesis_audit_log_no_update"))
            c.execute(text("DROP TRIGGER IF EXISTS genesis_audit_log_no_delete"))
        c.execute(text(sql), params)


def three_edits(store) -> None:
    edits.create(store, "institution", LBNL, author="ada")
    edits.update(store, "institution", "LBNL", {"city": "Oakland"}, author="ada")
    edits.delete(store, "institution", "LBNL")


def test_create_update_delete_append_who_when_what_before_and_after(store):
    start = datetime.now(timezone.utc) - timedelta(seconds=5)
    before_programme = len(entries(store))
    three_edits(store)
    logged = entries(store, "institution")
    assert [e["action"] for e in logged] == ["insert", "update", "delete"]
    assert [e["id"] for e in logged] == list(range(before_programme + 1, before_programme + 4))
    inserted, updated, deleted = (e for e in logged)
    assert inserted["before"] is None and json.loads(inserted["after"])["name"] == LBNL["name"]
    assert json.loads(updated["before"])["city"] == "Berkeley" and json.loads(updated["after"])["city"] == "Oakland"
    assert json.loads(deleted["before"])["city"] == "Oakland" and deleted["after"] is None
    assert {json.dumps(json.loads(e["row_key"])) for e in logged} == {json.dumps([json.loads(inserted["after"])["id"]])}
    if is_pg(store):  # the role that logged in, whatever the program says
        with store.engine.connect() as c:
            role = c.execute(text("SELECT session_user")).scalar()
        assert [e["actor"] for e in logged] == [role] * 3
    else:  # the author the program acts for; the computer's user when none is given
        assert [e["actor"] for e in logged] == ["ada", "ada", os_user()]
    for e in logged:
        at = datetime.strptime(e["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert start <= at <= datetime.now(timezone.utc) + timedelta(seconds=5)
        assert e["hash"] == entry_hash(*(e[c] for c in HASHED))
    result = verify(store.engine)
    assert result.intact and result.entries == len(entries(store)) and result.last_hash == logged[-1]["hash"]


def test_an_update_that_changes_nothing_is_not_logged(store):
    count = len(entries(store))
    with store.engine.begin() as c:
        c.execute(text("UPDATE programme SET name = name"))
    assert len(entries(store)) == count


def test_an_update_of_a_versioned_record_raises_its_version_and_is_logged(store):
    # Any client's UPDATE of one of the six versioned records is a write: the version trigger raises
    # the version (an editor holding the record is then asked), so the log holds that one change.
    edits.create(store, "institution", LBNL)
    count = len(entries(store))
    with store.engine.begin() as c:
        c.execute(text("UPDATE institution SET city = city"))
    logged = entries(store)[count:]
    assert logged and all((e["table_name"], e["action"]) == ("institution", "update") for e in logged)
    assert (json.loads(logged[0]["before"])["version"], json.loads(logged[-1]["after"])["version"]) == (1, 2)


def test_a_records_history_holds_its_own_rows_and_the_rows_it_owns_even_after_it_is_deleted(store):
    edits.create(store, "call", CALL, author="ada")
    edits.update(store, "call", CALL["number"], {"award_ceiling": "I=210000.00", "title": "Second call, revised"},
                 author="bo")
    edits.delete(store, "call", CALL["number"])
    history = record_history(store, "call", CALL["number"])
    # The edit's writer replaces the phase: SQLite gives the new row the old id (the highest rowid), so
    # the history shows the net change to it; PostgreSQL's sequence gives it a new one, another row.
    phase_edit = [("delete", "call_phase"), ("insert", "call_phase")] if is_pg(store) else [("update", "call_phase")]
    assert [(h.action, h.table) for h in history] == [
        ("insert", "call"), ("insert", "call_phase"), ("update", "call"), *phase_edit,
        ("delete", "call_phase"), ("delete", "call")]
    if not is_pg(store):
        assert [h.actor for h in history] == ["ada", "ada", "bo", "bo", os_user(), os_user()]
    assert history[2].changes == (FieldChange("title", "Second call", "Second call, revised"),)
    ceiling = [(c.before, c.after) for h in history[3:3 + len(phase_edit)] for c in h.changes
               if c.field == "award_ceiling_minor"]
    assert ceiling == ([(20_000_000, None), (None, 21_000_000)] if is_pg(store) else [(20_000_000, 21_000_000)])
    assert FieldChange("number", None, CALL["number"]) in history[0].changes
    assert FieldChange("title", "Second call, revised", None) in history[-1].changes
    assert len({h.tx for h in history[2:2 + 1 + len(phase_edit)]}) == 1  # one save, one transaction
    # As logged: the import's writer, which edits share, replaced the phase (delete, then insert).
    logged = record_history(store, "call", CALL["number"], every_entry=True)
    assert [(h.action, h.table) for h in logged][3:5] == [("delete", "call_phase"), ("insert", "call_phase")]
    assert len(logged) == len(entries(store)) - 1  # all but the programme's row
    assert [h.id for h in history] == sorted(h.id for h in history)
    assert record_history(store, "institution", "NONE") == []


def test_the_database_refuses_to_change_or_remove_an_entry(store):
    three_edits(store)
    kept = entries(store)
    refused = ["UPDATE audit_log SET actor = 'mallory' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2",
               "DELETE FROM audit_log"]
    if is_pg(store):  # ... nor to empty the log, nor to add an entry of one's own
        refused += ["TRUNCATE audit_log", "INSERT INTO audit_log VALUES (99, 'a', 'b', 'x', 'c', '[1]', 'insert', "
                    "NULL, '{}', 'p', 'h')"]
    for sql in refused:
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as c:
            c.execute(text(sql))
    assert entries(store) == kept
    assert verify(store.engine).intact


def test_an_altered_entry_is_named_by_verify(store):
    three_edits(store)
    victim = entries(store, "institution")[1]["id"]
    tamper(store, "UPDATE audit_log SET after = replace(after, 'Oakland', 'Emeryville') WHERE id = :id", id=victim)
    result = verify(store.engine)
    assert (result.problem.kind, result.problem.entry_id) == ("altered", victim)
    assert result.entries == victim - 1  # those before it are sound
    assert f"entry {victim} was altered" in result.problem.message


def test_an_entry_altered_and_rehashed_breaks_the_link_to_the_next(store):
    three_edits(store)
    victim = entries(store, "institution")[1]
    forged = {**victim, "actor": "mallory"}
    tamper(store, "UPDATE audit_log SET actor = 'mallory', hash = :h WHERE id = :id",
           h=entry_hash(*(forged[c] for c in HASHED)), id=victim["id"])
    result = verify(store.engine)
    assert (result.problem.kind, result.problem.entry_id) == ("relinked", victim["id"] + 1)


def test_an_entry_removed_from_the_middle_is_named_by_verify(store):
    three_edits(store)
    victim = entries(store, "institution")[1]["id"]
    tamper(store, "DELETE FROM audit_log WHERE id = :id", id=victim)
    result = verify(store.engine)
    assert (result.problem.kind, result.problem.entry_id) == ("removed", victim)
    assert result.problem.message.startswith(f"entry {victim} removed: the ids go from {victim - 1} to {victim + 1}")


def test_the_first_entries_removed_are_named_too(store):
    three_edits(store)
    tamper(store, "DELETE FROM audit_log WHERE id <= 2")
    assert (verify(store.engine).problem.kind, verify(store.engine).problem.entry_id) == ("removed", 1)


def test_every_record_table_is_audited_and_the_job_tables_are_not(store):
    with store.engine.connect() as c:
        audited = set(audit_triggers.audited_tables(c))
        assert audit_triggers.missing(c) == []
    assert {"proposal", "proposal_budget", "review", "commitment_entry", "scenario", "programme"} <= audited
    assert not audited & {"job", "job_block", "job_state_change", "job_telemetry", "audit_log", "alembic_version"}


def test_a_table_whose_triggers_are_gone_fails_verify(store):
    with store.engine.begin() as c:
        if is_pg(store):
            c.execute(text("ALTER TABLE partner DISABLE TRIGGER genesis_audit"))
        else:
            c.execute(text("DROP TRIGGER genesis_audit_partner_update"))
    result = verify(store.engine)
    assert (result.problem.kind, result.problem.entry_id) == ("unaudited", None)
    assert "partner" in result.problem.message


def test_a_table_rebuilt_by_a_later_migration_is_audited_again_by_install(db_url):
    # What a migration that adds a column in SQLite's batch mode must do: the rebuild drops the table's
    # triggers, install() makes them again, with the new column.
    store = open_store(db_url)
    edits.create(store, "institution", LBNL)
    with store.engine.begin() as c:
        with Operations(MigrationContext.configure(c)).batch_alter_table("institution", recreate="always") as b:
            b.add_column(Column("shelf", Integer, nullable=False, server_default="7"))
        assert audit_triggers.missing(c) == ["institution"]
        audit_triggers.install(c)
        assert audit_triggers.missing(c) == []
    edits.update(store, "institution", "LBNL", {"city": "Oakland"})
    assert json.loads(entries(store, "institution")[-1]["after"])["shelf"] == 7
    assert verify(store.engine).intact
    store.close()


def test_a_client_without_the_programs_functions_cannot_write_unlogged(db_url):
    open_store(db_url).close()
    con = sqlite3.connect(sqlite_path(db_url))
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function: genesis_"):
            con.execute("INSERT INTO institution (code, name, kind, country, city) "
                        "VALUES ('X', 'X', 'university', 'US', '')")
    finally:
        con.close()
