"""Choosing and ordering columns: the header menu and the Columns… button, and the layout (order,
widths, hidden columns, sort) remembered per page in the desk's settings and restored next time."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMenu

from genesis_desktop.ui.desk import Desk


def headers_in_view_order(page) -> list[str]:
    header = page.table.horizontalHeader()
    return [page.model.headerData(header.logicalIndex(v), Qt.Orientation.Horizontal)
            for v in range(header.count()) if not header.isSectionHidden(header.logicalIndex(v))]


def test_hide_move_resize_and_sort_are_restored_into_a_new_page(qtbot, table_desk, table_settings, portfolio_store, open_table_page):
    page = open_table_page(table_desk, "proposals")
    page.columns.set_hidden("title", True)
    page.columns.set_hidden("lead", True)
    page.columns.move("status", 0)
    header = page.table.horizontalHeader()
    header.resizeSection(page.model.column_of("call"), 222)
    page.sort_by("requested", descending=True)
    expected = ["Status", "Code", "Call", "Phase", "Requested", "Currency", "GPU-hours"]
    assert page.columns.visible_keys() == ["status", "code", "call", "phase", "requested", "currency", "gpu_hours"]
    assert headers_in_view_order(page) == expected
    page.columns.save()  # what the timer does a moment after the last change
    table_settings.sync()

    # A new start: a fresh desk on the same settings file, a new page.
    reopened = QSettings(table_settings.fileName(), QSettings.Format.IniFormat)
    second_desk = Desk(portfolio_store, settings=reopened)
    try:
        again = open_table_page(second_desk, "proposals")
        assert headers_in_view_order(again) == expected
        assert again.table.horizontalHeader().sectionSize(again.model.column_of("call")) == 222
        assert again.model.text_column("code") == ["P-0005", "P-0002", "P-0003", "P-0001", "P-0004"]
        assert again.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    finally:
        second_desk.shutdown()


def test_a_saved_layout_for_other_columns_is_ignored(qtbot, table_desk, table_settings, open_table_page):
    table_settings.setValue("tables/proposals/columns", ["code", "something else"])
    table_settings.setValue("tables/proposals/header", b"not a header state")
    page = open_table_page(table_desk, "proposals")
    assert headers_in_view_order(page)[:3] == ["Code", "Title", "Call"]


def test_the_last_shown_column_cannot_be_hidden_and_show_all_brings_them_back(qtbot, table_desk, open_table_page):
    page = open_table_page(table_desk, "calls")
    for key in page.columns.keys:
        page.columns.set_hidden(key, True)
    assert len(page.columns.visible_keys()) == 1
    page.columns.show_all()
    assert page.columns.visible_keys() == page.columns.keys


def test_reset_forgets_the_layout(qtbot, table_desk, table_settings, open_table_page):
    page = open_table_page(table_desk, "institutions")
    page.columns.set_hidden("city", True)
    page.columns.move("kind", 0)
    page.columns.save()
    page.columns.reset()
    assert page.columns.visible_keys() == page.columns.keys
    assert headers_in_view_order(page)[0] == "Code"


def test_columns_menu_from_the_button_and_from_the_header(qtbot, table_desk, open_table_page):
    page = open_table_page(table_desk, "challenges")
    button = page.columns.button
    assert button.accessibleName() == "Choose columns" and button.toolTip()
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    menu: QMenu = page.columns.menu
    menu.aboutToShow.emit()  # what opening it does
    titles = [a.text() for a in menu.actions() if a.isCheckable()]
    assert titles == ["Code", "Title", "Area", "Lead", "Status", "Standing", "Proposals"]
    area = next(a for a in menu.actions() if a.text() == "Area")
    area.trigger()  # unchecks: hides the column
    assert "area" not in page.columns.visible_keys()
    header = page.table.horizontalHeader()
    assert header.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    with qtbot.waitSignal(menu.aboutToShow, timeout=2000):
        header.customContextMenuRequested.emit(QPoint(10, 5))
    assert not [a for a in menu.actions() if a.text() == "Area"][0].isChecked()
    menu.close()
    QApplication.processEvents()


def test_keyboard_reaches_the_columns_and_export_buttons(qtbot, table_desk, open_table_page):
    page = open_table_page(table_desk, "partners")
    chain, widget = [], page.table
    for _ in range(200):  # what Tab visits: shown, enabled widgets that take focus by Tab
        widget = widget.nextInFocusChain()
        if widget is page.table:
            break
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(page) and widget.isEnabled():
            chain.append(widget.objectName())
    assert chain[:4] == ["columnsButton", "exportButton", "filter", "filter_kind"]
    assert "filter_pledged_min" in chain
    assert page.exporter.button.accessibleName() == "Export visible partners"
