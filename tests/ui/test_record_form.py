"""The record panel on the small portfolio: problems named next to their field as you type, Save only
for a valid record, saves and deletes through the one writer, and undo/redo through the desk's stack."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from genesis_desktop.portfolio import edits
from genesis_desktop.ui.record_form import KIND_OF_PAGE, RecordPanel

# Generous: the machine may be busy; no test asserts how long anything takes.
WAIT_MS = 30_000
CTRL = Qt.KeyboardModifier.ControlModifier


def open_panel(qtbot, desk, kind, code=None) -> RecordPanel:
    panel = RecordPanel(desk, kind)
    qtbot.addWidget(panel)
    panel.resize(520, 900)
    panel.show()
    if code is None:
        panel.new_record()
        qtbot.waitUntil(lambda: panel.problems is not None, timeout=WAIT_MS)
    else:
        panel.show_record(code)
        key = edits.KINDS[kind].key
        qtbot.waitUntil(lambda: panel.form.editors[key].values() == {key: code}, timeout=WAIT_MS)
    return panel


def type_into(qtbot, panel, field, text):
    line = panel.form.editors[field].line
    line.selectAll()
    qtbot.keyClicks(line, text) if text else qtbot.keyClick(line, Qt.Key.Key_Delete)


def problem(panel, name) -> str:
    label = panel.form.problem_labels[name]
    return "" if label.isHidden() else label.text()


def test_an_invalid_value_is_named_next_to_its_field_and_save_is_disabled(qtbot, desk):
    panel = open_panel(qtbot, desk, "proposal", "P-0001")
    assert not panel.save_button.isEnabled()  # nothing changed yet
    type_into(qtbot, panel, "pi_email", "ada at anl")
    qtbot.waitUntil(lambda: problem(panel, "pi_email") != "", timeout=WAIT_MS)
    assert problem(panel, "pi_email") == "must be an email address such as name@example.org"
    assert panel.form.problem_labels["pi_email"].accessibleName().startswith("Problem: must be an email")
    assert problem(panel, "title") == ""
    assert not panel.save_button.isEnabled()
    panel.save()  # the keyboard shortcut's way in: still refused
    assert edits.read(desk.store, "proposal", "P-0001")["pi_email"] == ""

    type_into(qtbot, panel, "pi_email", "ada@anl.gov")
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    assert problem(panel, "pi_email") == ""


def test_a_budget_entry_is_named_in_the_grid_problem(qtbot, desk):
    panel = open_panel(qtbot, desk, "proposal", "P-0001")
    grid = panel.form.editors["budget"]
    grid.table.item(0, 1).setText("0")
    qtbot.waitUntil(lambda: "budget amounts must be above 0" in problem(panel, "budget"), timeout=WAIT_MS)
    assert problem(panel, "budget").startswith("Amount: ‘FY2026=0’: budget amounts must be above 0")
    assert not panel.save_button.isEnabled()


def test_a_valid_edit_saves_through_the_writer_and_undo_redo_go_through_it_too(qtbot, desk):
    panel = open_panel(qtbot, desk, "proposal", "P-0001")
    type_into(qtbot, panel, "title", "Zeta surrogate models, revised")
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    with (qtbot.waitSignal(panel.saved, timeout=WAIT_MS) as saved,
          qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS) as announced):
        qtbot.keyClick(panel.form.editors["title"].line, Qt.Key.Key_S, CTRL)  # Ctrl+S
    assert saved.args == ["P-0001"]
    assert "proposal" in announced.args[0]
    assert edits.read(desk.store, "proposal", "P-0001")["title"] == "Zeta surrogate models, revised"
    stack = desk.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Edit proposal P-0001"

    with qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS) as announced:
        stack.undo()
    assert "proposal" in announced.args[0]
    assert edits.read(desk.store, "proposal", "P-0001")["title"] == "zeta surrogate models"
    # The panel follows what the database holds now.
    qtbot.waitUntil(lambda: panel.form.values()["title"] == "zeta surrogate models", timeout=WAIT_MS)

    with qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS):
        stack.redo()
    assert edits.read(desk.store, "proposal", "P-0001")["title"] == "Zeta surrogate models, revised"
    assert stack.index() == 1 and stack.canUndo() and not stack.canRedo()


def test_an_undo_that_would_overwrite_a_later_change_says_why_and_the_stack_stays_in_step(qtbot, desk):
    panel = open_panel(qtbot, desk, "challenge", "GC-02")
    type_into(qtbot, panel, "area", "materials science")
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.saved, timeout=WAIT_MS):
        panel.save()
    edits.update(desk.store, "challenge", "GC-02", {"area": "chemistry"})  # another program writes meanwhile
    stack = desk.undo_stack
    with qtbot.waitSignal(stack.failed, timeout=WAIT_MS) as failed:
        stack.undo()
    assert "challenge GC-02 was changed after it" in failed.args[0]
    assert stack.index() == 1 and stack.canUndo() and not stack.canRedo()
    assert edits.read(desk.store, "challenge", "GC-02")["area"] == "chemistry"


def test_a_new_record_is_created_and_its_creation_can_be_undone(qtbot, desk):
    panel = open_panel(qtbot, desk, "institution")
    assert not panel.save_button.isEnabled()
    assert problem(panel, "name") == ""  # not touched yet: "a value is required" waits
    type_into(qtbot, panel, "code", "LBNL")
    type_into(qtbot, panel, "name", "Lawrence Berkeley National Laboratory")
    type_into(qtbot, panel, "country", "us")
    qtbot.waitUntil(lambda: "ISO 3166" in problem(panel, "country"), timeout=WAIT_MS)
    type_into(qtbot, panel, "country", "US")
    panel.form.editors["kind"].set_text("national_lab")
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.saved, timeout=WAIT_MS):
        panel.save()
    assert edits.read(desk.store, "institution", "LBNL")["kind"] == "national_lab"
    qtbot.waitUntil(lambda: panel.code == "LBNL" and panel.form.editors["code"].line.isReadOnly(), timeout=WAIT_MS)
    with qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS):
        desk.undo_stack.undo()
    with pytest.raises(edits.RecordMissing):
        edits.read(desk.store, "institution", "LBNL")


def test_deleting_a_record_others_need_is_refused_with_their_names(qtbot, desk):
    panel = open_panel(qtbot, desk, "call", "DE-FOA-0003612")
    panel.delete_button.click()
    qtbot.waitUntil(lambda: panel.delete_box is not None and panel.delete_box.isVisible(), timeout=WAIT_MS)
    box = panel.delete_box
    assert "4 proposals (P-0001, P-0002, P-0003, P-0004)" in box.informativeText()
    assert box.findChild(type(panel.save_button), "confirmDeleteButton") is None  # nothing to confirm
    box.button(QMessageBox.StandardButton.Ok).click()
    assert edits.read(desk.store, "call", "DE-FOA-0003612")["number"] == "DE-FOA-0003612"


def test_a_confirmed_delete_goes_through_the_writer_and_undo_brings_the_record_back(qtbot, desk):
    panel = open_panel(qtbot, desk, "proposal", "P-0004")
    before = edits.read(desk.store, "proposal", "P-0004")
    panel.delete_record()
    qtbot.waitUntil(lambda: panel.delete_box is not None and panel.delete_box.isVisible(), timeout=WAIT_MS)
    assert "2 budget years" in panel.delete_box.informativeText()
    with qtbot.waitSignal(panel.deleted, timeout=WAIT_MS) as deleted:
        panel.delete_box.findChild(type(panel.save_button), "confirmDeleteButton").click()
    assert deleted.args == ["P-0004"]
    with pytest.raises(edits.RecordMissing):
        edits.read(desk.store, "proposal", "P-0004")
    assert not panel.delete_button.isEnabled()
    with qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS):
        desk.undo_stack.undo()
    assert edits.read(desk.store, "proposal", "P-0004") == before
    qtbot.waitUntil(lambda: panel.code == "P-0004" and panel.delete_button.isEnabled(), timeout=WAIT_MS)


def test_every_table_page_has_a_kind_with_a_form():
    assert set(KIND_OF_PAGE.values()) == set(edits.KINDS)


def save_after_someone_else(qtbot, desk, theirs: str, mine: str) -> RecordPanel:
    """P-0001 open in the panel; another officer, on another desk, saves its title first; then this
    panel saves its own title and gets the conflict dialog."""
    panel = open_panel(qtbot, desk, "proposal", "P-0001")
    edits.update(desk.store, "proposal", "P-0001", {"title": theirs})
    type_into(qtbot, panel, "title", mine)
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    panel.save()
    qtbot.waitUntil(lambda: panel.conflict_box is not None and panel.conflict_box.isVisible(), timeout=WAIT_MS)
    return panel


def test_a_save_over_someone_elses_save_is_refused_and_shows_both_versions(qtbot, desk, tmp_path):
    panel = save_after_someone_else(qtbot, desk, "The other officer's title", "My title")
    box = panel.conflict_box
    assert edits.read(desk.store, "proposal", "P-0001")["title"] == "The other officer's title"  # not overwritten
    assert "changed by someone else" in panel.status.text()
    table = box.table
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == \
        ["Field", "Yours (from version 1)", "Stored now (version 2)"]
    assert [table.item(0, c).text() for c in range(3)] == ["title", "My title", "The other officer's title"]
    assert table.item(0, 1).font().bold() and not table.item(table.rowCount() - 1, 1).font().bold()
    box.grab().save(str(tmp_path / "conflict.png"))

    box.take_button.click()
    qtbot.waitUntil(lambda: panel.conflict_box is None, timeout=WAIT_MS)
    assert panel.form.values()["title"] == "The other officer's title" and not panel.dirty

    # Now edited on top of the version shown, the save goes through.
    type_into(qtbot, panel, "title", "My title, after reading theirs")
    qtbot.waitUntil(panel.save_button.isEnabled, timeout=WAIT_MS)
    panel.save()
    qtbot.waitUntil(lambda: edits.read(desk.store, "proposal", "P-0001")["title"] == "My title, after reading theirs",
                    timeout=WAIT_MS)


def test_saving_mine_over_the_other_version_is_a_choice_made_after_seeing_it(qtbot, desk):
    panel = save_after_someone_else(qtbot, desk, "Theirs", "Mine")
    edits.update(desk.store, "proposal", "P-0001", {"title": "Theirs again"})  # a third save while deciding
    panel.conflict_box.mine_button.click()
    # Saving over version 2 (the one shown) is refused in turn: version 3 was never shown.
    qtbot.waitUntil(lambda: panel.conflict_box is not None and panel.conflict_box.isVisible(), timeout=WAIT_MS)
    assert panel.conflict_box.conflict.stored["title"] == "Theirs again"
    panel.conflict_box.mine_button.click()
    qtbot.waitUntil(lambda: edits.read(desk.store, "proposal", "P-0001")["title"] == "Mine", timeout=WAIT_MS)
