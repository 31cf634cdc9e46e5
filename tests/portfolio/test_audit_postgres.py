"""The audit trail where several people write at once (a real PostgreSQL 15 server): concurrent writers
leave one intact chain, a role with no right on the log is still logged under its own name, and
`genesis db copy` carries the log across engines entry for entry, still verifiable."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.audit import verify
from genesis_desktop.portfolio.audit_log import audit_log
from genesis_desktop.portfolio.db_copy import copy_portfolio
from genesis_desktop.portfolio.demo import ensure_programme
from genesis_desktop.portfolio.store import make_engine, open_store

pytestmark = pytest.mark.xdist_group("postgres")
ROUNDS = 15


@pytest.fixture
def pg_store(pg_url):
    s = open_store(pg_url)
    with s.session() as session, session.begin():
        ensure_programme(session)
    yield s
    s.close()


def logged_tables(store) -> list[str]:
    with store.engine.connect() as c:
        return list(c.execute(select(audit_log.c.table_name).order_by(audit_log.c.id)).scalars())


def test_concurrent_writers_leave_one_intact_chain(pg_store):
    failures: list[BaseException] = []
    first_holds_the_chain = threading.Event()

    def writer(table: str, values: str, forced_wait: bool) -> None:
        engine = make_engine(pg_store.url)
        try:
            for n in range(ROUNDS):
                with engine.begin() as c:
                    c.execute(text(f"INSERT INTO {table} {values}"), {"n": n})
                    if forced_wait and n == 0:
                        first_holds_the_chain.set()  # the other writer now waits on the chain's lock ...
                        threading.Event().wait(0.3)  # ... while this transaction is still open
                    c.execute(text(f"INSERT INTO {table} {values}"), {"n": n + 1000})
        except BaseException as err:  # reported by the test, not lost in the thread
            failures.append(err)
        finally:
            engine.dispose()

    institutions = threading.Thread(target=writer, args=(
        "institution", "(code, name, kind, country, city) VALUES ('I' || :n, 'Lab', 'national_lab', 'US', '')",
        True))
    rates = threading.Thread(target=writer, args=(
        "exchange_rate", "(base, quote, \"on\", rate, source) VALUES ('USD', 'JPY', DATE '2026-01-01' + :n, 150, 't')",
        False))
    institutions.start()
    assert first_holds_the_chain.wait(30)
    rates.start()
    for t in (institutions, rates):
        t.join(120)
    assert failures == []
    tables = logged_tables(pg_store)[1:]  # after the programme's row
    assert sorted(tables) == sorted(["institution"] * 2 * ROUNDS + ["exchange_rate"] * 2 * ROUNDS)
    # The first institution transaction's two entries stay together: the rate writer waited for its commit.
    assert tables[:2] == ["institution", "institution"]
    assert sum(a != b for a, b in zip(tables, tables[1:])) >= 2  # the two writers did interleave
    result = verify(pg_store.engine)
    assert result.intact and result.entries == 1 + 4 * ROUNDS


def test_a_role_without_rights_on_the_log_is_logged_under_its_own_name(pg_store, pg_server):
    role = f"officer_{uuid.uuid4().hex[:8]}"
    with pg_store.engine.begin() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'a password for the test'"))
        c.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON institution TO {role}"))
        c.execute(text(f"GRANT USAGE ON SEQUENCE institution_id_seq TO {role}"))
        c.execute(text(f'GRANT CONNECT ON DATABASE "{make_url(pg_store.url).database}" TO {role}'))
    officer = make_engine(make_url(pg_store.url).set(username=role, password="a password for the test").render_as_string(hide_password=False))
    try:
        with officer.begin() as c:
            c.execute(text("INSERT INTO institution (code, name, kind, country, city) "
                           "VALUES ('LBNL', 'Berkeley Lab', 'national_lab', 'US', '')"))
        for sql in ("SELECT count(*) FROM audit_log", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="permission denied"), officer.begin() as c:
                c.execute(text(sql))
    finally:
        officer.dispose()
    with pg_store.engine.connect() as c:
        assert c.execute(select(audit_log.c.actor).where(audit_log.c.table_name == "institution")).scalar() == role
    assert verify(pg_store.engine).intact
    with pg_store.engine.begin() as c:
        c.execute(text(f'REVOKE ALL ON DATABASE "{make_url(pg_store.url).database}" FROM {role}'))
        c.execute(text(f"DROP OWNED BY {role}"))
        c.execute(text(f"DROP ROLE {role}"))


def test_db_copy_carries_the_log_entry_for_entry_and_it_still_verifies(pg_url, tmp_path):
    source = open_store(f"sqlite:///{tmp_path / 'office.sqlite'}")
    with source.session() as session, session.begin():
        ensure_programme(session)
    edits.create(source, "institution", {"code": "LBNL", "name": "Berkeley Lab", "kind": "national_lab",
                                         "country": "US", "city": "Berkeley"}, author="ada")
    edits.update(source, "institution", "LBNL", {"name": "Lawrence Berkeley National Laboratory — ünïcode"})
    before = verify(source.engine)
    with source.engine.connect() as c:
        original = [tuple(r) for r in c.execute(select(audit_log).order_by(audit_log.c.id))]
    source.close()
    assert before.intact and before.entries == 3

    back = f"sqlite:///{tmp_path / 'laptop.sqlite'}"
    for src, dst in ((source.url, pg_url), (pg_url, back)):
        report = copy_portfolio(src, dst)
        assert report.rows["audit_log"] == 3
        copied = open_store(dst, create=False)
        try:
            with copied.engine.connect() as c:
                assert [tuple(r) for r in c.execute(select(audit_log).order_by(audit_log.c.id))] == original
            after = verify(copied.engine)  # the same chain, and the copy's own triggers in place
            assert (after.intact, after.entries, after.last_hash) == (True, 3, before.last_hash)
        finally:
            copied.close()
    laptop = open_store(back, create=False)
    try:
        edits.update(laptop, "institution", "LBNL", {"city": "Oakland"})  # the analyst's copy logs on
        assert (verify(laptop.engine).intact, verify(laptop.engine).entries) == (True, 4)
    finally:
        laptop.close()
