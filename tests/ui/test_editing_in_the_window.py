"""Editing from the main window: select a row, change it, save, undo and redo with the window's keys."""
from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from genesis_desktop.portfolio.schema import Challenge


def type_into(qtbot, panel, field, text):
    line = panel.form.editors[field].line
    line.selectAll()
    qtbot.keyClicks(line, text) if text else qtbot.keyClick(line, Qt.Key.Key_Delete)


def editor_text(panel, field) -> str:
    return panel.form.editors[field].text()


def stored_title(store, code: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(Challenge.title).where(Challenge.code == code)).scalar_one()


def test_edit_save_undo_redo_through_the_window(main_window, qtbot, portfolio_store):
    main_window.select_view("challenges")
    page = main_window.page("challenges")
    row = page.model.text_column("code").index("GC-02")
    page.table.setCurrentIndex(page.model.index(row, 0))
    panel = page.record_panel
    assert page.record_splitter.sizes()[1] > 0  # the panel unfolded
    qtbot.waitUntil(lambda: editor_text(panel, "title") == "Autonomous materials discovery", timeout=20_000)

    type_into(qtbot, panel, "title", "Autonomous materials discovery at scale")
    qtbot.waitUntil(lambda: panel.save_button.isEnabled(), timeout=20_000)
    panel.save_button.click()
    qtbot.waitUntil(lambda: stored_title(portfolio_store, "GC-02").endswith("at scale"), timeout=20_000)
    qtbot.waitUntil(lambda: "Autonomous materials discovery at scale" in page.model.text_column("title"),
                    timeout=20_000)  # the write announced the table and the view reloaded

    qtbot.waitUntil(main_window.actions_by_name["undo"].isEnabled, timeout=5_000)
    main_window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: stored_title(portfolio_store, "GC-02") == "Autonomous materials discovery", timeout=20_000)
    qtbot.waitUntil(main_window.actions_by_name["redo"].isEnabled, timeout=5_000)
    main_window.actions_by_name["redo"].trigger()
    qtbot.waitUntil(lambda: stored_title(portfolio_store, "GC-02").endswith("at scale"), timeout=20_000)


def test_an_invalid_edit_cannot_be_saved_and_says_why(main_window, qtbot, portfolio_store):
    main_window.select_view("challenges")
    page = main_window.page("challenges")
    page.table.setCurrentIndex(page.model.index(page.model.text_column("code").index("GC-01"), 0))
    panel = page.record_panel
    qtbot.waitUntil(lambda: editor_text(panel, "title") != "", timeout=20_000)
    type_into(qtbot, panel, "title", "")
    qtbot.waitUntil(lambda: panel.problems is not None and any(p.field == "title" for p in panel.problems),
                    timeout=20_000)
    assert not panel.save_button.isEnabled()
    assert stored_title(portfolio_store, "GC-01") == "Fusion plasma control with learned surrogates"


def test_new_record_command_opens_an_empty_form(main_window, qtbot):
    main_window.select_view("challenges")
    assert main_window.actions_by_name["new"].isEnabled()
    main_window.actions_by_name["new"].trigger()
    page = main_window.page("challenges")
    assert page.record_splitter.sizes()[1] > 0
    qtbot.waitUntil(lambda: page.record_panel.code is None and editor_text(page.record_panel, "code") == "",
                    timeout=5_000)
