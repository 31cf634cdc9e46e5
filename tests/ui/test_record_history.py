"""The record panel's History: who changed a record, when, and each field before and after, read from
the audit log off the GUI thread, following later saves, and drawn readably (rendered to a PNG)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QImage

from genesis_desktop.portfolio import edits
from genesis_desktop.ui.app import save_png
from genesis_desktop.ui.record_form import RecordPanel
from genesis_desktop.ui.record_history import COLUMNS, RecordHistoryDialog

WAIT_MS = 30_000


def cells(table) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def open_history(qtbot, desk, code: str) -> RecordHistoryDialog:
    panel = RecordPanel(desk, "proposal")
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.history_button.isEnabled()  # no record shown yet
    panel.show_record(code)
    qtbot.waitUntil(panel.history_button.isEnabled, timeout=WAIT_MS)
    panel.history_button.click()
    dialog = panel._history_dialog
    qtbot.waitUntil(lambda: dialog.entries is not None, timeout=WAIT_MS)
    return dialog


def test_history_lists_each_change_newest_first_with_who_and_before_after(qtbot, desk, tmp_path):
    edits.update(desk.store, "proposal", "P-0001", {"title": "Zeta surrogate models, revised"}, author="ada")
    dialog = open_history(qtbot, desk, "P-0001")
    rows = cells(dialog.table)
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))] == list(COLUMNS)
    assert rows[0][1:] == ["ada", "Changed proposal", "title", "zeta surrogate models",
                           "Zeta surrogate models, revised"]
    assert len(rows[0][0]) == len("2026-11-23 03:12:51")
    # The record's creation, with the rows it owns: its budget years among them.
    assert any(r[2] == "Added proposal budget 2027" for r in rows)
    assert ["", "", "", "amount_minor", "—", "35000050"] in rows
    assert dialog.status.text().startswith(f"{len(dialog.entries)} changes to proposal P-0001")

    edits.update(desk.store, "proposal", "P-0001", {"pi_email": "ada@anl.gov"}, author="bo")
    desk.announce({"proposal"})  # what the desk does after a write through it
    qtbot.waitUntil(lambda: cells(dialog.table)[0][1] == "bo", timeout=WAIT_MS)
    assert cells(dialog.table)[0][3:] == ["pi_email", "—", "ada@anl.gov"]

    png = save_png(dialog, Path(os.environ.get("GENESIS_HISTORY_PNG", tmp_path / "history.png")))
    image = QImage(str(png))
    assert (image.width(), image.height()) == (dialog.width(), dialog.height())
    colours = {image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)}
    assert len(colours) > 20, "the history dialog rendered (nearly) one colour"
    # Every column can be read: none squeezed below the width of its heading.
    header = dialog.table.horizontalHeader()
    for c, title in enumerate(COLUMNS):
        assert header.sectionSize(c) >= dialog.table.fontMetrics().horizontalAdvance(title)


def test_a_long_value_is_cut_in_the_table_and_whole_in_its_tooltip(qtbot, desk):
    abstract = "A long abstract. " * 20
    edits.update(desk.store, "proposal", "P-0003", {"abstract": abstract}, author="ada")
    dialog = open_history(qtbot, desk, "P-0003")
    item = dialog.table.item(0, 5)
    assert item.text().endswith("…") and len(item.text()) == 80
    assert item.toolTip() == edits.read(desk.store, "proposal", "P-0003")["abstract"] != ""


def test_a_record_written_before_the_log_began_says_so(qtbot, desk):
    from sqlalchemy import text

    with desk.store.engine.begin() as c:  # as a portfolio upgraded to the audit log would be: no entries yet
        c.execute(text("DROP TRIGGER genesis_audit_log_no_delete"))
        c.execute(text("DELETE FROM audit_log"))
    dialog = open_history(qtbot, desk, "P-0002")
    assert dialog.table.rowCount() == 0
    assert "holds no change to proposal P-0002" in dialog.status.text()
