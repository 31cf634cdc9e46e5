"""The one writer: writes run one at a time, in order, on one thread that is not the GUI thread, and
their outcomes come back on the GUI thread; the desk announces the tables a write changed."""
from __future__ import annotations

import threading

import pytest

from genesis_desktop.portfolio import edits
from genesis_desktop.ui.desk import Desk
from genesis_desktop.ui.writer import Writer

# Generous: the machine may be busy; no test asserts how long anything takes.
WAIT_MS = 30_000


@pytest.fixture
def writer(qapp):
    w = Writer()
    yield w
    w.shutdown()
    w.deleteLater()


def test_writes_run_in_order_on_one_thread_that_is_not_the_gui_thread(qtbot, writer):
    ran: list[tuple[int, int]] = []  # (write number, thread) as the writes ran
    delivered: list[tuple[int, int]] = []  # (result, thread) as the outcomes arrived

    def write(n):
        ran.append((n, threading.get_ident()))
        return n

    for n in range(8):
        writer.submit(lambda n=n: write(n), on_done=lambda r: delivered.append((r, threading.get_ident())))
    qtbot.waitUntil(lambda: len(delivered) == 8, timeout=WAIT_MS)
    assert [n for n, _ in ran] == list(range(8))
    threads = {t for _, t in ran}
    assert len(threads) == 1 and threads != {threading.get_ident()}
    assert [r for r, _ in delivered] == list(range(8))
    assert {t for _, t in delivered} == {threading.get_ident()}  # callbacks run on the GUI thread
    assert writer.pending == 0


def test_a_failed_write_is_reported_with_its_error_and_the_next_still_runs(qtbot, writer):
    outcomes = []
    with qtbot.waitSignal(writer.failed, timeout=WAIT_MS) as failed:
        writer.submit(lambda: 1 / 0, on_done=lambda r: outcomes.append(("done", r)),
                      on_failed=lambda e: outcomes.append(("failed", type(e).__name__)))
        writer.submit(lambda: "after", on_done=lambda r: outcomes.append(("done", r)))
    assert isinstance(failed.args[1], ZeroDivisionError)
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=WAIT_MS)
    assert outcomes == [("failed", "ZeroDivisionError"), ("done", "after")]


def test_shutdown_runs_what_is_queued_then_ends_the_thread(qapp):
    writer = Writer()
    gate = threading.Event()
    ran = []
    writer.submit(gate.wait)  # holds the thread until the others are queued behind it
    for n in range(3):
        writer.submit(lambda n=n: ran.append(n))
    gate.set()
    assert writer.shutdown()
    assert ran == [0, 1, 2]
    assert not any(t.name == "genesis-writer" and t.is_alive() for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="shut down"):
        writer.submit(lambda: None)
    writer.deleteLater()


def test_the_desk_announces_the_tables_a_write_changed(qtbot, portfolio_store):
    desk = Desk(portfolio_store)
    try:
        store = desk.store
        with qtbot.waitSignal(desk.data_changed, timeout=WAIT_MS) as announced:
            desk.write(lambda: edits.update(store, "proposal", "P-0001", {"title": "Retitled"}))
        assert "proposal" in announced.args[0] and "call" not in announced.args[0]
        assert edits.read(store, "proposal", "P-0001")["title"] == "Retitled"
    finally:
        desk.shutdown()
        desk.deleteLater()
