"""The main window on a real SQLite portfolio: title, counts, sorting, filtering, keyboard, loading."""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from genesis_desktop.portfolio.store import describe_url
from genesis_desktop.ui.main_window import MainWindow, database_label
from genesis_desktop.ui.queries import TABLE_VIEWS, TableViewSpec, challenges_frame, proposals_frame
from genesis_desktop.ui.views import table_sections


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.ControlModifier):
    window.activateWindow()
    QApplication.processEvents()
    qtbot.keyClick(window, key, modifier)


def test_title_status_bar_and_counts(main_window, portfolio_url, portfolio_data):
    challenges, proposals = portfolio_data.challenges, portfolio_data.proposals
    if portfolio_url.startswith("sqlite"):
        assert main_window.windowTitle() == "Genesis Desktop — portfolio.sqlite"
    else:
        url = make_url(portfolio_url)
        assert main_window.windowTitle() == \
            f"Genesis Desktop — {url.database} on {url.host}:{url.port} as {url.username}"
    assert main_window.database_label.text() == f"Database: {describe_url(portfolio_url)}"
    assert main_window.page("challenges").model.rowCount() == len(challenges)
    assert main_window.page("proposals").model.rowCount() == len(proposals)
    assert main_window.page("proposals").count_label.text() == f"{len(proposals)} proposals"
    main_window.select_view("challenges")
    assert main_window.current_view == "challenges"
    assert main_window.counts_label.text() == f"Challenges: {len(challenges)}"
    main_window.select_view("proposals")
    assert main_window.counts_label.text() == f"Proposals: {len(proposals)}"
    assert not main_window.errors


def test_proposals_table_joins_call_lead_money_and_gpu_hours(main_window, portfolio_data):
    model = main_window.page("proposals").model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Code", "Title", "Call", "Phase", "Lead", "Status", "Requested", "Currency", "GPU-hours"]
    rows = {model.data(model.index(r, 0)): [model.data(model.index(r, c)) for c in range(model.columnCount())]
            for r in range(model.rowCount())}
    assert rows["P-0002"] == ["P-0002", "Alpha plasma twin", "DE-FOA-0003612", "II", "MIT", "Awarded",
                              "8,500,000.00", "USD", "250,000"]
    assert rows["P-0005"][2:] == ["JST-2026-01", "I", "MIT", "Recommended", "50,000,000", "JPY", "4,500"]
    assert {code: row[6] for code, row in rows.items()} == portfolio_data.requested_text


def test_challenges_table_counts_proposals_and_shows_missing_lead_blank(main_window):
    model = main_window.page("challenges").model
    by_code = {model.data(model.index(r, 0)): r for r in range(model.rowCount())}
    row = by_code["GC-01"]
    assert [model.data(model.index(row, c)) for c in range(model.columnCount())] == [
        "GC-01", "Fusion plasma control with learned surrogates", "energy", "ANL", "Active", "Official", "2"]
    assert model.data(model.index(by_code["GC-03"], 3)) == ""


def test_sorting_by_header_orders_numbers_and_strings(main_window, qtbot, portfolio_data):
    proposals = portfolio_data.proposals
    main_window.select_view("proposals")
    page = main_window.page("proposals")
    model, header = page.model, page.table.horizontalHeader()

    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(8) + 5, header.height() // 2))
    assert header.sortIndicatorSection() == 8
    assert model.raw_column("gpu_hours") == sorted(p[8] for p in proposals)

    page.sort_by("gpu_hours", descending=True)
    assert model.raw_column("gpu_hours") == sorted((p[8] for p in proposals), reverse=True)
    page.sort_by("requested")
    assert model.text_column("code") == ["P-0004", "P-0001", "P-0003", "P-0002", "P-0005"]
    page.sort_by("title")  # case-insensitive
    assert model.text_column("title") == [
        "Alpha plasma twin", "Beta enzyme foundry", "Delta materials agents", "gamma grid forecasts",
        "zeta surrogate models"]
    page.sort_by("title", descending=True)
    assert model.text_column("title")[0] == "zeta surrogate models"
    page.sort_by("status")  # workflow order, not the alphabet
    assert model.text_column("status") == ["Submitted", "Under review", "Recommended", "Awarded", "Declined"]


def test_keyboard_shortcuts_switch_views_and_focus_the_filter(main_window, qtbot):
    keys = main_window.section_keys
    challenges, proposals = keys.index("challenges") + 1, keys.index("calls_proposals") + 1
    press(qtbot, main_window, getattr(Qt.Key, f"Key_{proposals}"))
    assert main_window.current_view == "proposals"
    assert main_window.stack.currentWidget() is main_window.page("calls_proposals")
    assert main_window.actions_by_name["view.calls_proposals"].isChecked()
    press(qtbot, main_window, getattr(Qt.Key, f"Key_{challenges}"))
    assert main_window.current_view == "challenges"
    assert main_window.navigation.currentRow() == challenges - 1

    press(qtbot, main_window, Qt.Key.Key_F)
    page = main_window.page("challenges")
    assert page.filter_edit.hasFocus()
    qtbot.keyClicks(page.filter_edit, "energy")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=2000)
    assert page.count_label.text() == "2 of 4 challenges"
    assert "Challenges: 2 of 4" in main_window.counts_label.text()


def test_every_action_has_a_shortcut_or_mnemonic(main_window):
    actions = main_window.actions_by_name
    assert actions["quit"].shortcut().toString() == "Ctrl+Q"
    for number, key in enumerate(main_window.section_keys, start=1):
        assert actions[f"view.{key}"].shortcut().toString() == f"Ctrl+{number}"
    assert [a.text() for a in main_window.menuBar().actions()] == ["&File", "&Edit", "&View", "&Help"]


def test_quit_shortcut_closes_the_window(main_window, qtbot):
    press(qtbot, main_window, Qt.Key.Key_Q)
    qtbot.waitUntil(lambda: not main_window.isVisible(), timeout=2000)


def test_unknown_view_is_refused_with_the_known_ones(main_window):
    with pytest.raises(ValueError, match="known views: .*challenges.*proposals"):
        main_window.select_view("no-such-view")


def test_a_view_that_cannot_load_says_why(qtbot, portfolio_store, portfolio_data):
    def broken(engine):
        raise RuntimeError("table proposal is locked")

    views = (TABLE_VIEWS[0], TableViewSpec("broken", "Broken", "broken rows", "proposals", broken,
                                          TABLE_VIEWS[1].columns))
    window = MainWindow(portfolio_store, table_sections(views))
    qtbot.addWidget(window)
    assert window.wait_until_loaded(20_000)
    assert "table proposal is locked" in window.errors["broken"]
    assert "Could not load broken rows" in window.page("broken").count_label.text()
    assert window.page("challenges").model.rowCount() == len(portfolio_data.challenges)


def test_frames_are_qt_free_reads(portfolio_store, portfolio_data):
    challenges = challenges_frame(portfolio_store.engine)
    proposals = proposals_frame(portfolio_store.engine)
    assert list(challenges["code"]) == [c[0] for c in portfolio_data.challenges]
    assert proposals.set_index("code").loc["P-0001", "requested_minor"] == 75_000_050
    assert proposals.set_index("code").loc["P-0005", "requested"] == 50_000_000.0


def test_database_names_hide_passwords():
    assert database_label("sqlite:////data/genesis/portfolio.sqlite") == "portfolio.sqlite"
    url = "postgresql+psycopg://officer:s3cret@db.example.org/genesis"
    assert "s3cret" not in database_label(url) and "s3cret" not in describe_url(url)
    assert describe_url(url) == "postgresql+psycopg://officer:***@db.example.org/genesis"
