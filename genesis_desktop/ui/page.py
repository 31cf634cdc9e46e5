"""A view of the main window, and a view made of several views shown as tabs.

The main window knows pages only through this class: their key (used by `select_view`, screenshots
and settings), title and icon, whether they have loaded, why they could not, and a one-line count
for the status bar.
"""
from __future__ import annotations

from typing import Iterator

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from .desk import Desk


class Page(QWidget):
    # Loaded, failed, or its counts changed: the window refreshes its status bar.
    state_changed = Signal()
    # The tables this page shows: a write to any of them reloads the page.
    tables: frozenset[str] = frozenset()

    def __init__(self, desk: Desk, key: str, title: str, icon: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.key = key
        self.title = title
        self.icon_name = icon
        self.error: str | None = None
        self._loaded = False
        self.setObjectName(f"{key}Page")
        desk.data_changed.connect(self._on_data_changed)

    @property
    def is_loaded(self) -> bool:
        """True once the page has its data or knows why it has none."""
        return self._loaded

    def reload(self) -> None:
        """Start reading what the page shows; pages without data are loaded at once."""
        self.mark_loaded()

    def mark_loaded(self, error: str | None = None) -> None:
        self._loaded = True
        self.error = error
        self.state_changed.emit()

    def status_text(self) -> str:
        """What the status bar says about this page while it is shown (e.g. '12 of 40 proposals')."""
        return ""

    def pages(self) -> Iterator["Page"]:
        """This page and every page inside it."""
        yield self

    def show_page(self, key: str) -> None:
        """Bring the inner page `key` to the front (pages with tabs override this)."""

    def shutdown(self) -> None:
        """The window is closing: stop what this page started (timers, runs). Inner pages get their own call."""

    def _on_data_changed(self, tables: frozenset[str]) -> None:
        if self.tables & tables:
            self.reload()


class TabbedPage(Page):
    """Several pages under one navigation entry, as tabs (e.g. calls, proposals and institutions)."""

    def __init__(self, desk: Desk, key: str, title: str, icon: str, children: list[Page],
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, key, title, icon, parent)
        self.children_pages = children
        self.tabs = QTabWidget(self, objectName=f"{key}Tabs")
        self.tabs.setDocumentMode(True)
        for child in children:
            self.tabs.addTab(child, child.title)
            child.state_changed.connect(self.state_changed)
        self.tabs.currentChanged.connect(lambda _i: self.state_changed.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.tabs)

    @property
    def is_loaded(self) -> bool:
        return all(child.is_loaded for child in self.children_pages)

    @property
    def current_child(self) -> Page:
        return self.children_pages[self.tabs.currentIndex()]

    def reload(self) -> None:
        for child in self.children_pages:
            child.reload()

    def status_text(self) -> str:
        return self.current_child.status_text()

    def pages(self) -> Iterator[Page]:
        yield self
        for child in self.children_pages:
            yield from child.pages()

    def show_page(self, key: str) -> None:
        for index, child in enumerate(self.children_pages):
            if any(p.key == key for p in child.pages()):
                self.tabs.setCurrentIndex(index)
                child.show_page(key)
                return
