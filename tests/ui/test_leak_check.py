"""The guard that fails a test leaving things behind must itself see them (else it guards nothing)."""
from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget

from genesis_desktop.ui.desk import Desk


def test_the_leak_check_sees_a_window_a_thread_and_a_desk_left_open(qapp, portfolio_store, leak_check):
    check = leak_check(qapp)
    window, desk = QWidget(), Desk(portfolio_store)
    window.setWindowTitle("forgotten")
    window.show()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="forgotten-thread")
    thread.start()
    try:
        found = check.problems(settle_s=0.2)
        assert any("forgotten" in p and "window" in p for p in found), found
        assert any("forgotten-thread" in p for p in found), found
        assert any("Desk not shut down" in p for p in found), found
    finally:
        stop.set()
        thread.join()
        window.close()
        desk.shutdown()
    assert check.problems(settle_s=2.0) == []
