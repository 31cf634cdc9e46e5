"""The reviewer's own list of assigned proposals, in their reading order, with each review's state.

The filter box filters this list and nothing else: it holds only what the desk gave the reviewer, so
typing any other proposal's code finds nothing.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from genesis_desktop.review.scoring import Assigned

NOT_STARTED, DRAFT, SUBMITTED = "not started", "draft", "submitted"
STATE_COLOURS = {NOT_STARTED: "#9aa0a6", DRAFT: "#E69F00", SUBMITTED: "#009E73"}  # Okabe-Ito, for colour blindness
ASSIGNED_ROLE = Qt.ItemDataRole.UserRole


def state_of(review) -> str:
    """'not started', 'draft' or 'submitted' for a MyReview or None."""
    return NOT_STARTED if review is None else review.state


def read_list(desk) -> list[tuple[Assigned, str]]:
    """The reviewer's proposals in their reading order, each with their review's state (a desk read)."""
    return [(a, state_of(desk.my_review(a.code))) for a in sorted(desk.assignments(), key=lambda a: a.position)]


def state_icon(state: str) -> QIcon:
    """A ring for not started, a half-filled dot for a draft, a full dot with a tick when submitted."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(STATE_COLOURS[state])
    p.setPen(QPen(colour, 2))
    p.setBrush(colour if state == SUBMITTED else Qt.BrushStyle.NoBrush)
    p.drawEllipse(2, 2, 12, 12)
    if state == DRAFT:
        p.setBrush(colour)
        p.drawPie(2, 2, 12, 12, 90 * 16, 180 * 16)
    elif state == SUBMITTED:
        p.setPen(QPen(QColor("#ffffff"), 2))
        p.drawPolyline([QPointF(5, 8), QPointF(7, 10.5), QPointF(11, 5.5)])
    p.end()
    return QIcon(pixmap)


class AssignedList(QWidget):
    """Title, filter box and list; `chosen(Assigned)` when the reviewer picks a proposal."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Your proposals")
        self.title.setObjectName("pageTitle")
        self.filter = QLineEdit(placeholderText="Filter your proposals: code, title, state")
        self.filter.setObjectName("filter")
        self.filter.setStyleSheet("min-width: 0;")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.list = QListWidget()
        self.list.setObjectName("assignedList")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._current_changed)
        layout = QVBoxLayout(self)
        for w in (self.title, self.filter, self.list):
            layout.addWidget(w)

    def fill(self, rows: Sequence[tuple[Assigned, str]]) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for a, state in rows:
            item = QListWidgetItem()
            item.setData(ASSIGNED_ROLE, a)
            self.list.addItem(item)
            self._show_state(item, state)
        self.list.blockSignals(False)
        self.title.setText(f"Your proposals ({len(rows)})")
        self._apply_filter()

    def set_state(self, code: str, state: str) -> None:
        item = self._item(code)
        if item is not None:
            self._show_state(item, state)
            self._apply_filter()

    def select(self, code: str) -> bool:
        item = self._item(code)
        if item is not None:
            self.list.setCurrentItem(item)
        return item is not None

    def select_first(self) -> None:
        if self.list.count():
            self.list.setCurrentRow(0)

    def visible_codes(self) -> list[str]:
        return [self.list.item(r).data(ASSIGNED_ROLE).code for r in range(self.list.count())
                if not self.list.item(r).isHidden()]

    def state_text(self, code: str) -> str | None:
        item = self._item(code)
        return None if item is None else item.data(Qt.ItemDataRole.AccessibleDescriptionRole)

    def _item(self, code: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ASSIGNED_ROLE).code == code:
                return self.list.item(row)
        return None

    @staticmethod
    def _show_state(item: QListWidgetItem, state: str) -> None:
        a: Assigned = item.data(ASSIGNED_ROLE)
        item.setText(f"{a.position}. {a.code} · {state}\n{a.title}")
        item.setToolTip(f"{a.code}: {a.title} (your review: {state})")
        item.setIcon(state_icon(state))
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, state)

    def _apply_filter(self, *_args) -> None:
        words = self.filter.text().lower().split()
        for row in range(self.list.count()):
            item = self.list.item(row)
            a: Assigned = item.data(ASSIGNED_ROLE)
            haystack = f"{item.text()} {' '.join(a.keywords)}".lower()
            item.setHidden(not all(w in haystack for w in words))

    def _current_changed(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.chosen.emit(item.data(ASSIGNED_ROLE))
