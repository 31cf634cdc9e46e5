"""The Loader and the Mailbox under it: results made on worker threads reach the GUI thread, in the
order each thread posted them, newest request per key wins, and nothing arrives after shutdown."""
from __future__ import annotations

import threading
import time

import pytest

from genesis_desktop.ui.mailbox import Mailbox
from genesis_desktop.ui.workers import Loader

pytestmark = pytest.mark.qt


def test_items_posted_from_many_threads_arrive_on_the_gui_thread_in_each_threads_order(qtbot):
    got: list[tuple[int, int, int]] = []
    box = Mailbox(lambda sender, n: got.append((sender, n, threading.get_ident())))
    posters = [threading.Thread(target=lambda s=s: [box.post((s, n)) for n in range(500)]) for s in range(8)]
    for t in posters:
        t.start()
    for t in posters:
        t.join()
    qtbot.waitUntil(lambda: len(got) == 8 * 500, timeout=10_000)
    assert {ident for _s, _n, ident in got} == {threading.get_ident()}
    for s in range(8):
        assert [n for sender, n, _ in got if sender == s] == list(range(500))
    box.close()
    box.post((0, 0))  # after close: neither delivered nor an error
    qtbot.wait(50)
    assert len(got) == 8 * 500


def test_the_newest_request_for_a_key_wins_and_failures_say_where(qtbot):
    loader = Loader(max_threads=2)
    loaded, failed = [], []
    loader.loaded.connect(lambda key, result: loaded.append((key, result)))
    loader.failed.connect(lambda key, message: failed.append((key, message)))
    gate = threading.Event()

    def slow():
        gate.wait(10)
        return "old"

    loader.submit("table", slow)
    loader.submit("table", lambda: "new")
    loader.submit("chart", lambda: 1 / 0)
    with qtbot.waitSignal(loader.idle, timeout=10_000):
        gate.set()
    assert loaded == [("table", "new")]
    assert failed[0][0] == "chart" and failed[0][1].startswith("ZeroDivisionError: division by zero (at ")
    assert loader.shutdown(5_000)


def test_shutdown_drops_queued_work_and_delivers_nothing_after(qtbot):
    loader = Loader(max_threads=1)
    ran, loaded = [], []
    loader.loaded.connect(lambda key, result: loaded.append(key))
    started = threading.Event()
    loader.submit("first", lambda: (started.set(), time.sleep(0.3), ran.append("first")))
    loader.submit("queued", lambda: ran.append("queued"))
    assert started.wait(5)
    assert loader.shutdown(5_000)
    qtbot.wait(100)
    assert ran == ["first"] and loaded == []
    with pytest.raises(RuntimeError, match="shut down"):
        loader.submit("late", lambda: None)
