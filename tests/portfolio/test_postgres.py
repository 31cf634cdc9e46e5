"""The same portfolio on a real PostgreSQL 15 server (scripts/postgres-server, a database per test):
the migrations, the demo, imports (all or nothing), the commands of the review and decision desks,
and `genesis db copy` from SQLite to PostgreSQL and back.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from genesis_desktop.compute.tables import metadata as compute_metadata
from genesis_desktop.portfolio import io
from genesis_desktop.portfolio.audit_log import metadata as audit_metadata
from genesis_desktop.portfolio.demo import build_demo, ensure_programme
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.schema import metadata
from genesis_desktop.portfolio.store import (
    alembic_config, current_revision, head_revision, make_engine, open_store, upgrade,
)

pytestmark = pytest.mark.xdist_group("postgres")
CALL = "DE-FOA-0003612"
PROPOSALS = 120


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    store = open_store(url)
    build_demo(store, proposals=PROPOSALS)
    store.close()
    return url


def frames(url: str) -> dict[str, pd.DataFrame]:
    store = open_store(url, create=False)
    try:
        return {kind: io.export_frame(store, kind) for kind in io.KINDS}
    finally:
        store.close()


def test_migrations_give_exactly_the_models_and_go_down_and_up_again(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    with engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), [metadata, compute_metadata, audit_metadata]) == []
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_demo_on_postgresql_sums_up_as_on_sqlite(pg_url, sqlite_demo, genesis):
    code, _, err = genesis("--db", pg_url, "init", "--demo", "--proposals", str(PROPOSALS))
    assert code == 0, err
    on_pg = json.loads(genesis("--db", pg_url, "summary", "--json")[1])
    on_sqlite = json.loads(genesis("--db", sqlite_demo, "summary", "--json")[1])
    assert on_pg == on_sqlite
    assert on_pg["counts"]["proposals"] == PROPOSALS


def test_every_kind_imports_into_postgresql_and_reads_back_the_same(pg_url, sqlite_demo, tmp_path):
    source = open_store(sqlite_demo, create=False)
    io.export_all(source, tmp_path / "all")
    source.close()
    target = open_store(pg_url)
    with target.session() as s, s.begin():
        ensure_programme(s)
    reports = io.import_all(target, tmp_path / "all")
    target.close()
    assert [r.kind for r in reports] == list(io.KINDS)
    written, read = frames(sqlite_demo), frames(pg_url)
    for kind in io.KINDS:
        pd.testing.assert_frame_equal(read[kind], written[kind], obj=kind)


def test_a_refused_import_leaves_postgresql_as_it_was(pg_url, sqlite_demo, tmp_path, genesis):
    assert genesis("--db", pg_url, "init", "--demo", "--proposals", "30")[0] == 0
    before = frames(pg_url)
    source = open_store(sqlite_demo, create=False)
    io.export_file(source, "proposals", tmp_path / "proposals.csv")
    source.close()
    rows = pd.read_csv(tmp_path / "proposals.csv", dtype=str, keep_default_na=False)
    rows.loc[len(rows) - 1, "call"] = "NO-SUCH-CALL"  # the last row breaks a rule: nothing may be written
    rows.to_csv(tmp_path / "proposals.csv", index=False)
    code, _, err = genesis("--db", pg_url, "import", "proposals", str(tmp_path / "proposals.csv"))
    assert code == 2 and "NO-SUCH-CALL" in err and "the database is unchanged" in err
    after = frames(pg_url)
    for kind in io.KINDS:
        pd.testing.assert_frame_equal(after[kind], before[kind], obj=kind)


def test_review_and_decision_commands_answer_on_postgresql_as_on_sqlite(pg_url, sqlite_demo, tmp_path, genesis):
    work = f"sqlite:///{tmp_path / 'work.sqlite'}"  # a copy: the module's demo stays as built
    for target in (work, pg_url):
        assert genesis("db", "copy", sqlite_demo, target)[0] == 0
    answers = []
    for url in (work, pg_url):
        said = []
        for argv in (["review", "missing"], ["review", "assign", "--call", CALL],
                     ["scenario", "new", "Base", "--call", CALL], ["scenario", "solve", "Base", "--json"],
                     ["ledger", "cofunding"]):
            code, out, err = genesis("--db", url, *argv)
            assert code == 0, (url, argv, err)
            said.append(out)
        answers.append(said)
    chosen = [json.loads(said[3])["chosen"] for said in answers]
    assert chosen[0] == chosen[1] and chosen[0]
    assert answers[0][:3] == answers[1][:3] and answers[0][4] == answers[1][4]


def test_db_copy_from_sqlite_to_postgresql_and_back_keeps_every_record(pg_url, sqlite_demo, tmp_path, genesis):
    code, out, err = genesis("db", "copy", sqlite_demo, pg_url)
    assert code == 0 and "the two summaries match" in err, err
    assert f"proposal: {PROPOSALS}" in out.splitlines()
    back = tmp_path / "back.sqlite"
    assert genesis("db", "copy", pg_url, str(back))[0] == 0
    original, copied = frames(sqlite_demo), frames(f"sqlite:///{back}")
    for kind in io.KINDS:
        pd.testing.assert_frame_equal(copied[kind], original[kind], obj=kind)
    store = open_store(pg_url)
    with store.session() as s:  # a Phase II proposal still names its Phase I
        pairs = s.execute(select(Proposal.code, Proposal.continues_id).where(Proposal.continues_id.is_not(None))).all()
    store.close()
    assert pairs
    # New records after a copy take ids past the copied ones (PostgreSQL's sequences were moved).
    assert genesis("--db", pg_url, "scenario", "new", "After the copy", "--call", CALL)[0] == 0
    assert genesis("--db", pg_url, "run", "pi", "--param", "blocks=2")[0] == 0


def test_db_copy_into_a_database_that_holds_records_is_refused_and_writes_nothing(pg_url, sqlite_demo, genesis):
    assert genesis("--db", pg_url, "init", "--demo", "--proposals", "10")[0] == 0
    before = json.loads(genesis("--db", pg_url, "summary", "--json")[1])
    code, _, err = genesis("db", "copy", sqlite_demo, pg_url)
    assert code == 2 and "already holds" in err and "copy into an empty database" in err
    assert json.loads(genesis("--db", pg_url, "summary", "--json")[1]) == before
