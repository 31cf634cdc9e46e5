"""The audit log under the four roles on a real PostgreSQL 15 server: each person's writes are logged
under their own login, whatever client they use; nobody may change or remove an entry, not even an
administrator; a reviewer may not read the log at all (it holds every score); officers and analysts
read it, so `genesis audit verify` and a record's history work for them."""
from __future__ import annotations

import json

import pytest
from psycopg import errors

from genesis_desktop.portfolio.audit import record_history, verify
from genesis_desktop.portfolio.store import open_store

from .test_roles import rows, sql_client

pytestmark = pytest.mark.xdist_group("postgres")


def test_a_reviewers_plain_sql_change_to_their_review_is_logged_under_their_name(office):
    ken_id, p1 = office.reviewer["ken@u-tokyo.ac.jp"], office.proposal["P-0001"]
    with sql_client(office.url["ken"]) as ken:
        ken.execute("UPDATE review SET scores = '{\"merit\": 1}' WHERE proposal_id = %s", (p1,))
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table audit_log"):
            ken.execute("SELECT * FROM audit_log")
    with sql_client(office.admin) as admin:
        actor, before, after = rows(admin, "SELECT actor, before, after FROM audit_log WHERE table_name = 'review' "
                                           "ORDER BY id DESC LIMIT 1")[0]
    assert actor == office.login["ken"][0]
    assert json.loads(before)["reviewer_id"] == ken_id and json.loads(before)["scores"] == {"merit": 4}
    assert json.loads(after)["scores"] == {"merit": 1}


def test_no_role_may_change_or_remove_an_entry_and_staff_may_read_the_log(office):
    for who in ("officer", "analyst"):
        with sql_client(office.url[who]) as client:
            assert rows(client, "SELECT count(*) FROM audit_log")[0][0] > 0
            for sql in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log",
                        "INSERT INTO audit_log (id, at, actor, tx, table_name, row_key, action, prev_hash, hash) "
                        "VALUES (999999, '', '', '', 'x', '[1]', 'insert', '', '')"):
                with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table audit_log"):
                    client.execute(sql)
    with sql_client(office.admin) as admin:  # the superuser who owns it: refused by the log's own triggers
        for sql in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(errors.InsufficientPrivilege, match="audit_log is append-only"):
                admin.execute(sql)


def test_an_officer_verifies_the_log_and_reads_a_records_history(office):
    officer = open_store(office.url["officer"], create=False)
    try:
        with officer.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE proposal SET title = 'Retitled by the officer' WHERE code = 'P-0002'")
        result = verify(officer.engine)
        assert result.intact and result.entries > 0, result
        latest = record_history(officer, "proposal", "P-0002")[-1]
        assert latest.actor == office.login["officer"][0]
        assert [(c.field, c.after) for c in latest.changes] == [("title", "Retitled by the officer")]
    finally:
        officer.close()
