"""The array table model: stable argsort sorting (numbers, strings, workflow order), filters, and a large table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from genesis_desktop.ui.columns import ColumnSpec, TableData, sort_order
from genesis_desktop.ui.table_model import ALIGNMENT, DISPLAY, RAW, ArrayTableModel

COLUMNS = (
    ColumnSpec("name", "Name"),
    ColumnSpec("amount", "Amount", "float"),
    ColumnSpec("status", "Status", "enum", order=("submitted", "under_review", "awarded")),
    ColumnSpec("hours", "Hours", "int"),
)


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["beta", "Alpha", "alpha", None, "Gamma", "delta"],
        "amount": [3.5, 1.0, 2.0, 2.0, np.nan, 0.25],
        "status": ["awarded", "submitted", "under_review", None, "zombie", "submitted"],
        "hours": [5, 4, 4, 3, 2, 1],
    })


@pytest.fixture
def model(qapp):
    m = ArrayTableModel(COLUMNS)
    m.set_table(TableData.from_frame(frame(), COLUMNS))
    return m


def texts(model, key):
    return model.text_column(key)


def test_loaded_order_and_display(model):
    assert model.rowCount() == 6 and model.columnCount() == 4
    assert model.data(model.index(0, 0)) == "beta"
    assert model.data(model.index(5, 1)) == "0.25"
    assert model.data(model.index(4, 1)) == ""  # missing amount
    assert model.data(model.index(1, 2)) == "Submitted"
    assert model.data(model.index(0, 3), RAW) == 5
    assert model.headerData(1, Qt.Orientation.Horizontal, DISPLAY) == "Amount"
    assert model.data(model.index(0, 1), ALIGNMENT) & Qt.AlignmentFlag.AlignRight


def test_numeric_sort_both_ways_missing_last(model):
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert model.raw_column("amount")[:5] == [0.25, 1.0, 2.0, 2.0, 3.5]
    assert np.isnan(model.raw_column("amount")[5])
    # Ties keep the loaded order in both directions (stable): "alpha" (row 2) before None (row 3).
    assert model.raw_column("name")[2:4] == ["alpha", None]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.raw_column("amount")[:5] == [3.5, 2.0, 2.0, 1.0, 0.25]
    assert model.raw_column("name")[1:3] == ["alpha", None]


def test_string_sort_ignores_case_and_is_stable(model):
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert texts(model, "name") == ["Alpha", "alpha", "beta", "delta", "Gamma", ""]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert texts(model, "name") == ["Gamma", "delta", "beta", "Alpha", "alpha", ""]


def test_enum_sorts_in_workflow_order_unknown_after(model):
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert model.raw_column("status") == ["submitted", "submitted", "under_review", "awarded", "zombie", None]


def test_negative_column_restores_loaded_order(model):
    model.sort(3, Qt.SortOrder.AscendingOrder)
    assert model.raw_column("hours") == [1, 2, 3, 4, 4, 5]
    model.sort(-1)
    assert model.raw_column("hours") == [5, 4, 4, 3, 2, 1]


def test_sort_moves_persistent_indexes_with_their_rows(model):
    keep = QPersistentModelIndex(model.index(4, 0))  # "Gamma"
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert keep.isValid() and model.data(model.index(keep.row(), 0)) == "Gamma"
    assert keep.row() == 4


def test_filter_words_across_columns_then_sort_within(model):
    model.set_filter("ALPHA")
    assert texts(model, "name") == ["Alpha", "alpha"]
    model.set_filter("alpha review")  # every word, any filterable column
    assert texts(model, "name") == ["alpha"]
    model.set_filter("a")
    model.sort(3, Qt.SortOrder.AscendingOrder)
    assert model.raw_column("hours") == sorted(model.raw_column("hours"))
    assert model.total_rows == 6 and model.rowCount() < 6
    model.set_filter("")
    assert model.rowCount() == 6


def test_new_table_keeps_sort_and_filter(model):
    model.sort(3, Qt.SortOrder.DescendingOrder)
    model.set_filter("a")
    bigger = pd.concat([frame(), pd.DataFrame({"name": ["aardvark"], "amount": [9.0], "status": ["awarded"],
                                               "hours": [99]})], ignore_index=True)
    model.set_table(TableData.from_frame(bigger, COLUMNS))
    assert model.raw_column("hours")[0] == 99
    assert all("a" in t.lower() or s in ("awarded", "under_review") for t, s in
               zip(texts(model, "name"), model.raw_column("status")))


def test_sort_order_helper_descending_is_stable():
    key = np.array([2, 1, 2, 1, 3])
    missing = np.zeros(5, dtype=bool)
    assert sort_order(key, missing).tolist() == [1, 3, 0, 2, 4]
    assert sort_order(key, missing, descending=True).tolist() == [4, 0, 2, 1, 3]


def test_empty_table_and_mismatched_columns(qapp):
    m = ArrayTableModel(COLUMNS)
    assert m.rowCount() == 0
    m.sort(0, Qt.SortOrder.DescendingOrder)
    m.set_filter("x")
    assert m.rowCount() == 0 and m.rowCount(m.index(0, 0)) == 0 and m.rowCount(QModelIndex()) == 0
    with pytest.raises(ValueError):
        m.set_table(TableData.from_frame(pd.DataFrame({"name": ["a"]}), COLUMNS[:1]))
    with pytest.raises(KeyError, match="amount"):
        TableData.from_frame(pd.DataFrame({"name": ["a"]}), COLUMNS)


def test_a_large_table_sorts_by_every_kind_of_column(qapp):
    # How fast is bench/bench_table_model.py's to say; this checks the order at a size where the
    # argsort paths (not the small-table ones) are taken.
    n = 50_000
    rng = np.random.default_rng(7)
    big = pd.DataFrame({
        "name": rng.choice([f"institution {i}" for i in range(3000)], n).astype(object),
        "amount": rng.random(n) * 1e6,
        "status": rng.choice(["submitted", "under_review", "awarded"], n).astype(object),
        "hours": rng.integers(0, 10**6, n),
    })
    m = ArrayTableModel(COLUMNS)
    m.set_table(TableData.from_frame(big, COLUMNS).prepare())
    m.sort(3, Qt.SortOrder.DescendingOrder)
    assert m.raw_column("hours")[:3] == sorted(big["hours"], reverse=True)[:3]
    m.sort(1, Qt.SortOrder.AscendingOrder)
    assert m.raw_column("amount")[:3] == sorted(big["amount"])[:3]
    m.sort(2, Qt.SortOrder.AscendingOrder)
    statuses = m.raw_column("status")
    assert statuses[0] == "submitted" and statuses[-1] == "awarded"
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert m.data(m.index(0, 0), DISPLAY) == max(big["name"], key=str.casefold)
