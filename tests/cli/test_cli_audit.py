"""`genesis audit verify` and `genesis audit history` as a real subprocess on a real SQLite file: exit 0
with "chain intact", exit 1 naming the entry that was tampered with, 2 for a kind it does not know."""
from __future__ import annotations

import sqlite3

import pytest

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.demo import ensure_programme
from genesis_desktop.portfolio.store import open_store, sqlite_path


@pytest.fixture
def edited(db_url):
    store = open_store(db_url)
    with store.session() as session, session.begin():
        ensure_programme(session)
    edits.create(store, "institution", {"code": "LBNL", "name": "Berkeley Lab", "kind": "national_lab",
                                        "country": "US", "city": "Berkeley"}, author="ada")
    edits.update(store, "institution", "LBNL", {"city": "Oakland"}, author="bo")
    store.close()
    return db_url


def test_verify_says_the_chain_is_intact_and_exits_0(genesis, edited):
    result = genesis("--db", edited, "audit", "verify")
    assert result.code == 0, result.err
    assert result.out.startswith("3 entries; chain intact (last entry 3, hash ")
    as_json = genesis("audit", "verify", "--db", edited, "--json")  # --db after the action works too
    assert as_json.code == 0, as_json.err
    assert as_json.json()["intact"] is True and as_json.json()["entries"] == 3 and as_json.json()["problem"] is None


def test_verify_names_a_tampered_entry_and_exits_1(genesis, edited):
    con = sqlite3.connect(sqlite_path(edited))
    with con:
        con.execute("DROP TRIGGER genesis_audit_log_no_update")
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    con.close()
    result = genesis("--db", edited, "audit", "verify")
    assert result.code == 1
    assert result.out.startswith("audit log broken at entry 2 (altered): entry 2 was altered: its hash does not "
                                 "match its content; 1 entry before it intact")
    problem = genesis("--db", edited, "audit", "verify", "--json").json()["problem"]
    assert (problem["entry_id"], problem["kind"]) == (2, "altered")


def test_verify_names_a_removed_entry_and_exits_1(genesis, edited):
    con = sqlite3.connect(sqlite_path(edited))
    with con:
        con.execute("DROP TRIGGER genesis_audit_log_no_delete")
        con.execute("DELETE FROM audit_log WHERE id = 2")
    con.close()
    result = genesis("--db", edited, "audit", "verify")
    assert result.code == 1
    assert "audit log broken at entry 2 (removed): entry 2 removed: the ids go from 1 to 3" in result.out


def test_history_prints_who_when_and_each_field_before_and_after(genesis, edited):
    result = genesis("--db", edited, "audit", "history", "institution", "LBNL")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("#2  ") and lines[0].endswith("  ada  insert  institution")
    assert "    city: — -> Berkeley" in lines
    update = lines.index(next(line for line in lines if line.startswith("#3  ")))
    assert lines[update].endswith("  bo  update  institution")
    assert lines[update + 1:] == ["    city: Berkeley -> Oakland"]
    changes = genesis("--db", edited, "audit", "history", "institution", "LBNL", "--json").json()[1]["changes"]
    assert changes == [{"field": "city", "before": "Berkeley", "after": "Oakland"}]


def test_history_of_an_unknown_kind_or_record_exits_2(genesis, edited):
    unknown_kind = genesis("--db", edited, "audit", "history", "planet", "LBNL")
    assert unknown_kind.code == 2 and "unknown kind 'planet'" in unknown_kind.err
    nothing = genesis("--db", edited, "audit", "history", "institution", "NOPE")
    assert nothing.code == 2 and "holds nothing about institution NOPE" in nothing.err
