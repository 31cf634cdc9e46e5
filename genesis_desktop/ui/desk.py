"""What every page of the desktop shares: the store, the background reader and the change signal.

Pages never open threads of their own: they hand plain callables to `Desk.load`, which runs them on
the shared `Loader` and calls back on the GUI thread. Writes announce the tables they changed through
`data_changed`, so each page refreshes only when something it shows has changed.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QSettings, Signal

from genesis_desktop.portfolio.store import Store

from .workers import Loader

OnLoaded = Callable[[Any], None]
OnFailed = Callable[[str], None]


class Desk(QObject):
    data_changed = Signal(object)  # frozenset of table names written
    idle = Signal()  # no load is pending any more

    def __init__(self, store: Store, parent: QObject | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings if settings is not None else QSettings()
        self.loader = Loader(self)
        self._callbacks: dict[str, tuple[OnLoaded, OnFailed]] = {}
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)
        self.loader.idle.connect(self.idle)

    @property
    def engine(self):
        return self.store.engine

    @property
    def busy(self) -> bool:
        return bool(self.loader.pending)

    def load(self, key: str, fn: Callable[[], Any], on_loaded: OnLoaded, on_failed: OnFailed) -> None:
        """Run `fn()` off the GUI thread; a newer load with the same key supersedes an older one."""
        self._callbacks[key] = (on_loaded, on_failed)
        self.loader.submit(key, fn)

    def announce(self, tables: Iterable[str]) -> None:
        """Tell every page that these tables were written."""
        self.data_changed.emit(frozenset(tables))

    def shutdown(self) -> None:
        self.loader.shutdown()

    def _loaded(self, key: str, result: object) -> None:
        callbacks = self._callbacks.get(key)
        if callbacks:
            callbacks[0](result)

    def _failed(self, key: str, message: str) -> None:
        callbacks = self._callbacks.get(key)
        if callbacks:
            callbacks[1](message)
