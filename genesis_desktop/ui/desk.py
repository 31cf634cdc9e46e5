"""What every page of the desktop shares: the store, the background reader and the change signal.

Pages never open threads of their own: they hand plain callables to `Desk.load`, which runs them on
the shared `Loader` and calls back on the GUI thread. Writes go through `Desk.write`, to the one serial
`Writer`; a write that returns what it changed (an edits.Change) is announced through `data_changed`
with the tables it wrote, so each page refreshes only when something it shows has changed. Edits are
remembered on `undo_stack`, whose undo and redo write through the same writer.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QSettings, Signal

from genesis_desktop.portfolio.access import Role, role_of
from genesis_desktop.portfolio.store import Store

from .record_undo import EditStack
from .workers import Loader
from .writer import OnDone, OnFailed as OnWriteFailed, Writer

OnLoaded = Callable[[Any], None]
OnFailed = Callable[[str], None]


class Desk(QObject):
    closed = False  # shut down: its threads have ended
    # Every Desk alive, so that tests can fail one that is left open with its threads running.
    instances: "weakref.WeakSet[Desk]" = weakref.WeakSet()
    data_changed = Signal(object)  # frozenset of table names written
    idle = Signal()  # no load is pending any more

    def __init__(self, store: Store, parent: QObject | None = None, settings: QSettings | None = None,
                 safe_mode: bool = False, role: Role | None = None) -> None:
        super().__init__(parent)
        Desk.instances.add(self)
        self.store = store
        self.safe_mode = safe_mode
        # What this sign-in may do (on SQLite: everything). Pages hide what it may not; the server
        # refuses it anyway (portfolio/access_grants.py). Given by whoever asked the server already.
        self.role: Role = role if role is not None else role_of(store.engine)
        self.settings = settings if settings is not None else QSettings()
        self.loader = Loader(self)
        self._callbacks: dict[str, tuple[OnLoaded, OnFailed]] = {}
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)
        self.loader.idle.connect(self.idle)
        self.writer = Writer(self)
        self.writer.done.connect(self._written)
        self.undo_stack = EditStack(store, self.writer, self)

    @property
    def engine(self):
        return self.store.engine

    @property
    def may_write(self) -> bool:
        """Whether this sign-in may change records, scenarios and jobs (administrators and officers)."""
        return self.role in (Role.ADMINISTRATOR, Role.OFFICER)

    @property
    def busy(self) -> bool:
        return bool(self.loader.pending)

    def load(self, key: str, fn: Callable[[], Any], on_loaded: OnLoaded, on_failed: OnFailed) -> None:
        """Run `fn()` off the GUI thread; a newer load with the same key supersedes an older one."""
        self._callbacks[key] = (on_loaded, on_failed)
        self.loader.submit(key, fn)

    def write(self, fn: Callable[[], Any], on_done: OnDone | None = None,
              on_failed: OnWriteFailed | None = None) -> int:
        """Run the write `fn()` on the one writer thread, after every write submitted before it."""
        return self.writer.submit(fn, on_done, on_failed)

    @property
    def writing(self) -> bool:
        return bool(self.writer.pending)

    def announce(self, tables: Iterable[str]) -> None:
        """Tell every page that these tables were written."""
        self.data_changed.emit(frozenset(tables))

    def shutdown(self) -> None:
        # Writes queued before closing are still made; then the readers stop.
        self.writer.shutdown()
        self.loader.shutdown()
        self.closed = True

    def _written(self, _ticket: int, result: object) -> None:
        tables = getattr(result, "tables", None)
        if tables:
            self.announce(tables)

    def _loaded(self, key: str, result: object) -> None:
        callbacks = self._callbacks.get(key)
        if callbacks:
            callbacks[0](result)

    def _failed(self, key: str, message: str) -> None:
        callbacks = self._callbacks.get(key)
        if callbacks:
            callbacks[1](message)
