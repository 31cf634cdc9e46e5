"""Large tables stay responsive: the first rows show before the rest has loaded, a load can be
cancelled, and sorts and filters of large tables are computed by a worker with the same result as
on the spot, the latest request winning. No timings are asserted (see bench/bench_tables.py)."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.ui.columns import ColumnSpec, TableData
from genesis_desktop.ui.desk import Desk
from genesis_desktop.ui.queries import TABLE_VIEWS, TableViewSpec
from genesis_desktop.ui.table_loading import load_table
from genesis_desktop.ui.table_model import ArrayTableModel
from genesis_desktop.ui.table_page import TablePage
from genesis_desktop.ui.table_query import ChoiceFilter, TableQuery, compute_view
from genesis_desktop.ui.table_reader import Reading


COLUMNS = (
    ColumnSpec("n", "N", "int"),
    ColumnSpec("name", "Name"),
    ColumnSpec("status", "Status", "enum", order=("submitted", "awarded", "declined"), filter_by="choice"),
    ColumnSpec("amount", "Amount", "float"),
)


def synthetic(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "n": np.arange(n),
        "name": rng.choice([f"Institution {i:04d}" for i in range(5000)] + ["alpha", "Alpha"], n),
        "status": rng.choice(["submitted", "awarded", "declined"], n),
        "amount": np.round(rng.random(n) * 1e6, 2),
    })


class HeldLoad:
    """A view's load whose first page comes at once and whose full read waits for `release`."""

    def __init__(self, rows: int) -> None:
        self.frame = synthetic(rows)
        self.release = threading.Event()

    def __call__(self, engine, reading: Reading | None = None) -> pd.DataFrame:
        if reading is not None and reading.limit is not None:
            return self.frame.head(reading.limit)
        while not self.release.wait(0.01):
            if reading is not None and reading.progress is not None:
                reading.progress.check()  # raises Cancelled once Cancel is pressed
        return self.frame


@pytest.fixture
def held(qtbot, table_desk):
    load = HeldLoad(5000)
    spec = TableViewSpec("synthetic", "Synthetic", "rows", "proposals", load, COLUMNS, frozenset({"x"}), streams=True)
    page = TablePage(table_desk, spec)
    qtbot.addWidget(page)
    page.show()
    try:
        yield page, load
    finally:
        load.release.set()  # never leave a worker waiting


def test_first_rows_show_before_the_full_table_arrives(qtbot, held):
    page, load = held
    page.reload()
    qtbot.waitUntil(lambda: page.model.total_rows == TablePage.FIRST_ROWS, timeout=10_000)
    assert not page.complete and not page.is_loaded
    assert page.count_label.text() == "The first 1,000 rows"
    assert page.activity.active and "Loading rows…" in page.activity.label.text()
    page.sort_by("amount", descending=True)  # a small table sorts on the spot, even partly loaded
    assert page.model.raw_column("amount") == sorted(load.frame["amount"][:1000], reverse=True)
    load.release.set()
    qtbot.waitUntil(lambda: page.is_loaded, timeout=10_000)
    assert page.complete and page.model.total_rows == 5000 and page.count_label.text() == "5,000 rows"
    assert page.model.raw_column("amount") == sorted(load.frame["amount"], reverse=True)  # the sort was kept
    assert not page.activity.active


def test_cancel_keeps_the_first_rows_and_says_they_are_not_all(qtbot, held):
    page, _load = held
    page.reload()
    qtbot.waitUntil(lambda: page.model.total_rows == TablePage.FIRST_ROWS, timeout=10_000)
    page.activity.cancel_button.click()
    qtbot.waitUntil(lambda: page.is_loaded, timeout=10_000)
    assert page.error is None and not page.complete
    assert page.count_label.text() == "The first 1,000 rows" and page.model.rowCount() == 1000


def test_first_page_of_the_demo_is_the_start_of_the_full_read(qtbot, tmp_path, table_settings, open_table_page):
    store = open_store(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    try:
        build_demo(store, proposals=2500, seed=3)
        spec = next(s for s in TABLE_VIEWS if s.key == "proposals")
        first = load_table(spec, store.engine, Reading(limit=1000), TableQuery())
        full = load_table(spec, store.engine, Reading(), TableQuery())
        assert (first.table.row_count, full.table.row_count) == (1000, 2500)
        for column in range(len(spec.columns)):
            assert first.table.text[column].tolist() == full.table.text[column][:1000].tolist()
        demo_desk = Desk(store, settings=table_settings)
        try:
            page = open_table_page(demo_desk, "proposals")
            assert page.model.total_rows == 2500 and page.complete
        finally:
            demo_desk.shutdown()
    finally:
        store.close()


@pytest.fixture(scope="module")
def big() -> TableData:
    return TableData.from_frame(synthetic(TablePage.BACKGROUND_ROWS + 50_000), COLUMNS).prepare()


def test_worker_sort_and_filter_give_what_the_spot_computation_gives(qtbot, table_desk, big):
    page = TablePage(table_desk, TableViewSpec("big", "Big", "rows", "proposals", lambda engine: None, COLUMNS))
    qtbot.addWidget(page)
    page.set_table(big)
    for key, descending in (("name", False), ("amount", True), ("status", False)):
        page.sort_by(key, descending)
        assert not page.model.up_to_date and page.busy  # computed in a worker
        assert page.count_label.text() == "Sorting…"
        assert page.table.viewport().cursor().shape() == Qt.CursorShape.BusyCursor
        qtbot.waitUntil(lambda: page.model.up_to_date, timeout=20_000)
        expected = compute_view(big, TableQuery(big.column_index(key), descending))
        assert np.array_equal(page.model.view.rows, expected.rows), key
    page.set_filter("alpha")
    page.filter_bar.set_choice("status", "Awarded")
    qtbot.waitUntil(lambda: page.model.up_to_date, timeout=20_000)
    query = TableQuery(big.column_index("status"), False, "alpha", (ChoiceFilter("status", "Awarded"),))
    assert np.array_equal(page.model.view.rows, compute_view(big, query).rows)
    assert set(page.model.text_column("name")) == {"alpha", "Alpha"}
    assert not page.busy and page.count_label.text() == f"{page.model.rowCount():,} of 250,000 rows"


def test_the_latest_request_wins(qtbot, table_desk, big):
    page = TablePage(table_desk, TableViewSpec("big", "Big", "rows", "proposals", lambda engine: None, COLUMNS))
    qtbot.addWidget(page)
    page.set_table(big)
    page.sort_by("amount")
    page.sort_by("name", descending=True)
    page.set_filter("institution 00")
    qtbot.waitUntil(lambda: page.model.up_to_date, timeout=20_000)
    query = TableQuery(big.column_index("name"), True, "institution 00")
    assert page.model.query == query
    assert np.array_equal(page.model.view.rows, compute_view(big, query).rows)


def test_a_view_of_a_replaced_table_is_not_applied(qapp):
    model = ArrayTableModel(COLUMNS)
    old, new = (TableData.from_frame(synthetic(50, seed), COLUMNS) for seed in (1, 2))
    model.set_table(old)
    stale = compute_view(old, TableQuery(0, True))
    model.set_table(new)
    assert model.apply_view(stale) is False
    assert model.raw_column("n") == list(range(50))


def test_a_bulk_read_pauses_the_garbage_collector_and_gives_it_back():
    import gc

    from genesis_desktop.ui.table_reader import collector_paused

    assert gc.isenabled()
    with collector_paused():
        with collector_paused():  # two reads at once: the collector comes back after both
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
