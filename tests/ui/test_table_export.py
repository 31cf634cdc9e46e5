"""Export of the visible rows: the filter and sort of the table, the shown columns in their order on
screen, exact money with its currency; CSV and XLSX read back with pandas; Cancel leaves no file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from genesis_desktop.ui import table_export
from genesis_desktop.ui.columns import ColumnSpec, TableData
from genesis_desktop.ui.table_export import ExportError, export_rows
from genesis_desktop.ui.table_reader import Cancelled, Progress


def read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.read_excel(path, dtype=object).fillna("")


def shown(page) -> tuple[list[str], list[list[str]]]:
    """Headers and cells as the table shows them, in the order on screen."""
    header, model = page.table.horizontalHeader(), page.model
    logical = [header.logicalIndex(v) for v in range(header.count()) if not header.isSectionHidden(header.logicalIndex(v))]
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in logical]
    return titles, [[model.data(model.index(r, c)) for c in logical] for r in range(model.rowCount())]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_page_exports_exactly_the_visible_rows_and_columns_in_order(qtbot, table_desk, tmp_path, suffix, open_table_page):
    page = open_table_page(table_desk, "proposals")
    page.filter_bar.set_choice("call", "DE-FOA-0003612")
    page.sort_by("requested", descending=True)
    page.columns.set_hidden("title", True)
    page.columns.move("gpu_hours", 1)
    out = tmp_path / f"proposals{suffix}"
    with qtbot.waitSignal(page.exporter.finished, timeout=20_000) as done:
        page.exporter.export_to(out)
    assert done.args == [str(out), 4]
    titles, cells = shown(page)
    frame = read_back(out)
    assert list(frame.columns) == titles == ["Code", "GPU-hours", "Call", "Phase", "Lead", "Status", "Requested",
                                             "Currency"]
    assert frame["Code"].tolist() == [row[0] for row in cells] == ["P-0002", "P-0003", "P-0001", "P-0004"]
    assert frame["Status"].tolist() == [row[5] for row in cells]
    if suffix == ".csv":  # exact decimal text, what money.parse_amount reads back
        assert frame["Requested"].tolist() == ["8500000.00", "900000.00", "750000.50", "200000.00"]
        assert frame["GPU-hours"].tolist() == ["250000", "800", "12000", "0"]
    else:  # numbers, exact at this size
        assert frame["Requested"].tolist() == [8_500_000, 900_000, 750_000.5, 200_000]
        assert frame["GPU-hours"].tolist() == [250_000, 800, 12_000, 0]
    assert "Exported 4 proposals to" in page.exporter.notice.text()
    assert not list(tmp_path.glob(".*partial"))


def test_hidden_currency_is_exported_beside_its_amounts(qtbot, table_desk, tmp_path, open_table_page):
    page = open_table_page(table_desk, "commitments")
    for key in ("currency", "title", "state", "partner", "first_year"):
        page.columns.set_hidden(key, True)
    out = tmp_path / "commitments.csv"
    with qtbot.waitSignal(page.exporter.finished, timeout=20_000):
        page.exporter.export_to(out)
    frame = read_back(out)
    assert list(frame.columns) == ["Reference", "Pledged", "Pledged currency", "Obligated", "Disbursed"]
    assert frame.values.tolist() == [
        ["DOE-F", "30000000.15", "USD", "0.00", "0.00"],
        ["DOE-J", "777", "JPY", "0", "0"],
        ["MEXT-Q", "2000000000", "JPY", "500000000", "100000000"],
    ]


def test_a_failed_export_says_why_and_reenables_the_button(qtbot, table_desk, tmp_path, open_table_page):
    page = open_table_page(table_desk, "calls")
    with qtbot.waitSignal(page.exporter.failed, timeout=20_000) as failed:
        page.exporter.export_to(tmp_path / "calls.pdf")
    assert "use a .csv or .xlsx file name" in failed.args[0]
    assert page.exporter.button.isEnabled() and not page.exporter.running


COLUMNS = (ColumnSpec("n", "N", "int"), ColumnSpec("word", "Word"),
           ColumnSpec("amount", "Amount", "money", text_key="amount_text", currency="currency"),
           ColumnSpec("currency", "Currency"))


@pytest.fixture
def table() -> TableData:
    n = 120_000
    frame = pd.DataFrame({"n": np.arange(n), "word": np.where(np.arange(n) % 2, "odd", "even"),
                          "amount": np.full(n, 12.5), "amount_text": ["12.50"] * n, "currency": ["USD"] * n})
    return TableData.from_frame(frame, COLUMNS)


def test_export_writes_in_chunks_reports_progress_and_respects_row_order(table, tmp_path):
    rows = np.arange(table.row_count)[::-3]
    progress = Progress()
    assert export_rows(tmp_path / "x.csv", table, rows, ["word", "n"], progress) == len(rows)
    assert (progress.done, progress.total) == (len(rows), len(rows))
    frame = pd.read_csv(tmp_path / "x.csv")
    assert list(frame.columns) == ["Word", "N"]
    assert frame["N"].tolist() == rows.tolist()


def test_cancel_leaves_no_file_and_no_partial_file(table, tmp_path):
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        export_rows(tmp_path / "x.xlsx", table, np.arange(10), ["n"], progress)
    (tmp_path / "y.csv").write_text("kept")
    with pytest.raises(Cancelled):
        export_rows(tmp_path / "y.csv", table, np.arange(table.row_count), ["n"], progress)
    assert (tmp_path / "y.csv").read_text() == "kept"  # an existing file is replaced only by a whole one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.csv"]


def test_too_many_rows_for_xlsx_or_no_columns_are_refused_with_the_way_out(table, tmp_path, monkeypatch):
    monkeypatch.setattr(table_export, "XLSX_MAX_ROWS", 1000)
    with pytest.raises(ExportError, match="at most 1,000 rows and 120,000 are shown: export to CSV"):
        export_rows(tmp_path / "x.xlsx", table, np.arange(table.row_count), ["n"])
    with pytest.raises(ExportError, match="show at least one column"):
        export_rows(tmp_path / "x.csv", table, np.arange(3), [])
    assert not list(tmp_path.iterdir())


def test_xlsx_keeps_money_exact_as_numbers_and_long_amounts_as_text(tmp_path):
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "amount_text": ["12,345,678,901,234.56", "1,234,567,890,123.45", "0.10"],
                          "currency": ["USD"] * 3})
    table = TableData.from_frame(frame, COLUMNS[2:])
    export_rows(tmp_path / "m.xlsx", table, np.arange(3), ["amount", "currency"])
    back = pd.read_excel(tmp_path / "m.xlsx", dtype=object)
    # 15 significant digits is the most a number keeps exactly: more stay text.
    assert back["Amount"].tolist() == ["12345678901234.56", 1234567890123.45, 0.1]


def test_a_second_export_shows_its_progress_again_and_cancel_says_nothing_was_written(qtbot, table_desk,
                                                                                      open_table_page, tmp_path):
    page = open_table_page(table_desk, "institutions")
    with qtbot.waitSignal(page.exporter.finished, timeout=20_000):
        page.exporter.export_to(tmp_path / "one.csv")
    assert not page.exporter.activity.bar.isVisibleTo(page)  # the outcome alone is said
    page.exporter.export_to(tmp_path / "two.xlsx")
    assert page.exporter.activity.bar.isVisibleTo(page) and page.exporter.activity.cancel_button.isVisibleTo(page)
    page.exporter.activity.cancel_button.click()
    qtbot.waitUntil(lambda: not page.exporter.running, timeout=20_000)
    text = page.exporter.notice.text()
    # Three rows are written before Cancel is seen, or not: either way the outcome is said.
    assert text.startswith("Exported 3 institutions") or text == "Export cancelled; two.xlsx was not written"
    assert not list(tmp_path.glob(".*partial"))
