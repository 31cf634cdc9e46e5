"""The one writer: every database write of the desktop runs here, one at a time, in order.

A write is a plain callable (usually a service from portfolio/edits.py) that returns what it changed
or raises. It runs on a single worker thread, never on the GUI thread, and its outcome comes back to
the GUI thread through a Mailbox (no Qt call on the worker thread: mailbox.py says why), then as the
signals `done(ticket, result)` or `failed(ticket, error)`, the error being the exception itself, so
that the caller can show a refused record's problems next to its fields.
Serial order is what makes undo safe: an undo submitted after an edit runs after it.
"""
from __future__ import annotations

import logging
import queue
import threading
from itertools import count
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from .mailbox import Mailbox

log = logging.getLogger(__name__)
_STOP = object()

OnDone = Callable[[Any], None]
OnFailed = Callable[[Exception], None]


class Writer(QObject):
    done = Signal(int, object)  # ticket, what the write returned
    failed = Signal(int, object)  # ticket, the exception it raised
    idle = Signal()  # nothing queued or running any more

    def __init__(self, parent: QObject | None = None, name: str = "genesis-writer") -> None:
        super().__init__(parent)
        self._name = name
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._tickets = count(1)
        self._callbacks: dict[int, tuple[OnDone | None, OnFailed | None]] = {}
        self._closed = False
        self._mailbox = Mailbox(self._deliver, self)  # posted to on the worker thread

    @property
    def pending(self) -> int:
        """Writes submitted whose outcome has not been delivered yet."""
        return len(self._callbacks)

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident if self._thread is not None else None

    def submit(self, write: Callable[[], Any], on_done: OnDone | None = None,
               on_failed: OnFailed | None = None) -> int:
        """Queue `write()`; its outcome goes to the callbacks (on the GUI thread) and the signals."""
        if self._closed:
            raise RuntimeError("the writer was shut down: nothing more can be written")
        ticket = next(self._tickets)
        self._callbacks[ticket] = (on_done, on_failed)
        if self._thread is None:
            # Started on first use, so that a desk that never writes holds no thread.
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put((ticket, write))
        return ticket

    def shutdown(self, timeout_s: float | None = 60.0) -> bool:
        """Run what is queued, then stop the thread; True if it ended in time. Outcomes that arrive
        after this are not delivered: whoever asked is going away."""
        self._closed = True
        if self._thread is None:
            return True
        self._queue.put((0, _STOP))
        self._thread.join(timeout_s)
        ended = not self._thread.is_alive()
        if ended:
            self._mailbox.close()
        return ended

    def _run(self) -> None:
        while True:
            ticket, write = self._queue.get()
            if write is _STOP:
                return
            try:
                result, ok = write(), True
            except Exception as exc:  # handed to the GUI, which says what went wrong
                log.info("write %d failed: %s", ticket, exc)
                result, ok = exc, False
            self._mailbox.post((ticket, ok, result))

    def _deliver(self, ticket: int, ok: bool, result: object) -> None:
        on_done, on_failed = self._callbacks.pop(ticket, (None, None))
        if self._closed:
            return
        if ok:
            self.done.emit(ticket, result)
            if on_done is not None:
                on_done(result)
        else:
            self.failed.emit(ticket, result)
            if on_failed is not None:
                on_failed(result)
        if not self._callbacks:
            self.idle.emit()
