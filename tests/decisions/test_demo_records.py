"""The demo's records for the decision work: Phase II proposals that continue an earlier Phase I proposal of
their own team (Proposal.continues_id), drawn without disturbing any other demo value, and the US-Japan
co-funding agreement the partners name; and the record editor's rule for a continued Phase I deleted."""
from __future__ import annotations

import sqlite3

import pytest

from genesis_desktop.portfolio import demo_continuations, edits
from genesis_desktop.portfolio.store import open_store, sqlite_path


@pytest.fixture(scope="module")
def db(demo_template):
    con = sqlite3.connect(sqlite_path(f"sqlite:///{demo_template(400)}"))
    yield con
    con.close()


def test_links_join_a_phase_ii_to_an_earlier_phase_i_of_its_team(db):
    links = db.execute(
        "SELECT p.id, p.phase, q.phase, p.call_id = q.call_id, q.submitted_on < p.submitted_on, q.id < p.id, "
        "q.lead_institution_id = p.lead_institution_id, EXISTS (SELECT 1 FROM proposal_institution t "
        "WHERE t.proposal_id = p.id AND t.institution_id = q.lead_institution_id) "
        "FROM proposal p JOIN proposal q ON q.id = p.continues_id").fetchall()
    phase_ii = db.execute("SELECT count(*) FROM proposal WHERE phase = 'II'").fetchone()[0]
    assert 0.25 * phase_ii < len(links) < 0.75 * phase_ii  # about half of those that have a Phase I to continue
    assert all(r[1:6] == ("II", "I", 1, 1, 1) for r in links)
    assert all(same_lead or lead_on_team for *_, same_lead, lead_on_team in links)
    assert sum(r[6] for r in links) > len(links) / 2  # mostly the same lead institution
    assert db.execute("SELECT count(*) FROM proposal WHERE continues_id IS NOT NULL AND phase = 'I'").fetchone()[0] == 0


def test_links_come_from_their_own_random_stream(monkeypatch, demo_template, tmp_path):
    # Another stream changes which proposals are linked, and nothing else of the demo.
    monkeypatch.setattr(demo_continuations, "STREAM_CONTINUATIONS", 9)
    from genesis_desktop.portfolio.demo import build_demo

    other = open_store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        build_demo(other, proposals=400)
    finally:
        other.close()
    tables = ("proposal", "proposal_budget", "proposal_institution", "proposal_status_change", "review",
              "commitment_year", "commitment_entry")
    got, want = ({t: sqlite3.connect(path).execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
                 for path in (tmp_path / "other.sqlite", demo_template(400)))
    column = [r[1] for r in sqlite3.connect(demo_template(400)).execute("PRAGMA table_info(proposal)")]
    i = column.index("continues_id")
    # The linked proposals are written twice, so their versions follow the links too.
    rest = [j for j in range(len(column)) if column[j] not in ("continues_id", "version")]
    assert [r[i] for r in got["proposal"]] != [r[i] for r in want["proposal"]]
    assert [[r[j] for j in rest] for r in got["proposal"]] == [[r[j] for j in rest] for r in want["proposal"]]
    assert all(got[t] == want[t] for t in tables[1:])


def test_the_partnership_agreement_is_the_one_the_partners_name(db):
    assert db.execute("SELECT name, currency, tolerance, signed_on FROM cofunding_agreement").fetchall() == [
        ("US-Japan Genesis partnership 2026-06-04", "USD", 1, "2026-06-04")]
    assert db.execute("SELECT side, percent FROM cofunding_share ORDER BY side").fetchall() == [("JP", 50), ("US", 50)]
    named = db.execute("SELECT code, country FROM partner WHERE agreement = "
                       "'US-Japan Genesis partnership 2026-06-04' ORDER BY code").fetchall()
    assert named == [("DOE", "US"), ("METI", "JP"), ("MEXT", "JP")]


def test_deleting_a_continued_phase_i_clears_the_link_only_when_asked_and_undo_restores_it(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(400))}")
    try:
        with store.engine.connect() as conn:
            phase_i, phase_ii = conn.exec_driver_sql(
                "SELECT q.code, min(p.code) FROM proposal p JOIN proposal q ON q.id = p.continues_id "
                "WHERE NOT EXISTS (SELECT 1 FROM review r WHERE r.proposal_id = q.id) "
                "GROUP BY q.id HAVING count(*) = 1 ORDER BY q.id LIMIT 1").one()
        refs = edits.references(store, "proposal", phase_i)
        assert f"clears the Phase I link of 1 proposal ({phase_ii})" in refs.explain()
        with pytest.raises(edits.DeleteRefused):
            edits.delete(store, "proposal", phase_i)
        change = edits.delete(store, "proposal", phase_i, cascade=True)
        assert edits.read(store, "proposal", phase_ii)["code"] == phase_ii
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT continues_id FROM proposal WHERE code = '{phase_ii}'").scalar() is None
        edits.undo(store, change)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql(
                f"SELECT q.code FROM proposal p JOIN proposal q ON q.id = p.continues_id WHERE p.code = '{phase_ii}'"
            ).scalar() == phase_i
    finally:
        store.close()
