"""The main window: navigation on the left, one page per view, menus, and a status bar.

Views are described by `TableViewSpec`s (queries.py); adding a table view is adding a spec. Data is
read by a `Loader` on worker threads and handed to the pages by signal; this window only paints.
"""
from __future__ import annotations

import html
from PySide6.QtCore import QEventLoop, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
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
from genesis_desktop.portfolio.store import Store, describe_url, sqlite_path

from .desk import Desk
from .page import Page, TabbedPage
from .resources import icon
from .views import SectionsFactory, build_sections

APP_TITLE = "Genesis Desktop"


def database_label(url: str) -> str:
    """The database as a person would name it: a file's name, or the URL with its password hidden."""
    path = sqlite_path(url)
    if path is not None:
        return path.name
    return make_url(url).render_as_string(hide_password=True)


class MainWindow(QMainWindow):
    view_changed = Signal(str)
    # Every view has its rows (or has reported why it could not load them).
    loaded = Signal()

    def __init__(self, store: Store, sections: SectionsFactory = build_sections, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.desk = Desk(store, self)
        self.desk.idle.connect(self._on_idle)
        self.sections: list[Page] = sections(self.desk)
        self.setWindowTitle(f"{APP_TITLE} — {database_label(store.url)}")
        self.setWindowIcon(icon("genesis", selected=None))
        self.resize(1280, 800)

        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setAccessibleName("Views")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(200)
        self.stack = QStackedWidget()
        for section in self.sections:
            self.stack.addWidget(section)
            self.navigation.addItem(QListWidgetItem(icon(section.icon_name), section.title))
            section.state_changed.connect(self._page_state_changed)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.navigation.currentRowChanged.connect(self._show_row)
        self.database_label = QLabel(f"Database: {describe_url(store.url)}")
        self.database_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_label = QLabel()
        self.statusBar().addWidget(self.database_label, 1)
        self.statusBar().addPermanentWidget(self.counts_label)

        self.navigation.setCurrentRow(0)
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

    # Menus ------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        reload_action = QAction("&Reload", self, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh))
        reload_action.setStatusTip("Read the portfolio again from the database")
        reload_action.triggered.connect(self.reload)
        file_menu.addAction(reload_action)
        file_menu.addSeparator()
        # Spelled out: the platform's standard Quit key is empty on Windows.
        quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        group = QActionGroup(self)
        group.setExclusive(True)
        self._view_actions: dict[str, QAction] = {}
        for number, section in enumerate(self.sections, start=1):
            action = QAction(f"&{section.title}", self, checkable=True)
            if number <= 9:
                action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setIcon(icon(section.icon_name))
            action.triggered.connect(lambda _checked=False, key=section.key: self.select_view(key))
            group.addAction(action)
            view_menu.addAction(action)
            self._view_actions[section.key] = action
        view_menu.addSeparator()
        find_action = QAction("&Filter rows", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find_action.triggered.connect(self._focus_filter)
        view_menu.addAction(find_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Genesis Desktop", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._about)
        help_menu.addAction(about_action)
        self.actions_by_name = {"reload": reload_action, "quit": quit_action, "filter": find_action,
                                "about": about_action, **{f"view.{k}": a for k, a in self._view_actions.items()}}

    def _focus_filter(self) -> None:
        page = self.page(self.current_view)
        if hasattr(page, "focus_filter"):
            page.focus_filter()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Portfolio desk of a national AI-for-science programme."
            f"<br><br>Database: {html.escape(describe_url(self.store.url))}",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # Workers read through the store's engine: let them finish before the window and engine go.
        self.desk.shutdown()
        super().closeEvent(event)
