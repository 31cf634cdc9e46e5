"""Optimistic locking on SQLite and on a real PostgreSQL server: every write of a record raises its
version, and a save from an editor who read an older version is refused, showing both versions."""
from __future__ import annotations

import threading

import pandas as pd

import pytest
from sqlalchemy import select, text

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.io import export_file, import_file
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.store import open_store

pytestmark = pytest.mark.xdist_group("postgres")
CODE = "P-000003"


@pytest.fixture(params=["sqlite", "postgresql"])
def demo(request):
    url = request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
    store = open_store(url)
    build_demo(store, proposals=12)
    yield store
    store.close()


def stored_version(store, code: str = CODE) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(Proposal.version).where(Proposal.code == code)).scalar()


def test_every_write_raises_the_version_and_undo_writes_the_old_values_under_a_new_one(demo):
    texts, version = edits.read_versioned(demo, "proposal", CODE)
    assert version == stored_version(demo) == 1
    change = edits.update(demo, "proposal", CODE, {"title": "Renamed"}, expected_version=1)
    assert stored_version(demo) == 2
    edits.undo(demo, change)
    assert edits.read_versioned(demo, "proposal", CODE) == (texts, 3)
    edits.redo(demo, change)
    assert edits.read_versioned(demo, "proposal", CODE)[1] == 4


def test_the_second_of_two_editors_is_refused_with_both_versions_and_nothing_is_written(demo):
    _, read_by_both = edits.read_versioned(demo, "proposal", CODE)
    edits.update(demo, "proposal", CODE, {"title": "First officer's title"}, expected_version=read_by_both)
    with pytest.raises(edits.VersionConflict) as refused:
        edits.update(demo, "proposal", CODE, {"title": "Second officer's title", "principal_investigator": "X Y"},
                     expected_version=read_by_both)
    conflict = refused.value
    assert (conflict.expected_version, conflict.stored_version) == (read_by_both, read_by_both + 1)
    assert conflict.yours["title"] == "Second officer's title"
    assert conflict.stored["title"] == "First officer's title"
    assert set(conflict.fields) == {"title", "principal_investigator"}
    message = str(conflict)
    for shown in ("changed by someone else", f"version {read_by_both};", f"version {read_by_both + 1}",
                  "Second officer's title", "First officer's title", "Nothing was written"):
        assert shown in message
    assert edits.read_versioned(demo, "proposal", CODE) == (conflict.stored, read_by_both + 1)


def test_an_import_and_another_client_raise_the_version_too(demo, tmp_path):
    _, read = edits.read_versioned(demo, "proposal", CODE)
    path = tmp_path / "proposals.csv"
    export_file(demo, "proposals", path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["code"] == CODE, "title"] = "Imported title"
    frame.to_csv(path, index=False)
    import_file(demo, "proposals", path)
    assert stored_version(demo) == read + 1
    with pytest.raises(edits.VersionConflict):
        edits.update(demo, "proposal", CODE, {"title": "Stale"}, expected_version=read)
    # A client that knows nothing of versions: the database's trigger raises it.
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE proposal SET title = 'Raw SQL title' WHERE code = :c"), {"c": CODE})
    assert stored_version(demo) == read + 2
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE proposal SET title = 'Explicit', version = version + 1 WHERE code = :c"),
                     {"c": CODE})
    assert stored_version(demo) == read + 3  # raised once, not twice


def test_two_officers_saving_at_once_one_wins_and_the_other_is_told(demo):
    _, read = edits.read_versioned(demo, "proposal", CODE)
    start, outcomes = threading.Barrier(2), {}

    def save(officer: str) -> None:
        start.wait()
        try:
            edits.update(demo, "proposal", CODE, {"title": f"{officer}'s title"}, expected_version=read)
            outcomes[officer] = "saved"
        except edits.VersionConflict as conflict:
            outcomes[officer] = conflict

    threads = [threading.Thread(target=save, args=(name,)) for name in ("Ada", "Grace")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [name for name, outcome in outcomes.items() if outcome == "saved"]
    assert len(outcomes) == 2 and len(winners) == 1
    loser = next(outcome for outcome in outcomes.values() if outcome != "saved")
    assert loser.stored["title"] == f"{winners[0]}'s title"
    assert edits.read_versioned(demo, "proposal", CODE) == (loser.stored, read + 1)


def test_a_refused_save_and_an_unchanged_record_keep_their_version(demo):
    _, read = edits.read_versioned(demo, "proposal", CODE)
    with pytest.raises(edits.EditRefused):
        edits.update(demo, "proposal", CODE, {"budget": "FY2026=-5"}, expected_version=read)
    with pytest.raises(edits.VersionConflict):
        edits.update(demo, "proposal", CODE, {"title": "x"}, expected_version=read - 1)
    assert stored_version(demo) == read
