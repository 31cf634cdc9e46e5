"""Background work for the desktop: run plain callables on a thread pool, get results by signal.

The callables never see a widget; they return data (a DataFrame, a TableData) and the `Loader`
hands it to the GUI thread through a Mailbox (mailbox.py says why not a queued signal: the worker
threads make no Qt call at all). Each key has a generation, so a result that arrives after a newer
request for the same key is dropped instead of overwriting fresher data.
"""
from __future__ import annotations

import traceback
from concurrent.futures import Future, ThreadPoolExecutor, wait as wait_for
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from .mailbox import Mailbox


class Loader(QObject):
    """Runs `fn()` for a key on a private pool; emits `loaded(key, result)` or `failed(key, message)`."""

    loaded = Signal(str, object)
    failed = Signal(str, str)
    # No work left: every submitted key has reported (used by screenshots and tests to wait).
    idle = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_threads, thread_name_prefix="genesis-loader")
        self._running: set[Future] = set()
        self._mailbox = Mailbox(self._finish, self)
        self._generation: dict[str, int] = {}
        self._pending: set[str] = set()
        self._closed = False

    @property
    def pending(self) -> frozenset[str]:
        return frozenset(self._pending)

    def submit(self, key: str, fn: Callable[[], Any]) -> None:
        if self._closed:
            raise RuntimeError("this loader was shut down")
        generation = self._generation.get(key, 0) + 1
        self._generation[key] = generation
        self._pending.add(key)
        post = self._mailbox.post

        def task() -> None:
            try:
                result, ok = fn(), True
            except Exception as exc:  # reported to the GUI, which says what failed
                result, ok = _describe(exc), False
            post((key, generation, ok, result))

        future = self._pool.submit(task)
        self._running.add(future)
        future.add_done_callback(self._running.discard)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the running work ends (results still arrive through the event loop)."""
        _done, left = wait_for(list(self._running), None if msecs < 0 else msecs / 1000)
        return not left

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Drop queued work and wait for running work; call before the window and its engine go."""
        self._closed = True
        for future in list(self._running):
            future.cancel()
        ended = self.wait(msecs)
        self._pool.shutdown(wait=False)
        self._mailbox.close()
        return ended

    def _finish(self, key: str, generation: int, ok: bool, result: object) -> None:
        if self._closed or generation != self._generation.get(key):
            return
        self._pending.discard(key)
        if ok:
            self.loaded.emit(key, result)
        else:
            self.failed.emit(key, str(result))
        if not self._pending:
            self.idle.emit()


def _describe(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
