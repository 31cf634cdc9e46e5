"""Typed filters: vectorised masks on TableData (Qt-free), and the filter bar of a table page.

Combos list a column's values with their counts, ranges take 1,500,000 or 1.5M, the typed words and
every typed filter combine by AND, the bar says in words what is active, and Clear filters clears all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_desktop.ui.columns import ColumnSpec, TableData
from genesis_desktop.ui.table_query import (
    ChoiceFilter, RangeFilter, TableQuery, YearFilter, compute_view, parse_bound,
)


COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("area", "Area", filter_by="choice"),
    ColumnSpec("status", "Status", "enum", order=("submitted", "awarded", "declined"), filter_by="choice"),
    ColumnSpec("amount", "Amount", "money", text_key="amount_text", filterable=False, filter_by="range",
               currency="currency"),
    ColumnSpec("currency", "Currency", filter_by="choice"),
    ColumnSpec("first_year", "Years", "int", text_key="years_text", filterable=False, filter_by="years",
               span_end="last_year"),
)


@pytest.fixture
def table() -> TableData:
    frame = pd.DataFrame({
        "code": ["A-1", "A-2", "B-1", "B-2", "C-1"],
        "area": ["energy", "quantum", "energy", None, "materials"],
        "status": ["awarded", "submitted", "declined", "awarded", "submitted"],
        "amount": [1_500_000.0, 250_000.0, np.nan, 3_000_000.5, 800_000.0],
        "amount_text": ["1,500,000.00", "250,000", "", "3,000,000.50", "800,000.00"],
        "currency": ["USD", "JPY", None, "USD", "USD"],
        "first_year": [2026.0, 2027.0, np.nan, 2025.0, 2026.0],
        "last_year": [2028.0, 2027.0, np.nan, 2026.0, 2026.0],
        "years_text": ["FY2026–FY2028", "FY2027", "", "FY2025–FY2026", "FY2026"],
    })
    return TableData.from_frame(frame, COLUMNS).prepare()


def codes(table: TableData, query: TableQuery) -> list[str]:
    return [table.text[0][r] for r in compute_view(table, query).rows]


def test_choice_mask_matches_the_shown_text_and_lists_values_in_column_order(table):
    assert table.choice_mask(1, "energy").tolist() == [True, False, True, False, False]
    assert table.choice_mask(2, "Awarded").tolist() == [True, False, False, True, False]
    assert not table.choice_mask(1, "no such area").any()
    # Workflow order for a status, alphabetical for text; counts of rows, missing values left out.
    assert table.choices(2) == [("Submitted", 2), ("Awarded", 2), ("Declined", 1)]
    assert table.choices(1) == [("energy", 2), ("materials", 1), ("quantum", 1)]


def test_range_mask_is_inclusive_open_ended_and_never_matches_a_missing_amount(table):
    assert table.range_mask(3, 800_000, 1_500_000).tolist() == [True, False, False, False, True]
    assert table.range_mask(3, None, 300_000).tolist() == [False, True, False, False, False]
    assert table.range_mask(3, 3_000_000.5, None).tolist() == [False, False, False, True, False]
    assert table.range_mask(3, None, None).tolist() == [True, True, False, True, True]


def test_year_filter_matches_every_year_a_span_covers(table):
    assert table.year_mask(5, 2026).tolist() == [True, False, False, True, True]
    assert table.year_mask(5, 2028).tolist() == [True, False, False, False, False]
    assert table.choices(5) == [("FY2025", 1), ("FY2026", 3), ("FY2027", 2), ("FY2028", 1)]


def test_text_and_typed_filters_combine_by_and(table):
    assert codes(table, TableQuery(text="energy")) == ["A-1", "B-1"]
    query = TableQuery(text="energy", filters=(ChoiceFilter("status", "Awarded"),))
    assert codes(table, query) == ["A-1"]
    query = TableQuery(text="a", filters=(RangeFilter("amount", 500_000), ChoiceFilter("currency", "USD")),
                       sort_column=3, descending=True)
    assert codes(table, query) == ["B-2", "A-1", "C-1"]
    assert codes(table, TableQuery(filters=(YearFilter("first_year", 2027), ChoiceFilter("area", "quantum")))) == ["A-2"]
    assert codes(table, TableQuery(filters=(ChoiceFilter("area", "energy"), ChoiceFilter("area", "quantum")))) == []


def test_a_new_view_reuses_the_order_or_the_mask_that_did_not_change(table):
    sorted_view = compute_view(table, TableQuery(sort_column=3))
    filtered = compute_view(table, TableQuery(sort_column=3, text="energy"), sorted_view)
    assert filtered.order is sorted_view.order
    resorted = compute_view(table, TableQuery(sort_column=0, descending=True, text="energy"), filtered)
    assert resorted.mask is filtered.mask
    assert [table.text[0][r] for r in resorted.rows] == ["B-1", "A-1"]


@pytest.mark.parametrize("typed, value", [("1,500,000", 1_500_000), ("1.5M", 1_500_000), ("250k", 250_000),
                                           ("2e6", 2_000_000), ("  ", None), ("-3", -3), ("1.2bn", 1.2e9)])
def test_range_bounds_read_as_people_type_them(typed, value):
    assert parse_bound(typed) == value


@pytest.mark.parametrize("typed", ["abc", "1.5Q", "nan", "inf", "k"])
def test_a_bound_that_is_no_number_says_so(typed):
    with pytest.raises(ValueError, match="is not a number"):
        parse_bound(typed)


# The filter bar of a real page --------------------------------------------------------------------

@pytest.fixture
def page(qtbot, table_desk, open_table_page):
    return open_table_page(table_desk, "proposals")


def test_combos_list_values_with_counts_and_filter_the_rows(page):
    status = page.filter_bar.combos["status"]
    assert [status.itemText(i) for i in range(status.count())] == [
        "All", "Submitted (1)", "Under review (1)", "Recommended (1)", "Awarded (1)", "Declined (1)"]
    assert status.accessibleName() == "Filter by Status"
    page.filter_bar.set_choice("call", "DE-FOA-0003612")
    assert page.model.rowCount() == 4
    page.filter_bar.set_choice("phase", "I")
    assert sorted(page.model.text_column("code")) == ["P-0001", "P-0003", "P-0004"]
    assert page.count_label.text() == "3 of 5 proposals"
    assert page.filter_bar.summary.text() == "Filtered by: Call is DE-FOA-0003612; Phase is I"


def test_ranges_and_text_narrow_together_and_clear_filters_undoes_everything(page, qtbot):
    page.filter_bar.set_range("requested", "500k", "9M")  # 750,000.50 .. 8,500,000.00 in USD, 50,000,000 JPY out
    assert sorted(page.model.text_column("code")) == ["P-0001", "P-0002", "P-0003"]
    page.set_filter("alpha")
    assert page.model.text_column("code") == ["P-0002"]
    page.filter_bar.set_range("gpu_hours", "", "1000")
    assert page.model.rowCount() == 0
    summary = page.filter_bar.summary.text()
    assert "text contains “alpha”" in summary and "Requested from 500,000 to 9,000,000" in summary
    assert "GPU-hours at most 1,000" in summary
    assert page.filter_bar.clear_button.isEnabled() and page.filter_bar.active_group.isVisibleTo(page)
    page.filter_bar.clear_button.click()
    assert page.model.rowCount() == 5 and page.filter_edit.text() == ""
    assert page.filter_bar.filters() == ()
    assert not page.filter_bar.active_group.isVisibleTo(page)


def test_a_range_that_is_no_number_is_ignored_and_reported_in_words(page):
    page.filter_bar.set_range("gpu_hours", "lots", "")
    assert page.model.rowCount() == 5
    assert "GPU-hours: 'lots' is not a number, ignored" in page.filter_bar.summary.text()


def test_a_filter_on_a_value_that_disappears_stays_visible(page, qtbot):
    page.filter_bar.set_choice("status", "Withdrawn")
    assert page.model.rowCount() == 0
    combo = page.filter_bar.combos["status"]
    assert combo.currentText() == "Withdrawn (0)"
    page.reload()
    qtbot.waitUntil(lambda: not page.activity.active, timeout=10_000)
    assert combo.currentText() == "Withdrawn (0)" and page.model.rowCount() == 0


def test_a_frame_read_in_chunks_encodes_as_the_same_frame_read_at_once():
    from genesis_desktop.ui.table_reader import concat_chunks

    rng = np.random.default_rng(3)
    whole = pd.DataFrame({
        "code": [f"C-{i:04d}" for i in range(900)],
        "area": rng.choice(["energy", "quantum", "materials", None], 900),
        "status": rng.choice(["submitted", "awarded", "declined"], 900),
        "amount": rng.random(900), "amount_text": ["x"] * 900, "currency": rng.choice(["USD", "JPY"], 900),
        "first_year": np.full(900, 2026.0), "last_year": np.full(900, 2027.0), "years_text": ["FY2026–FY2027"] * 900,
    })
    chunked = concat_chunks([whole.iloc[i:i + 200].reset_index(drop=True) for i in range(0, 900, 200)])
    assert chunked.dtypes.to_dict() == whole.dtypes.to_dict()
    once, in_chunks = (TableData.from_frame(f, COLUMNS).prepare() for f in (whole, chunked))
    for column in range(len(COLUMNS)):
        assert in_chunks.text[column].tolist() == once.text[column].tolist()
        assert np.array_equal(in_chunks.order(column), once.order(column))
    assert in_chunks.choices(1) == once.choices(1)
