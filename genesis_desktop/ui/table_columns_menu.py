"""Choosing, ordering and remembering a table's columns.

Right-click the header, or press the "Columns…" button (reachable by Tab), for a menu of checkable
columns; drag a header section to move it. Order, widths, hidden columns and the sort are the
header's own state (`QHeaderView.saveState`), saved per page key in the desk's QSettings and restored
when the page is next built. The saved state is used only if the page still has the same columns,
so a program update that adds a column falls back to the default layout instead of a scrambled one.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QPushButton, QWidget

SAVE_DELAY_MS = 300
# Longest a column may grow when fitted to its contents; longer text is elided and has a tooltip.
MAX_COLUMN_WIDTH = 360
MIN_STRETCH_WIDTH = 240


class ColumnChooser(QObject):
    """The column menu of one table header, and the persistence of the header's layout."""

    # Columns were shown, hidden, moved or resized.
    layout_changed = Signal()
    # Reset put the columns back in their first order: the page fits their widths again.
    was_reset = Signal()

    def __init__(self, header: QHeaderView, titles: list[str], keys: list[str], settings: QSettings,
                 settings_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = header
        self.titles, self.keys = titles, keys
        self.settings = settings
        self.settings_key = settings_key
        self.menu = QMenu(parent)
        self.menu.setObjectName("columnsMenu")
        self.menu.aboutToShow.connect(self._fill_menu)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._popup_at)
        # A push button with a menu: Tab reaches it, Space opens the menu, and its arrow has room.
        self.button = QPushButton("Columns…", parent, objectName="columnsButton")
        self.button.setAccessibleName("Choose columns")
        self.button.setToolTip("Show, hide or reset the columns (drag a column header to move it)")
        self.button.setMenu(self.menu)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)
        self._default_state = header.saveState()
        for signal in (header.sectionMoved, header.sectionResized, header.sortIndicatorChanged):
            signal.connect(self._changed)

    # Showing and hiding -----------------------------------------------------------------------

    def visible_keys(self) -> list[str]:
        """The shown columns' keys, left to right as they appear."""
        header = self.header
        logical = (header.logicalIndex(v) for v in range(header.count()))
        return [self.keys[i] for i in logical if not header.isSectionHidden(i)]

    def set_hidden(self, key: str, hidden: bool) -> None:
        index = self.keys.index(key)
        if hidden and len(self.visible_keys()) <= 1 and not self.header.isSectionHidden(index):
            return  # the last shown column stays: a table of no columns cannot be got back from its header
        self.header.setSectionHidden(index, hidden)
        self._changed()

    def move(self, key: str, visual: int) -> None:
        """Put column `key` at visual position `visual` (what dragging its header does)."""
        self.header.moveSection(self.header.visualIndex(self.keys.index(key)), visual)

    def show_all(self) -> None:
        for index in range(self.header.count()):
            self.header.setSectionHidden(index, False)
        self._changed()

    def reset(self) -> None:
        """Back to the page's own order, widths and sort, and forget the saved layout."""
        self.header.restoreState(self._default_state)
        self.settings.remove(self.settings_key)
        self.was_reset.emit()
        self.layout_changed.emit()

    def fit(self, table, rows: list[int], room: int) -> None:
        """Widths from the text of `rows`, capped; the title-like (stretch) column takes the `room`
        left, but never less than MIN_STRETCH_WIDTH (the table scrolls sideways instead of squeezing it).

        Measured from the table's text rather than by resizeColumnsToContents, which asks the delegate
        for every cell's size hint and takes a fifth of a second the GUI thread cannot spare.
        """
        header, metrics = self.header, self.header.fontMetrics()
        style = header.style()
        padding = 2 * style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin) + 12
        stretch = [i for i, spec in enumerate(table.columns) if spec.stretch]
        widths = [max((metrics.horizontalAdvance(t) for t in {text[r] for r in rows}), default=0) + padding
                  for text in table.text]
        for i, width in enumerate(widths):
            if i not in stretch:
                header.resizeSection(i, max(header.sectionSizeHint(i), min(width, MAX_COLUMN_WIDTH)))
        others = sum(header.sectionSize(i) for i in range(header.count()) if i not in stretch)
        left = (room - others) // max(len(stretch), 1)
        for i in stretch:
            header.resizeSection(i, max(MIN_STRETCH_WIDTH, min(left, widths[i])))

    # Saving and restoring ---------------------------------------------------------------------

    def restore(self) -> bool:
        """Apply the saved layout, if there is one for these very columns."""
        state = self.settings.value(f"{self.settings_key}/header")
        keys = self.settings.value(f"{self.settings_key}/columns")
        if state is None or not isinstance(keys, list) or list(keys) != self.keys:
            return False
        return bool(self.header.restoreState(state))

    def save(self) -> None:
        self._save_timer.stop()
        self.settings.setValue(f"{self.settings_key}/header", self.header.saveState())
        self.settings.setValue(f"{self.settings_key}/columns", self.keys)

    def _changed(self, *_args) -> None:
        self._save_timer.start()
        self.layout_changed.emit()

    # The menu ---------------------------------------------------------------------------------

    def _popup_at(self, pos: QPoint) -> None:
        self.menu.popup(self.header.mapToGlobal(pos))

    def _fill_menu(self) -> None:
        self.menu.clear()
        shown = self.visible_keys()
        header = self.header
        for visual in range(header.count()):
            index = header.logicalIndex(visual)
            key = self.keys[index]
            action = QAction(self.titles[index], self.menu, checkable=True, checked=key in shown)
            action.setEnabled(not (key in shown and len(shown) == 1))
            action.toggled.connect(lambda on, k=key: self.set_hidden(k, not on))
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction("Show all columns", self.show_all)
        self.menu.addAction("Reset columns", self.reset)
