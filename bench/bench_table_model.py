"""The array table model on its own, offscreen: sorting 200,000 rows by each kind of column, and the cost
of one data() call, which is what painting a screenful of cells costs.

    python bench/bench_table_model.py [--rows 200000] [--repeat 5]

The model's orders are argsorted once, when the table is made ready (prepare(), timed too), so a click
on a header only swaps an index. Baselines, in this process on the same frame: pandas' own
sort_values for each column, and a bare
QAbstractTableModel whose data() returns str() of a Python list's cell (the least a Python model can
do per call). Printed as best-of-repeat figures and ratios; nothing is asserted (figures, not a test;
this replaced a timing assertion in tests/ui/test_table_model.py).
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from genesis_desktop.ui.columns import ColumnSpec, TableData  # noqa: E402
from genesis_desktop.ui.table_model import DISPLAY, ArrayTableModel  # noqa: E402

COLUMNS = (
    ColumnSpec("name", "Name"),
    ColumnSpec("amount", "Amount", "float"),
    ColumnSpec("status", "Status", "enum", order=("submitted", "under_review", "awarded")),
    ColumnSpec("hours", "Hours", "int"),
)
SCREEN = (40, 4)  # rows and columns of cells a table shows at once
PAINTS = 100


class ListModel(QAbstractTableModel):
    """The baseline: rows as Python lists, data() as str() of the cell."""

    def __init__(self, rows: list[list]) -> None:
        super().__init__()
        self.rows = rows

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.rows[index.row()][index.column()])
        return None


def frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "name": rng.choice([f"institution {i}" for i in range(3000)], n).astype(object),
        "amount": rng.random(n) * 1e6,
        "status": rng.choice(["submitted", "under_review", "awarded"], n).astype(object),
        "hours": rng.integers(0, 10**6, n),
    })


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def per_call_us(model, repeat: int) -> float:
    indexes = [model.index(r, c) for r in range(SCREEN[0]) for c in range(SCREEN[1])]

    def paint() -> None:
        for _ in range(PAINTS):
            for index in indexes:
                model.data(index, DISPLAY)
    return best(repeat, paint) / (PAINTS * len(indexes)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])  # models need the application alive
    big = frame(args.rows)
    started = time.perf_counter()
    table = TableData.from_frame(big, COLUMNS).prepare()
    print(f"{args.rows:,} rows, best of {args.repeat}; the table's columns made ready in "
          f"{time.perf_counter() - started:.3f} s (once per load)")
    print(f"{'sort (descending)':<22}{'model ms':>10}{'pandas ms':>10}{'ratio':>8}")
    for column, spec in enumerate(COLUMNS):
        times = []
        for _ in range(args.repeat):  # a fresh model each time: sorting again by the same column is free
            model = ArrayTableModel(COLUMNS)
            model.set_table(table)
            times.append(best(1, lambda: model.sort(column, Qt.SortOrder.DescendingOrder)))
        ours = min(times)
        theirs = best(args.repeat, lambda: big.sort_values(spec.key, ascending=False, kind="stable"))
        print(f"{spec.key + ' (' + spec.kind + ')':<22}{ours * 1e3:>10.2f}{theirs * 1e3:>10.1f}{ours / theirs:>8.3f}")
    ours = per_call_us(model, args.repeat)
    theirs = per_call_us(ListModel(big.head(SCREEN[0]).values.tolist()), args.repeat)
    print(f"data() per call: {ours:.2f} µs against {theirs:.2f} µs for a bare list model "
          f"(ratio {ours / theirs:.2f}); a screen of {SCREEN[0] * SCREEN[1]} cells: {ours * SCREEN[0] * SCREEN[1] / 1000:.2f} ms")


if __name__ == "__main__":
    main()
