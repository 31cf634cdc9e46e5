"""The main window: navigation on the left, one page per view, menus, and a status bar.

Views are described by `TableViewSpec`s (queries.py); adding a table view is adding a spec. Data is
read by a `Loader` on worker threads and handed to the pages by signal; this window only paints.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QEventLoop, QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)
from sqlalchemy.engine import make_url

from genesis_desktop import __version__
from genesis_desktop.portfolio.access import Role
from genesis_desktop.portfolio.store import Store, describe_url, sqlite_path

from .backend_status import BackendStatusLabel
from .desk import Desk
from .page import Page, TabbedPage
from .resources import icon
from .role_view import limit_to_role
from .theme import THEME_CHOICES, theme_choice
from .views import SectionsFactory, build_sections
from .window_actions import apply_theme_choice, build_actions

APP_TITLE = "Genesis Desktop"
GEOMETRY_KEY, STATE_KEY, VIEW_KEY, THEME_KEY = "window/geometry", "window/state", "window/view", "window/theme"


def database_label(url: str) -> str:
    """The database as a person would name it: a file's name, or a server's database, where and as whom."""
    path = sqlite_path(url)
    if path is not None:
        return path.name
    u = make_url(url)
    where = f"{u.host}:{u.port}" if u.port else (u.host or "the local server")
    return f"{u.database} on {where}" + (f" as {u.username}" if u.username else "")


class MainWindow(QMainWindow):
    view_changed = Signal(str)
    # Every view has its rows (or has reported why it could not load them).
    loaded = Signal()

    def __init__(self, store: Store, sections: SectionsFactory = build_sections, parent=None,
                 safe_mode: bool = False, settings: QSettings | None = None, role: Role | None = None) -> None:
        super().__init__(parent)
        self.store = store
        # safe_mode: `genesis --safe-mode`, only the built-in compute backend is loaded.
        self.desk = Desk(store, self, settings, safe_mode, role)
        self.desk.idle.connect(self._on_idle)
        self.sections: list[Page] = sections(self.desk)
        self.setWindowTitle(f"{APP_TITLE} — {database_label(store.url)}")
        self.setWindowIcon(icon("genesis", selected=None))
        self.resize(1280, 800)

        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setAccessibleName("Views")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        for section in self.sections:
            self.stack.addWidget(section)
            self.navigation.addItem(QListWidgetItem(icon(section.icon_name), section.title))
            section.state_changed.connect(self._page_state_changed)

        # Wide enough for the longest title at the navigation's own (larger) font, icon and padding.
        metrics = QFontMetrics(self.navigation.font())
        widest = max(metrics.horizontalAdvance(section.title) for section in self.sections)
        self.navigation.setFixedWidth(max(200, round(widest * 1.25) + 80))

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.actions_by_name = build_actions(self)
        self._view_actions = {s.key: self.actions_by_name[f"view.{s.key}"] for s in self.sections}
        self.navigation.currentRowChanged.connect(self._show_row)
        self.database_label = QLabel(f"Database: {describe_url(store.url)}")
        self.database_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_label = QLabel()
        self.statusBar().addWidget(self.database_label, 1)
        self.statusBar().addPermanentWidget(self.counts_label)
        self.backend_status = BackendStatusLabel(self.desk)
        self.statusBar().addPermanentWidget(self.backend_status)
        self.backend_status.refresh()

        stack = self.desk.undo_stack
        # Bound methods, not lambdas: Qt disconnects them when this window goes, before the stack does.
        stack.canUndoChanged.connect(self._undo_state_changed)
        stack.canRedoChanged.connect(self._undo_state_changed)
        stack.failed.connect(self._undo_failed)
        self.navigation.setCurrentRow(0)
        self._restore_layout()
        self._update_actions()
        limit_to_role(self)  # an analyst's window hides every command that writes
        self.reload()

    # Views ------------------------------------------------------------------------------------

    @property
    def view_keys(self) -> list[str]:
        """Every page that can be shown, sections and the tabs inside them, in navigation order."""
        return [page.key for section in self.sections for page in section.pages()]

    @property
    def section_keys(self) -> list[str]:
        return [section.key for section in self.sections]

    @property
    def current_section(self) -> Page:
        return self.sections[self.stack.currentIndex()]

    @property
    def current_view(self) -> str:
        section = self.current_section
        return section.current_child.key if isinstance(section, TabbedPage) else section.key

    @property
    def errors(self) -> dict[str, str]:
        """View key -> why its data could not be read."""
        return {p.key: p.error for s in self.sections for p in s.pages() if p.error}

    def page(self, key: str) -> Page:
        for section in self.sections:
            for page in section.pages():
                if page.key == key:
                    return page
        raise ValueError(f"unknown view {key!r}; known views: {', '.join(self.view_keys)}")

    def select_view(self, key: str) -> None:
        self.page(key)  # refuses an unknown key with the known ones
        for row, section in enumerate(self.sections):
            if any(p.key == key for p in section.pages()):
                section.show_page(key)
                self.navigation.setCurrentRow(row)
                return

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self._view_actions[self.sections[row].key].setChecked(True)
        self._page_state_changed()
        self.view_changed.emit(self.current_view)

    # Loading ----------------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return not self.desk.busy and all(section.is_loaded for section in self.sections)

    def reload(self) -> None:
        self.statusBar().showMessage("Loading…")
        for section in self.sections:
            section.reload()

    def wait_until_loaded(self, timeout_ms: int = 30_000) -> bool:
        """Run the event loop until every view has loaded; False if the time ran out first."""
        if self.is_loaded:
            return True
        loop = QEventLoop()
        self.loaded.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        self.loaded.disconnect(loop.quit)
        return self.is_loaded

    def _on_idle(self) -> None:
        if self.statusBar().currentMessage() == "Loading…":
            self.statusBar().clearMessage()
        errors = self.errors
        if errors:
            key, message = next(iter(errors.items()))
            self.statusBar().showMessage(f"Could not load {self.page(key).title}: {message}")
        if self.is_loaded:
            self.loaded.emit()

    def _page_state_changed(self) -> None:
        self.counts_label.setText(self.current_section.status_text())
        if hasattr(self, "actions_by_name"):
            self._update_actions()

    # Commands -------------------------------------------------------------------------------

    def forward_to_page(self, command: str) -> None:
        """Run a page command (export_rows, new_record, ...) on the page in front, if it offers it."""
        method = getattr(self.page(self.current_view), command, None)
        if callable(method):
            method()

    def _update_actions(self) -> None:
        page = self.page(self.current_view)
        for name, command in (("export", "export_rows"), ("new", "new_record"), ("delete", "delete_record"),
                              ("filter", "focus_filter")):
            self.actions_by_name[name].setEnabled(callable(getattr(page, command, None)))
        stack = self.desk.undo_stack
        self.actions_by_name["undo"].setEnabled(stack.canUndo())
        self.actions_by_name["redo"].setEnabled(stack.canRedo())
        # The tooltip names what would be undone or redone: "Undo Edit challenge GC-02 (Ctrl+Z)".
        for name, text, keys in (("undo", stack.undoText() if stack.canUndo() else "", "Ctrl+Z"),
                                 ("redo", stack.redoText() if stack.canRedo() else "", "Ctrl+Shift+Z")):
            self.actions_by_name[name].setToolTip(" ".join(filter(None, (name.capitalize(), text, f"({keys})"))))

    @Slot(bool)
    def _undo_state_changed(self, _can: bool) -> None:
        self._update_actions()

    @Slot(str)
    def _undo_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    def undo(self) -> None:
        # The stack's own undo: it waits for the serial writer (Qt's stock undo action would not).
        self.desk.undo_stack.undo()

    def redo(self) -> None:
        self.desk.undo_stack.redo()

    def choose_theme(self, choice: str) -> None:
        apply_theme_choice(choice)
        self.desk.settings.setValue(THEME_KEY, choice)
        self.actions_by_name[f"theme.{choice}"].setChecked(True)

    def about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Portfolio desk of a national AI-for-science programme."
            f"<br><br>Database: {html.escape(describe_url(self.store.url))}",
        )

    # Remembered between runs ------------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.desk.settings
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        choice = settings.value(THEME_KEY)
        if choice in THEME_CHOICES and choice != theme_choice(QApplication.instance()):
            self.choose_theme(choice)
        view = settings.value(VIEW_KEY)
        if isinstance(view, str) and view in self.view_keys:
            self.select_view(view)

    def save_layout(self) -> None:
        settings = self.desk.settings
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(VIEW_KEY, self.current_view)
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        pages = [page for section in self.sections for page in section.pages()]
        # Pages first cancel their reads and exports, so the desk does not wait for them to finish;
        # workers read through the store's engine, so they end before the window and engine go.
        for page in pages:
            page.shutdown()
        self.desk.shutdown()
        # Once more: a worker that was already running may have started something (a job's runner).
        for page in pages:
            page.shutdown()
        super().closeEvent(event)
