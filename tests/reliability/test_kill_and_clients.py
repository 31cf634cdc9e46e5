"""Reliability at a small size, on SQLite and PostgreSQL, through the two benches' own functions:
- SIGKILL in the middle of imports and edits (bench/bench_kill.py): the database passes its integrity
  checks and holds each operation whole or not at all;
- client processes editing shared records and writing reviews at once (bench/bench_clients.py): no
  unexpected error, no lost update, the ledger still adds up;
- and the race behind the lost updates that bench_clients once counted on PostgreSQL (a save committed
  between a read's texts and its version), made to happen every time: the read must not pair them.
The figures at full size are the benches'; nothing here is timed."""
from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
PROPOSALS = 150


def bench(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return bench("reliability_common").demo_file(tmp_path_factory.mktemp("reliability"), PROPOSALS)


@pytest.fixture(params=["sqlite", "postgresql"])
def copies(request, demo, tmp_path):
    """The demo as a template and its copies: SQLite files, or databases on the pg_server."""
    common = bench("reliability_common")
    if request.param == "sqlite":
        made = common.SqliteCopies(demo, tmp_path)
    else:
        made = common.PostgresCopies(request.getfixturevalue("pg_server"), f"sqlite:///{demo}")
    yield made
    made.close()


def test_a_killed_import_or_edit_is_all_or_nothing(copies, tmp_path):
    kill = bench("bench_kill")
    work = kill.prepare(copies, tmp_path, PROPOSALS, fork=True)
    tally = kill.run_kills(copies, work, runs=4, seed=7, edit_seconds=0.5)  # import, edits, import, aimed edits
    assert tally.losses == []
    assert sum(tally.runs.values()) == 4
    assert sum(n for (op, _, result), n in tally.runs.items() if op == "edits, aimed") == 1
    # The aimed run is killed at the first sign of its write: the check saw a kill inside a transaction.
    assert sum(n for (_, phase, _), n in tally.runs.items() if phase == "writing") >= 1, tally.runs


def demo_url(request, engine: str, demo: Path, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{shutil.copyfile(demo, tmp_path / 'demo.sqlite')}"
    from genesis_desktop.compute.tables import metadata as job_metadata
    from genesis_desktop.portfolio.db_copy import copy_portfolio

    url = request.getfixturevalue("pg_url")
    copy_portfolio(f"sqlite:///{demo}", url, job_metadata.sorted_tables)
    return url


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_concurrent_clients_lose_no_update(request, engine, demo, tmp_path):
    clients = bench("bench_clients")
    url = demo_url(request, engine, demo, tmp_path)
    # Until the race below is fixed this can, rarely, count one lost update on either engine.
    r = clients.run_clients(url, clients=4, seconds=3.0, seed=11, engine=engine)
    assert r["locking"], "edits.read_versioned / update(expected_version=) missing: the clients wrote without locking"
    assert dict(r["errors"]) == {}
    assert r["edits"] > 0 and r["operations"] == r["edits"] + r["reviews"]
    assert (r["lost_updates"], r["surplus"], r["lost_reviews"]) == (0, 0, 0), r["moved"]
    assert r["ledger"] == []


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_save_between_the_texts_and_the_version_of_a_read_is_not_lost(request, engine, demo, tmp_path, monkeypatch):
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.store import open_store

    url = demo_url(request, engine, demo, tmp_path)
    mine, theirs = open_store(url), open_store(url)
    kind, code, field = bench("bench_clients").hot_spots(mine)[0]
    start = int(edits.read(mine, kind, code)[field])
    stored, saved = edits._stored, []

    def another_save_meanwhile(conn, k, c):
        found = stored(conn, k, c)
        if not saved:  # once, right after this read's texts: another editor saves +1
            saved.append(code)
            texts, version = edits.read_versioned(theirs, kind, code)
            edits.update(theirs, kind, code, {field: str(int(texts[field]) + 1)}, expected_version=version)
        return found

    try:
        monkeypatch.setattr(edits, "_stored", another_save_meanwhile)
        texts, version = edits.read_versioned(mine, kind, code)
        monkeypatch.undo()
        assert saved, "the other save did not happen inside read_versioned: this test no longer reaches the race"
        try:
            edits.update(mine, kind, code, {field: str(int(texts[field]) + 1)}, expected_version=version)
            expected = start + 2  # accepted: both saves count
        except edits.VersionConflict:
            expected = start + 1  # refused: the other save stands
        assert int(edits.read(mine, kind, code)[field]) == expected
    finally:
        mine.close()
        theirs.close()
