"""Menus, toolbar, themes and the layout remembered between runs."""
from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QToolButton

from genesis_desktop.ui.main_window import MainWindow
from genesis_desktop.ui.theme import DARK, LIGHT, choose_theme, current_scheme


def menu_actions(window):
    for menu_action in window.menuBar().actions():
        yield menu_action
        for action in menu_action.menu().actions():
            if not action.isSeparator():
                yield action


def test_every_menu_entry_is_reachable_by_keyboard(main_window):
    for action in menu_actions(main_window):
        # A mnemonic (&) inside its menu is enough; a shortcut makes it faster.
        assert "&" in action.text(), f"{action.text()!r} has no mnemonic"


def test_icon_only_toolbar_buttons_have_accessible_names_and_tooltips(main_window):
    buttons = main_window.toolbar.findChildren(QToolButton)
    named = {b.accessibleName(): b.toolTip() for b in buttons if b.defaultAction() is not None}
    assert {"Reload", "Export visible rows", "New record", "Delete record", "Undo", "Redo"} <= set(named)
    assert named["Undo"].startswith("Undo (") and named["Reload"] == "Reload (F5)"


def test_page_commands_are_enabled_only_where_the_page_offers_them(main_window, qtbot):
    actions = main_window.actions_by_name
    main_window.select_view("overview")  # charts: nothing to filter, export or edit row by row
    assert not any(actions[name].isEnabled() for name in ("filter", "export", "new", "delete"))
    main_window.select_view("challenges")
    assert all(actions[name].isEnabled() for name in ("filter", "export", "new", "delete"))
    main_window.activateWindow()
    actions["filter"].trigger()
    page = main_window.page("challenges")
    qtbot.waitUntil(page.filter_edit.hasFocus, timeout=2_000)


def test_theme_actions_switch_the_palette_and_are_remembered(main_window, qtbot, portfolio_store):
    app = QApplication.instance()
    main_window.actions_by_name["theme.dark"].trigger()
    assert current_scheme(app) == DARK
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    main_window.actions_by_name["theme.light"].trigger()
    assert current_scheme(app) == LIGHT
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
    main_window.actions_by_name["theme.dark"].trigger()
    main_window.close()

    choose_theme(app, LIGHT)  # the live process changes; the settings still say dark
    again = MainWindow(portfolio_store)
    qtbot.addWidget(again)
    assert current_scheme(app) == DARK
    assert again.actions_by_name["theme.dark"].isChecked()
    again.close()


def test_last_view_and_window_size_are_remembered(main_window, qtbot, portfolio_store):
    # Within the offscreen screen (800 x 600), which restoreGeometry clamps to.
    main_window.resize(760, 540)
    size = (main_window.width(), main_window.height())
    assert size != (1280, 800)
    main_window.select_view("proposals")
    main_window.close()

    again = MainWindow(portfolio_store)
    qtbot.addWidget(again)
    again.show()
    assert again.wait_until_loaded(20_000)
    assert again.current_view == "proposals"
    assert (again.width(), again.height()) == size
    again.close()


def test_status_bar_says_which_compute_backends_are_reachable(main_window, qtbot):
    label = main_window.backend_status
    qtbot.waitUntil(lambda: label.states is not None, timeout=20_000)
    names = {s.name: s for s in label.states}
    assert names["local"].reachable, names["local"].reason
    assert "local ✓" in label.text()
    assert "local: reachable" in label.toolTip()
