"""The store on a real SQLite file: creation, pragmas, migrations, backups and refusals."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from genesis_desktop.compute.tables import metadata as compute_metadata
from genesis_desktop.portfolio.audit_log import metadata as audit_metadata
from genesis_desktop.portfolio.schema import metadata
from genesis_desktop.portfolio.store import (
    StoreError, current_revision, head_revision, known_revisions, make_engine, open_store, sqlite_path, upgrade,
)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.sqlite_only
def test_new_file_gets_the_head_schema_with_foreign_keys_and_wal(db_url):
    store = open_store(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert store.backup is None
        with store.engine.connect() as c:
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        store.close()


def test_schema_head_constant_is_alembics_head():
    from alembic.script import ScriptDirectory

    from genesis_desktop.portfolio.store import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_migrations_produce_exactly_the_models(store):
    # The portfolio's records, the compute engine's job tables and the audit log share the database and
    # its migrations.
    with store.engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), [metadata, compute_metadata, audit_metadata]) == []
        tables = set(c.dialect.get_table_names(c))
    assert set(compute_metadata.tables) <= tables


def test_comparison_sees_a_missing_compute_table(store):
    # Guards the test above: a compute table the migrations did not create must be reported.
    with store.engine.begin() as c:
        c.execute(text("DROP TABLE job_block"))
    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), [metadata, compute_metadata, audit_metadata])
    assert [d[0] for d in diff] == ["add_table"] and diff[0][1].name == "job_block"


def test_schema_rejects_broken_references_and_negative_money(store):
    with store.engine.begin() as c:
        c.execute(text("INSERT INTO programme (code, name, description, fiscal_calendar, reporting_currency) "
                       "VALUES ('GENESIS', 'G', '', 'US', 'USD')"))
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        with store.engine.begin() as c:
            c.execute(text("INSERT INTO challenge (programme_id, code, title, area, description, target_outcomes, "
                           "status, official, source) VALUES (99, 'X', 'T', 'a', '', '', 'active', false, '')"))
    with pytest.raises(IntegrityError, match="(?i)check"):
        with store.engine.begin() as c:
            c.execute(text("INSERT INTO call (programme_id, number, title, currency, total_budget_minor, topic_areas, "
                           "description) VALUES (1, 'N', 'T', 'USD', -1, '[]', '')"))
    with pytest.raises(IntegrityError, match="(?i)check"):
        with store.engine.begin() as c:
            c.execute(text("INSERT INTO call (programme_id, number, title, currency, total_budget_minor, topic_areas, "
                           "description) VALUES (1, 'N', 'T', 'usd', 1, '[]', '')"))


@pytest.mark.sqlite_only
def test_previous_revision_is_backed_up_then_upgraded(db_url):
    revisions = sorted(known_revisions())
    assert len(revisions) >= 2, "keep at least one earlier revision to test the upgrade path"
    previous = revisions[-2]
    engine = make_engine(db_url)
    upgrade(engine, previous)
    with engine.begin() as c:
        c.execute(text("INSERT INTO institution (code, name, kind, country, city) "
                       "VALUES ('ORNL', 'Oak Ridge National Laboratory', 'national_lab', 'US', 'Oak Ridge')"))
    engine.dispose()

    store = open_store(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as c:
            assert c.execute(text("SELECT name FROM institution WHERE code = 'ORNL'")).scalar() == \
                "Oak Ridge National Laboratory"
            assert c.execute(text("SELECT count(*) FROM reviewer")).scalar() == 0
        assert store.backup is not None and store.backup.exists()
        assert previous in store.backup.name
        with sqlite3.connect(store.backup) as old:
            assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == previous
            assert old.execute("SELECT count(*) FROM institution").fetchone()[0] == 1
    finally:
        store.close()


def test_every_migration_downgrades_and_upgrades_again(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    from alembic import command

    from genesis_desktop.portfolio.store import alembic_config

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.sqlite_only
def test_database_from_a_newer_program_is_refused_untouched(db_url):
    open_store(db_url).close()
    path = sqlite_path(db_url)
    c = sqlite3.connect(path)
    c.execute("UPDATE alembic_version SET version_num = 'f00d_from_the_future'")
    c.commit()
    c.close()
    before = _digest(path)
    with pytest.raises(StoreError, match="newer Genesis Desktop.*f00d_from_the_future.*not changed"):
        open_store(db_url)
    assert _digest(path) == before
    assert not list(path.parent.glob("*before-upgrade*"))


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    before = _digest(path)
    with pytest.raises(StoreError, match="not a Genesis portfolio"):
        open_store(f"sqlite:///{path}")
    assert _digest(path) == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes\n" * 10)
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_store(f"sqlite:///{path}")
    assert path.read_text().startswith("these are my notes")


def test_missing_file_is_not_created_when_asked_not_to(tmp_path):
    with pytest.raises(StoreError, match="no such portfolio file"):
        open_store(f"sqlite:///{tmp_path / 'absent.sqlite'}", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_default_url_follows_the_environment(monkeypatch, tmp_path):
    from genesis_desktop.portfolio.store import default_url

    monkeypatch.setenv("GENESIS_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert default_url().endswith("env.sqlite")
    monkeypatch.delenv("GENESIS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_url() == f"sqlite:///{tmp_path / 'xdg' / 'genesis-desktop' / 'portfolio.sqlite'}"
    assert not (tmp_path / "xdg").exists(), "naming the default must not create folders"
    open_store().close()
    assert (tmp_path / "xdg" / "genesis-desktop" / "portfolio.sqlite").exists()


def test_job_tables_follow_the_portfolios_naming_convention():
    # compute repeats the convention rather than import the portfolio (the arrows point the other way).
    from genesis_desktop.compute.tables import NAMING as compute_naming
    from genesis_desktop.portfolio.base import NAMING

    assert compute_naming == NAMING
