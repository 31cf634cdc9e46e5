"""The main window: navigation on the left, one page per view, menus, and a status bar.

Views are described by `TableViewSpec`s (queries.py); adding a table view is adding a spec. Data is
read by a `Loader` on worker threads and handed to the pages by signal; this window only paints.
"""
from __future__ import annotations

import html
from typing import Sequence

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

from .columns import TableData
from .queries import TABLE_VIEWS, TableViewSpec
from .resources import icon
from .table_page import TablePage
from .workers import Loader

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

    def __init__(self, store: Store, views: Sequence[TableViewSpec] = TABLE_VIEWS, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.views = {spec.key: spec for spec in views}
        self.pages: dict[str, TablePage] = {}
        self.errors: dict[str, str] = {}  # view key -> why its rows could not be read
        self.setWindowTitle(f"{APP_TITLE} — {database_label(store.url)}")
        self.setWindowIcon(icon("genesis", selected=None))
        self.resize(1280, 800)

        self.loader = Loader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.idle.connect(self._on_idle)

        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setAccessibleName("Views")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(190)
        self.stack = QStackedWidget()
        for spec in views:
            page = TablePage(spec.title, spec.noun, spec.columns)
            page.counts_changed.connect(self._update_counts)
            self.pages[spec.key] = page
            self.stack.addWidget(page)
            self.navigation.addItem(QListWidgetItem(icon(spec.icon), spec.title))

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

        self.select_view(views[0].key)
        self.reload()

    # Views ------------------------------------------------------------------------------------

    @property
    def view_keys(self) -> list[str]:
        return list(self.views)

    @property
    def current_view(self) -> str:
        return self.view_keys[self.stack.currentIndex()]

    def page(self, key: str) -> TablePage:
        return self.pages[self._known(key)]

    def select_view(self, key: str) -> None:
        self.navigation.setCurrentRow(self.view_keys.index(self._known(key)))

    def _known(self, key: str) -> str:
        if key not in self.views:
            raise ValueError(f"unknown view {key!r}; known views: {', '.join(self.views)}")
        return key

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        key = self.view_keys[row]
        self._view_actions[key].setChecked(True)
        self.view_changed.emit(key)

    # Loading ----------------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return not self.loader.pending and all(p.loaded for p in self.pages.values())

    def reload(self) -> None:
        engine = self.store.engine
        self.statusBar().showMessage("Loading…")
        for key, spec in self.views.items():
            self.loader.submit(key, lambda spec=spec: spec.build(engine))

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

    def _on_loaded(self, key: str, table: TableData) -> None:
        self.errors.pop(key, None)
        self.pages[key].set_table(table)

    def _on_failed(self, key: str, message: str) -> None:
        self.errors[key] = message
        self.pages[key].show_error(message)
        self.statusBar().showMessage(f"Could not load {self.views[key].noun}: {message}")

    def _on_idle(self) -> None:
        if self.statusBar().currentMessage() == "Loading…":
            self.statusBar().clearMessage()
        self.loaded.emit()

    def _update_counts(self, *_args) -> None:
        parts = []
        for key, page in self.pages.items():
            if not page.loaded:
                continue
            shown, total = page.model.rowCount(), page.model.total_rows
            counted = f"{total:,}" if shown == total else f"{shown:,} of {total:,}"
            parts.append(f"{self.views[key].title}: {counted}")
        self.counts_label.setText("  ·  ".join(parts))

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
        for number, (key, spec) in enumerate(self.views.items(), start=1):
            action = QAction(f"&{spec.title}", self, checkable=True)
            if number <= 9:
                action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setIcon(icon(spec.icon))
            action.triggered.connect(lambda _checked=False, key=key: self.select_view(key))
            group.addAction(action)
            view_menu.addAction(action)
            self._view_actions[key] = action
        view_menu.addSeparator()
        find_action = QAction("&Filter rows", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find_action.triggered.connect(lambda: self.page(self.current_view).focus_filter())
        view_menu.addAction(find_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Genesis Desktop", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._about)
        help_menu.addAction(about_action)
        self.actions_by_name = {"reload": reload_action, "quit": quit_action, "filter": find_action,
                                "about": about_action, **{f"view.{k}": a for k, a in self._view_actions.items()}}

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Portfolio desk of a national AI-for-science programme."
            f"<br><br>Database: {html.escape(describe_url(self.store.url))}",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # Workers read through the store's engine: let them finish before the window and engine go.
        self.loader.shutdown()
        super().closeEvent(event)
