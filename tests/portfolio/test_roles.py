"""The four roles on a real PostgreSQL 15 server, each person signed in as their own login role (the
`office` fixture): every forbidden read and write is refused by the server itself, whatever the client.
The reviewers' checks go through psycopg directly, as a reviewer with a plain SQL client would."""
from __future__ import annotations

import io
import json
import sys

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from genesis_desktop.portfolio import access, access_grants, edits
from genesis_desktop.portfolio.accounts import Role
from genesis_desktop.portfolio.schema import metadata
from genesis_desktop.portfolio.store import open_store

pytestmark = pytest.mark.xdist_group("postgres")
# What a reviewer may not read at all: partners' money, ledgers, decisions, jobs, accounts, others' waivers.
HIDDEN_FROM_REVIEWERS = ["partner", "commitment", "commitment_year", "commitment_entry", "exchange_rate",
                         "cofunding_agreement", "cofunding_share", "scenario", "job", "job_telemetry", "account",
                         "conflict_waiver", "review_packet", "proposal_status_change", "audit_log"]


def sql_client(url: str) -> psycopg.Connection:
    """A plain SQL client, autocommit: each statement stands alone, as typed at a psql prompt."""
    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=u.username, password=u.password,
                           autocommit=True)


def rows(conn, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def test_each_login_has_its_role(office):
    for who, role in (("grace", Role.REVIEWER), ("officer", Role.OFFICER), ("analyst", Role.ANALYST)):
        engine = create_engine(office.url[who])
        assert access.role_of(engine) is role
        engine.dispose()
    admin = create_engine(office.admin)
    assert access.role_of(admin) is Role.ADMINISTRATOR  # the superuser who owns the tables
    admin.dispose()


def test_a_reviewer_reads_only_the_proposals_assigned_to_them(office):
    with sql_client(office.url["ken"]) as ken:
        assert rows(ken, "SELECT code FROM proposal ORDER BY code") == [("P-0001",)]
        assert rows(ken, "SELECT code, title FROM proposal WHERE code = 'P-0002'") == []  # grace's, not his
        assert {r[0] for r in rows(ken, "SELECT proposal_id FROM proposal_budget")} == {office.proposal["P-0001"]}
        assert {r[0] for r in rows(ken, "SELECT proposal_id FROM proposal_institution")} == {office.proposal["P-0001"]}
        assert rows(ken, "SELECT reviewer_id FROM review_assignment") == [(office.reviewer["ken@u-tokyo.ac.jp"],)]
        assert rows(ken, "SELECT email FROM reviewer") == [("ken@u-tokyo.ac.jp",)]
        assert rows(ken, "SELECT count(*) FROM call")[0][0] == 1  # the programme's structure is his to read
    with sql_client(office.url["grace"]) as grace:
        assert rows(grace, "SELECT code FROM proposal ORDER BY code") == [("P-0001",), ("P-0002",)]


def test_a_reviewer_cannot_read_money_ledgers_decisions_jobs_or_accounts(office):
    with sql_client(office.url["grace"]) as grace:
        for table in HIDDEN_FROM_REVIEWERS:
            with pytest.raises(errors.InsufficientPrivilege, match=f"permission denied for table {table}"):
                grace.execute(f'SELECT * FROM "{table}" LIMIT 1')


def test_a_reviewer_sees_others_scores_only_once_their_own_review_is_submitted(office):
    grace_id, ken_id = office.reviewer["grace@anl.gov"], office.reviewer["ken@u-tokyo.ac.jp"]
    with sql_client(office.url["ken"]) as ken, sql_client(office.url["grace"]) as grace:
        # Ken's review of P-0001 is a draft: grace's submitted scores are not his to read yet.
        assert rows(ken, "SELECT reviewer_id, state FROM review") == [(ken_id, "draft")]
        assert rows(ken, "SELECT scores FROM review WHERE reviewer_id = %s", grace_id) == []
        # Grace's is submitted, but ken's draft is not a review yet: she sees only her own.
        assert rows(grace, "SELECT reviewer_id FROM review") == [(grace_id,)]
        done = ken.execute("UPDATE review SET state = 'submitted', submitted_at = now(), "
                           "scores = '{\"merit\": 4, \"impact\": 5}' WHERE proposal_id = %s",
                           (office.proposal["P-0001"],))
        assert done.rowcount == 1
        assert sorted(rows(ken, "SELECT reviewer_id, scores FROM review")) == [
            (grace_id, {"merit": 2, "impact": 3}), (ken_id, {"merit": 4, "impact": 5})]
        assert sorted(r[0] for r in rows(grace, "SELECT reviewer_id FROM review")) == sorted([grace_id, ken_id])


def test_a_reviewer_cannot_change_another_reviewers_review_or_write_as_someone_else(office):
    grace_id, ken_id = office.reviewer["grace@anl.gov"], office.reviewer["ken@u-tokyo.ac.jp"]
    p1, p2 = office.proposal["P-0001"], office.proposal["P-0002"]
    with sql_client(office.url["ken"]) as ken:
        changed = ken.execute("UPDATE review SET scores = '{\"merit\": 9}' WHERE reviewer_id = %s", (grace_id,))
        assert changed.rowcount == 0  # her row does not exist for him
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            ken.execute("UPDATE review SET reviewer_id = %s WHERE reviewer_id = %s", (grace_id, ken_id))
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):  # as grace, on her proposal
            ken.execute("INSERT INTO review (proposal_id, reviewer_id, scores, comments, state, updated_at) "
                        "VALUES (%s, %s, '{}', '', 'draft', now())", (p2, grace_id))
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):  # himself, not assigned
            ken.execute("INSERT INTO review (proposal_id, reviewer_id, scores, comments, state, updated_at) "
                        "VALUES (%s, %s, '{}', '', 'draft', now())", (p2, ken_id))
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            ken.execute("DELETE FROM review WHERE reviewer_id = %s", (ken_id,))
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            ken.execute("UPDATE proposal SET title = 'mine now' WHERE id = %s", (p1,))
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            ken.execute("INSERT INTO review_assignment (proposal_id, reviewer_id, position, assigned_at, "
                        "assigned_by) VALUES (%s, %s, 0, now(), 'ken')", (p2, ken_id))
    with sql_client(office.admin) as admin:
        assert rows(admin, "SELECT reviewer_id, scores FROM review WHERE proposal_id = %s ORDER BY id", p1) == [
            (grace_id, {"merit": 2, "impact": 3}), (ken_id, {"merit": 4})]
        assert rows(admin, "SELECT count(*) FROM review WHERE proposal_id = %s", p2) == [(0,)]


def test_the_reviewer_desk_saves_a_review_under_the_servers_rules(office):
    """The desktop's own path (review/scoring.py) works as a reviewer login: drafts, submission, revision."""
    from genesis_desktop.review.scoring import DatabaseReviewerDesk

    store = open_store(office.url["grace"], create=False)
    try:
        assert access.signed_in_reviewer(store.engine) == office.reviewer["grace@anl.gov"]
        desk = DatabaseReviewerDesk(store, "grace@anl.gov")
        assert [a.code for a in desk.assignments()] == ["P-0001", "P-0002"]
        scores = {c.key: 3 for c in desk.rubric("P-0002").criteria}
        desk.save_draft("P-0002", scores, "first look")
        assert desk.submit("P-0002").state == "submitted"
        revised = desk.revise("P-0002", {**scores, next(iter(scores)): 2}, "second look", "read the budget again")
        assert revised.version == 2 and [v.version for v in desk.history("P-0002")] == [1]
    finally:
        store.close()


def test_an_analyst_reads_everything_and_writes_nothing(office):
    admin = open_store(office.admin)
    analyst = open_store(office.url["analyst"], create=False)  # the schema is current: no migration tried
    try:
        for table in metadata.sorted_tables:
            count = select(func.count()).select_from(table)
            with admin.engine.connect() as a, analyst.engine.connect() as b:
                assert b.scalar(count) == a.scalar(count), table.name
        with pytest.raises(DBAPIError) as refused:
            edits.update(analyst, "proposal", "P-0001", {"title": "An analyst's title"})
        assert access.refusal(refused.value).startswith("the database refused this: permission denied for table")
    finally:
        admin.close()
        analyst.close()
    with sql_client(office.url["analyst"]) as conn:
        for statement in ("UPDATE proposal SET title = 'x'", "DELETE FROM review",
                          "INSERT INTO institution (code, name, kind, country, city) "
                          "VALUES ('X', 'X', 'company', 'US', '')",
                          "UPDATE commitment_year SET pledged_minor = 0", "DELETE FROM account"):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)


def test_an_officer_edits_records_but_cannot_make_accounts(office):
    store = open_store(office.url["officer"], create=False)
    try:
        change = edits.update(store, "proposal", "P-0002", {"title": "Quantum algorithm discovery, revised"})
        assert "proposal" in change.tables
        assert edits.read(store, "proposal", "P-0002")["title"] == "Quantum algorithm discovery, revised"
        with pytest.raises(access.AccountRefused, match="only an administrator may add accounts; this login is an "
                                                         "officer"):
            access.add_account(store.engine, "sneaky_one", "administrator", "a long password here")
    finally:
        store.close()
    with sql_client(office.url["officer"]) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("INSERT INTO account (role_name, kind, created_at, created_by) "
                         "VALUES ('sneaky_one', 'administrator', now(), 'x')")
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied to create role"):
            conn.execute("CREATE ROLE sneaky_one LOGIN")
        assert rows(conn, "SELECT count(*) FROM pg_roles WHERE rolname = 'sneaky_one'") == [(0,)]


def test_the_command_line_as_a_reviewer_shows_only_what_the_reviewer_may_see(office, genesis):
    code, out, err = genesis("--db", office.url["ken"], "summary", "--json")
    assert code == 0, err
    seen = json.loads(out)
    assert seen["counts"]["proposals"] == 1 and seen["counts"]["reviews"] == 1 and seen["counts"]["reviewers"] == 1
    assert {"partners", "commitments", "exchange_rates"} <= set(seen["not_readable"])
    assert "commitments" not in seen["money"] and "partners" not in seen["counts"]
    code, _, err = genesis("--db", office.url["ken"], "scenario", "list")
    assert code == 2 and "the database refused this: permission denied for table scenario" in err
    whole = json.loads(genesis("--db", office.admin, "summary", "--json")[1])
    assert whole["counts"]["proposals"] == 3 and "not_readable" not in whole


def test_account_add_refuses_a_bad_role_or_an_unknown_reviewer_and_changes_nothing(office, genesis, monkeypatch):
    def state():
        with sql_client(office.admin) as conn:
            return (rows(conn, "SELECT role_name, kind, reviewer_id FROM account ORDER BY 1"),
                    # Only this name: roles belong to the whole server, and other tests make theirs meanwhile.
                    rows(conn, "SELECT rolname FROM pg_roles WHERE rolname = 'new_person'"))

    before = state()
    for argv, said in (
            (["--role", "boss"], "account new_person: role 'boss' is not one of administrator, officer, analyst, "
                                 "reviewer; nothing was changed"),
            (["--role", "reviewer", "--reviewer", "nobody@example.org"],
             "account new_person: reviewer 'nobody@example.org' is not the e-mail of any reviewer"),
            (["--role", "reviewer"], "account new_person: reviewer '': a reviewer's account needs --reviewer")):
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))  # what --password-stdin reads
        code, _, err = genesis("--db", office.admin, "account", "add", "new_person", *argv, "--password-stdin")
        assert code == 2 and said in err, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("tiny7pw\n"))
    code, _, err = genesis("--db", office.admin, "account", "add", "new_person", "--role", "analyst",
                           "--password-stdin")
    assert code == 2 and "password (hidden) is shorter than 12 characters" in err and "tiny7pw" not in err
    assert state() == before


def test_account_add_list_and_remove_through_the_command_line(office, genesis, monkeypatch):
    name = office.login["analyst"][0] + "_b"
    monkeypatch.setattr(sys, "stdin", io.StringIO("another long password\n"))
    assert genesis("--db", office.admin, "account", "add", name, "--role", "analyst", "--password-stdin")[0] == 0
    listed = {a["name"]: a for a in json.loads(genesis("--db", office.admin, "account", "list", "--json")[1])}
    assert listed[name]["role"] == "analyst" and listed[name]["can_sign_in"] is True
    assert listed[office.login["grace"][0]]["reviewer"] == "grace@anl.gov"
    url = make_url(office.admin).set(username=name, password="another long password")
    engine = create_engine(url)
    assert access.role_of(engine) is Role.ANALYST
    engine.dispose()
    assert genesis("--db", office.admin, "account", "remove", name)[0] == 0
    with sql_client(office.admin) as conn:
        assert rows(conn, "SELECT count(*) FROM pg_roles WHERE rolname = %s", name) == [(0,)]
        assert rows(conn, "SELECT count(*) FROM account WHERE role_name = %s", name) == [(0,)]


def test_grants_reach_a_table_added_later_by_running_apply_again(office):
    """A later migration's table: staff get it by the general rule, reviewers not until named."""
    admin = create_engine(office.admin)
    with admin.begin() as conn:
        conn.execute(text("CREATE TABLE later_notes (id serial PRIMARY KEY, note text)"))
        conn.execute(text("INSERT INTO later_notes (note) VALUES ('a')"))
        access_grants.apply(conn)
        access_grants.apply(conn)  # twice: the same grants, no error
    admin.dispose()
    with sql_client(office.url["analyst"]) as conn:
        assert rows(conn, "SELECT note FROM later_notes") == [("a",)]
    with sql_client(office.url["officer"]) as conn:
        conn.execute("INSERT INTO later_notes (note) VALUES ('b')")  # its sequence was granted too
    with sql_client(office.url["grace"]) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM later_notes")


@pytest.mark.sqlite_only
def test_on_sqlite_the_files_owner_is_the_administrator_and_accounts_are_refused(store):
    assert access.role_of(store.engine) is Role.ADMINISTRATOR
    with pytest.raises(access.AccountRefused, match="accounts are PostgreSQL logins"):
        access.add_account(store.engine, "someone", "analyst", "a long enough password")
