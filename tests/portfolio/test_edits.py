"""Editing one record by hand (portfolio/edits.py) on the realistic portfolio: create, update and delete
each kind, all or nothing, the rule of each relation on delete, and undo/redo that restore exactly."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from genesis_desktop.portfolio import edits, edits_check
from genesis_desktop.portfolio.edits_fields import Grid, fields, grid_rows, grid_texts
from genesis_desktop.portfolio.io import registry
from genesis_desktop.portfolio.schema import ProposalStatusChange

NEW = {
    "institution": {"code": "LBNL", "name": "Lawrence Berkeley National Laboratory", "kind": "national_lab",
                    "country": "US", "city": "Berkeley"},
    "challenge": {"code": "GC-09", "title": "Fusion surrogates", "area": "fusion", "lead_institution": "ANL"},
    "call": {"number": "DE-FOA-0009999", "title": "Second call", "currency": "USD", "total_budget": "1000000.00",
             "phases": "I", "award_floor": "I=100000.00", "award_ceiling": "I=200000.00", "duration_months": "I=12"},
    "partner": {"code": "KR", "name": "Republic of Korea", "kind": "country", "country": "KR"},
    "commitment": {"code": "NV-2026-2", "partner": "NVIDIA", "title": "More GPU time", "currency": "USD",
                   "state": "pledged", "pledged_on": "2026-03-01", "pledged": "FY2026=500000.00; FY2027=250000.00"},
    "proposal": {"code": "P-0009", "call": "DE-FOA-0003612", "phase": "I", "title": "Learned grid control",
                 "lead_institution": "ANL", "team": "MIT", "principal_investigator": "Lin Wu", "challenges": "GC-01",
                 "currency": "USD", "budget": "FY2026=600000.00"},
}
# (kind, code, field, new text, a table the change must be reported on)


@pytest.fixture
def snapshot(snapshot):
    """Every value of every row, without the records' versions: undo writes the old values back under a
    new version (test_versions.py checks the versions)."""
    return lambda store: snapshot(store, versions=False)


EDITS = [
    ("institution", "ANL", "city", "Lemont, IL", "institution"),
    ("challenge", "GC-03", "title", "Quantum algorithms, discovered", "challenge"),
    ("call", "DE-FOA-0003612", "award_ceiling", "I=760000.00; II=3750000.50", "call_phase"),
    ("partner", "MEXT", "agreement", "Letter 2026-07-01", "partner"),
    ("commitment", "JP-2026-Q", "pledged", "FY2026=15000000000; FY2027=16000000000", "commitment_year"),
    ("proposal", "P-0002", "budget", "FY2027=2000000.00; FY2028=2500000.00; FY2029=3100000.00", "proposal_budget"),
]


@pytest.mark.parametrize("kind", list(NEW))
def test_create_then_undo_and_redo(portfolio, snapshot, kind):
    before = snapshot(portfolio)
    change = edits.create(portfolio, kind, NEW[kind])
    code = NEW[kind][edits.KINDS[kind].key]
    assert change.action == "create" and change.code == code
    assert edits.KINDS[kind].table.name in change.tables
    stored = edits.read(portfolio, kind, code)
    assert {k: stored[k] for k in NEW[kind]} == NEW[kind]
    after = snapshot(portfolio)

    undone = edits.undo(portfolio, change)
    assert undone.tables == change.tables
    assert snapshot(portfolio) == before
    edits.redo(portfolio, change)
    assert snapshot(portfolio) == after  # the same id and rows again


@pytest.mark.parametrize("kind, code, field, text, table", EDITS)
def test_update_reports_its_tables_and_undo_restores_exactly(portfolio, snapshot, kind, code, field, text, table):
    before = snapshot(portfolio)
    change = edits.update(portfolio, kind, code, {field: text})
    assert table in change.tables
    assert edits.read(portfolio, kind, code)[field] == text
    after = snapshot(portfolio)
    edits.undo(portfolio, change)
    assert snapshot(portfolio) == before
    edits.redo(portfolio, change)
    assert snapshot(portfolio) == after


def test_an_update_that_changes_nothing_writes_no_table(portfolio):
    change = edits.update(portfolio, "challenge", "GC-01", {"area": "grid"})
    assert not change.changed and change.tables == frozenset()


def test_invalid_record_is_refused_with_every_problem_and_nothing_written(portfolio, snapshot):
    before = snapshot(portfolio)
    with pytest.raises(edits.EditRefused) as refused:
        edits.create(portfolio, "institution", {**NEW["institution"], "country": "usa", "kind": "lab"})
    assert {(p.field, p.value) for p in refused.value.problems} == {("country", "usa"), ("kind", "lab")}
    with pytest.raises(edits.EditRefused):
        edits.update(portfolio, "proposal", "P-0001", {"title": "Fine", "budget": "FY2026=0"})
    assert snapshot(portfolio) == before


def test_a_write_that_fails_halfway_leaves_the_database_as_it_was(portfolio, snapshot, monkeypatch):
    real = registry.kind("proposals")

    def write_then_fail(conn, parsed, ctx):
        real.write(conn, parsed, ctx)  # the proposal and its children are written ...
        raise RuntimeError("disk full")  # ... and then the transaction fails

    monkeypatch.setattr(edits_check, "io_kind", lambda kind: dataclasses.replace(real, write=write_then_fail))
    before = snapshot(portfolio)
    with pytest.raises(RuntimeError, match="disk full"):
        edits.update(portfolio, "proposal", "P-0001", {"title": "Half-written", "budget": "FY2026=600000.00"})
    assert snapshot(portfolio) == before


def test_the_key_names_the_record(portfolio):
    with pytest.raises(edits.EditRefused, match="a proposal with this code already exists"):
        edits.create(portfolio, "proposal", {**NEW["proposal"], "code": "P-0001"})
    problems = edits.validate(portfolio, "challenge", {"code": "GC-99"}, code="GC-01")
    assert [(p.field, p.value) for p in problems] == [("code", "GC-99")]
    with pytest.raises(edits.RecordMissing, match="there is no call DE-FOA-1"):
        edits.update(portfolio, "call", "DE-FOA-1", {"title": "x"})


def test_unknown_fields_are_named(portfolio):
    with pytest.raises(ValueError, match="institution has no field colour"):
        edits.validate(portfolio, "institution", {"colour": "blue"})


def test_delete_is_refused_while_other_records_refer_to_it(portfolio, snapshot):
    before = snapshot(portfolio)
    with pytest.raises(edits.DeleteRefused) as refused:
        edits.delete(portfolio, "call", "DE-FOA-0003612", cascade=True)
    assert str(refused.value) == ("Call DE-FOA-0003612 is referred to by 3 proposals (007-A, P-0001, P-0002); "
                                  "delete them or change what they refer to first.")
    with pytest.raises(edits.DeleteRefused) as refused:
        edits.delete(portfolio, "institution", "ORNL")
    message = str(refused.value)
    assert "2 challenges as lead institution (GC-01, GC-07)" in message
    assert "1 proposal as lead institution (P-0001)" in message and "1 proposal in their team (P-0002)" in message
    with pytest.raises(edits.DeleteRefused, match=r"1 commitment \(JP-2026-Q\); delete it or change what it refers"):
        edits.delete(portfolio, "partner", "JP")
    assert snapshot(portfolio) == before


def test_owned_rows_go_with_the_record_and_come_back_on_undo(portfolio, snapshot):
    before = snapshot(portfolio)
    refs = edits.references(portfolio, "commitment", "JP-2026-Q")
    assert refs.explain() == "Deleting commitment JP-2026-Q also deletes its 2 fiscal years."
    change = edits.delete(portfolio, "commitment", "JP-2026-Q")
    assert change.tables == {"commitment", "commitment_year"}
    assert not [r for r in snapshot(portfolio)["commitment_year"] if r[0] == 1]
    edits.undo(portfolio, change)
    assert snapshot(portfolio) == before


def test_a_proposal_with_reviews_is_deleted_only_when_asked_to_cascade(portfolio, snapshot):
    before = snapshot(portfolio)
    with pytest.raises(edits.DeleteRefused) as refused:
        edits.delete(portfolio, "proposal", "P-0001")
    assert refused.value.needs_cascade
    assert "It also deletes 2 reviews (grace@anl.gov, ken@u-tokyo.ac.jp)" in str(refused.value)
    assert snapshot(portfolio) == before
    change = edits.delete(portfolio, "proposal", "P-0001", cascade=True)
    assert {"review", "proposal_budget", "proposal_status_change"} <= change.tables
    assert snapshot(portfolio)["review"] == []
    edits.undo(portfolio, change)
    assert snapshot(portfolio) == before  # reviews, budget, team and history with their own ids


def test_set_null_links_are_cleared_and_restored(portfolio, snapshot):
    before = snapshot(portfolio)
    refs = edits.references(portfolio, "institution", "NVDA")
    assert "clears the institution of 1 partner (NVIDIA)" in refs.explain()
    with pytest.raises(edits.DeleteRefused):
        edits.delete(portfolio, "institution", "NVDA")
    change = edits.delete(portfolio, "institution", "NVDA", cascade=True)
    assert edits.read(portfolio, "partner", "NVIDIA")["institution"] == ""
    edits.undo(portfolio, change)
    assert snapshot(portfolio) == before


def test_undo_refuses_to_overwrite_a_later_change(portfolio, snapshot):
    first = edits.update(portfolio, "challenge", "GC-01", {"title": "First"})
    edits.update(portfolio, "challenge", "GC-01", {"title": "Second"})
    now = snapshot(portfolio)
    with pytest.raises(edits.EditConflict, match="challenge GC-01 was changed after it"):
        edits.undo(portfolio, first)
    assert snapshot(portfolio) == now


def test_undoing_a_create_is_refused_once_something_refers_to_it(portfolio, snapshot):
    created = edits.create(portfolio, "institution", NEW["institution"])
    edits.create(portfolio, "challenge", {**NEW["challenge"], "lead_institution": "LBNL"})
    now = snapshot(portfolio)
    with pytest.raises(edits.EditConflict, match=r"1 challenge as lead institution \(GC-09\)"):
        edits.undo(portfolio, created)
    assert snapshot(portfolio) == now


def test_redo_after_a_conflicting_write_is_refused(portfolio, snapshot):
    change = edits.update(portfolio, "partner", "MEXT", {"agreement": "A"})
    edits.undo(portfolio, change)
    edits.update(portfolio, "partner", "MEXT", {"agreement": "B"})
    with pytest.raises(edits.EditConflict, match="Cannot redo"):
        edits.redo(portfolio, change)
    assert edits.read(portfolio, "partner", "MEXT")["agreement"] == "B"


def test_a_status_moved_by_hand_is_recorded_today_by_its_author(portfolio):
    change = edits.update(portfolio, "proposal", "P-0001", {"status": "recommended"}, author="officer@energy.gov")
    with portfolio.engine.connect() as conn:
        last = conn.execute(select(ProposalStatusChange.status, ProposalStatusChange.changed_at,
                                   ProposalStatusChange.changed_by, ProposalStatusChange.note)
                            .order_by(ProposalStatusChange.id.desc()).limit(1)).one()
    assert (last[0].value, last[1].date(), last[2], last[3]) == (
        "recommended", date.today(), "officer@energy.gov", edits.HAND_NOTE)
    assert "proposal_status_change" in change.tables
    with pytest.raises(edits.EditRefused, match="cannot change from recommended to submitted"):
        edits.update(portfolio, "proposal", "P-0001", {"status": "submitted"})
    edits.undo(portfolio, change)  # undo is not a move backwards in the workflow: it puts back what was
    assert edits.read(portfolio, "proposal", "P-0001")["status"] == "under_review"


@pytest.mark.parametrize("kind", list(NEW))
def test_the_form_shows_every_column_of_the_import_file_once(kind):
    shown = []
    for item in fields(kind):
        shown += list(item.names) if isinstance(item, Grid) else [item.name]
    assert sorted(shown) == sorted(registry.kind(edits.KINDS[kind].io_name).columns)


def test_grid_rows_and_texts_are_inverse():
    grid = next(f for f in fields("call") if isinstance(f, Grid))
    texts = {"phases": "I; II", "award_floor": "I=500000.00; II=1500000.00", "award_ceiling": "I=750000.00",
             "ceiling_per_year": "I=false; II=true", "duration_months": "I=9; II=36", "deadline": "",
             "budget_period_start": "", "budget_period_end": ""}
    rows = grid_rows(grid, texts)
    assert rows[1] == ["II", "1500000.00", "", "true", "36", "", "", ""]
    assert grid_texts(grid, rows) == texts
