"""The main window's menus and toolbar: every command has a menu entry, a shortcut and a name.

Commands that act on "the current record or table" (export, new, delete, filter) are forwarded to
the page in front when it offers them (a method of that name) and greyed out when it does not.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QToolBar

from .resources import icon
from .theme import DARK, LIGHT, SYSTEM, choose_theme, theme_choice

if TYPE_CHECKING:
    from .main_window import MainWindow

StandardKey = QKeySequence.StandardKey
# Page methods the window forwards to, with the action that triggers each.
PAGE_COMMANDS = ("export_rows", "new_record", "delete_record", "focus_filter")


def _action(window: "MainWindow", text: str, shortcut: QKeySequence | str | None = None,
            icon_name: str | None = None, tip: str = "", slot: Callable | None = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon_name:
        action.setIcon(icon(icon_name))
    plain = text.replace("&", "").rstrip("…")
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{plain} ({keys})" if keys else plain)
    action.setStatusTip(tip or plain)
    if slot is not None:
        action.triggered.connect(slot)
    return action


def build_actions(window: "MainWindow") -> dict[str, QAction]:
    """Create the menus and toolbar of `window`; returns the actions by name (tests press them)."""
    forward = window.forward_to_page
    actions = {
        "reload": _action(window, "&Reload", StandardKey.Refresh, "reload",
                          "Read the portfolio again from the database", window.reload),
        "export": _action(window, "&Export visible rows…", "Ctrl+E", "export",
                          "Write the rows shown, as filtered and sorted, to CSV or XLSX",
                          lambda: forward("export_rows")),
        # Spelled out: the platform's standard Quit key is empty on Windows.
        "quit": _action(window, "&Quit", "Ctrl+Q", slot=window.close),
        "undo": _action(window, "&Undo", StandardKey.Undo, "undo", slot=window.undo),
        "redo": _action(window, "&Redo", "Ctrl+Shift+Z", "redo", slot=window.redo),
        "new": _action(window, "&New record…", StandardKey.New, "add",
                       "Create a record of the kind shown", lambda: forward("new_record")),
        "delete": _action(window, "&Delete record…", "Ctrl+Del", "delete",
                          "Delete the selected record", lambda: forward("delete_record")),
        "filter": _action(window, "&Filter rows", StandardKey.Find, slot=lambda: forward("focus_filter")),
        "about": _action(window, "&About Genesis Desktop", slot=window.about),
    }
    actions["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    actions["about"].setMenuRole(QAction.MenuRole.AboutRole)
    # Ctrl+Y too, as Windows users expect.
    actions["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])

    menu_bar = window.menuBar()
    file_menu = menu_bar.addMenu("&File")
    file_menu.addActions([actions["reload"], actions["export"]])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])

    edit_menu = menu_bar.addMenu("&Edit")
    edit_menu.addActions([actions["undo"], actions["redo"]])
    edit_menu.addSeparator()
    edit_menu.addActions([actions["new"], actions["delete"]])

    view_menu = menu_bar.addMenu("&View")
    sections = QActionGroup(window)
    sections.setExclusive(True)
    for number, section in enumerate(window.sections, start=1):
        action = _action(window, f"&{section.title}", f"Ctrl+{number}" if number <= 9 else None,
                         section.icon_name, f"Show {section.title}",
                         lambda _checked=False, key=section.key: window.select_view(key))
        action.setCheckable(True)
        sections.addAction(action)
        view_menu.addAction(action)
        actions[f"view.{section.key}"] = action
    view_menu.addSeparator()
    view_menu.addAction(actions["filter"])
    theme_menu = view_menu.addMenu("&Theme")
    themes = QActionGroup(window)
    for choice, text in ((SYSTEM, "Follow the &system"), (LIGHT, "&Light"), (DARK, "&Dark")):
        action = _action(window, text, tip=f"Theme: {text.replace('&', '').lower()}",
                         slot=lambda _checked=False, choice=choice: window.choose_theme(choice))
        action.setCheckable(True)
        action.setChecked(theme_choice(QApplication.instance()) == choice)
        themes.addAction(action)
        theme_menu.addAction(action)
        actions[f"theme.{choice}"] = action

    help_menu = menu_bar.addMenu("&Help")
    help_menu.addAction(actions["about"])

    toolbar = QToolBar("Main toolbar", window, objectName="mainToolbar")
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for name in ("reload", "export", "new", "delete", "undo", "redo"):
        toolbar.addAction(actions[name])
        # Icon-only buttons: screen readers read the accessible name, not the picture.
        toolbar.widgetForAction(actions[name]).setAccessibleName(actions[name].text().replace("&", "").rstrip("…"))
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    window.toolbar = toolbar
    return actions


def apply_theme_choice(choice: str) -> str:
    return choose_theme(QApplication.instance(), choice)
