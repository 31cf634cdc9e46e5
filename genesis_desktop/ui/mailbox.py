"""Results from worker threads to the GUI thread, with no Qt call on the worker thread.

    box = Mailbox(deliver, parent)    # on the GUI thread: deliver(*item) will run there
    box.post(item)                    # from any thread: a tuple, queued, and the GUI thread woken
    box.close()                       # nothing is delivered after this

Why not a queued signal: PySide keeps the GIL while Qt runs a connect or an emit, and those lock Qt's
signal-slot mutexes (a shared pool, chosen by address). The GUI thread, in turn, can hold one of those
mutexes while it waits for the GIL: a disconnect run by a dying Python slot's weak reference asks
whether disconnectNotify is overridden in Python. A worker that connected or emitted at that moment
deadlocked the whole program; `make test` hung on it once, a worker in Loader's connect. Here a
worker only puts the item on a Python queue and writes one byte to a socket pair, and a
QSocketNotifier on the GUI thread wakes up to empty the queue.
"""
from __future__ import annotations

import queue
import socket
from typing import Callable

from PySide6.QtCore import QObject, QSocketNotifier


class Mailbox(QObject):
    def __init__(self, deliver: Callable[..., None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._closed = False
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def post(self, item: tuple) -> None:
        """From any thread."""
        self._items.put(item)
        try:
            self._writer.send(b"\0")
        except BlockingIOError:  # the socket's buffer is full of wake-ups: the GUI thread is due anyway
            pass
        except OSError:  # closed: nobody is waiting for it any more
            pass

    def _drain(self) -> None:
        # The wake-up bytes first, then the queue: an item put after this read sends a byte of its own.
        try:
            while self._reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        while not self._closed:
            try:
                item = self._items.get_nowait()
            except queue.Empty:
                return
            self._deliver(*item)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
