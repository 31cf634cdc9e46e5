"""The proposal, panel and history sections of the reviewer's desktop.

`PanelSection` shows the other reviewers' submitted reviews of a proposal, by their anonymous labels
only, and only once the reviewer's own review is submitted; before that it says so and shows
nothing. `VersionsSection` lists the earlier versions of the reviewer's own review with their reasons.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QScrollArea, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from genesis_desktop.review.rubric import Rubric
from genesis_desktop.review.scoring import Assigned, EarlierVersion, MyReview, PanelReview

from .reviewer_form import value_text


@dataclass(frozen=True)
class ProposalView:
    """What the reviewer's window shows of one proposal, read from the desk in one go."""

    assigned: Assigned
    rubric: Rubric
    mine: MyReview | None
    others: list[PanelReview]
    history: list[EarlierVersion]


def read_view(desk, a: Assigned) -> ProposalView:
    """Everything about one proposal (desk reads: run them on the desk's thread, not the GUI's)."""
    return ProposalView(a, desk.rubric(a.code), desk.my_review(a.code), desk.others(a.code), desk.history(a.code))


WAITING = ("The panel's reviews of this proposal appear here once you submit your own review. "
           "Until then you score it on your own.")
OFFLINE = ("The panel's reviews never leave the programme's database, so an offline packet has none; they "
           "show when you open your desk connected to the programme.")
NONE_YET = "You are the first to submit a review of this proposal; the others' appear here as they submit."


def when(moment: datetime | None) -> str:
    """A desk's time (UTC, with or without its zone) in the reviewer's own zone."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("pageCount")
    label.setWordWrap(True)
    return label


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; font-size: 11pt;")
    return label


def _clear(layout: QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()


class PanelSection(QWidget):
    """The others' submitted reviews: a table of scores (you first) and their comments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelSection")
        self.table = QTableWidget(self)
        self.table.setObjectName("panelScores")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(44)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.note = _muted(WAITING)
        self._comments = QVBoxLayout()
        self._comments.setSpacing(8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(heading("Panel"))
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        layout.addLayout(self._comments)
        self.reviews: list[PanelReview] = []
        self.show_waiting()

    def show_waiting(self, text: str = WAITING) -> None:
        """Before the reviewer's own review is submitted: nothing of the others."""
        self.reviews = []
        self.note.setText(text)
        self.note.show()
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.table.hide()
        _clear(self._comments)

    def show_reviews(self, rubric: Rubric, mine: MyReview, others: Sequence[PanelReview]) -> None:
        if mine.state != "submitted":  # the desk would not give them; the view does not show them either
            self.show_waiting()
            return
        if not others:
            self.show_waiting(NONE_YET)
            return
        self.reviews = list(others)
        self.note.setText(f"{len(others)} other submitted review{'s' if len(others) != 1 else ''}, "
                          "each reviewer shown by a letter only.")
        columns = [("You", mine.scores)] + [(r.label.removeprefix("Reviewer "), r.scores) for r in others]
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setRowCount(len(rubric.criteria) + 1)
        self.table.setHorizontalHeaderLabels([name for name, _ in columns])
        for col, review in enumerate(others, start=1):
            self.table.horizontalHeaderItem(col).setToolTip(review.label)
        self.table.setVerticalHeaderLabels([c.title for c in rubric.criteria] + ["Total"])
        for col, (_name, scores) in enumerate(columns):
            for row, c in enumerate(rubric.criteria):
                value = scores.get(c.key)
                item = QTableWidgetItem("—" if value is None else str(value))
                if value is not None:
                    item.setToolTip(value_text(c, value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
            total = f"{rubric.total(scores):.2f}" if not rubric.problems(scores) else "—"
            item = QTableWidgetItem(total)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.table.setItem(len(rubric.criteria), col, item)
        self.table.show()
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r)
                                                              for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height + 2 * self.table.frameWidth() + 2)
        _clear(self._comments)
        for review in others:
            text = html.escape(review.comments) if review.comments.strip() else "<i>no comments</i>"
            label = QLabel(f"<b>{html.escape(review.label)}</b> <span style='font-size:small'>· submitted "
                           f"{when(review.submitted_at)}</span><br>{text}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._comments.addWidget(label)


class VersionsSection(QWidget):
    """The earlier versions of the reviewer's own review, newest first, with why each was replaced."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionsSection")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        outer.addWidget(heading("Earlier versions of your review"))
        self._layout = QVBoxLayout()
        self._layout.setSpacing(8)
        outer.addLayout(self._layout)
        self.versions: list[EarlierVersion] = []
        self.hide()

    def show_versions(self, rubric: Rubric, versions: Sequence[EarlierVersion], me: str) -> None:
        self.versions = list(versions)
        _clear(self._layout)
        self.setVisible(bool(versions))
        for v in reversed(versions):
            scores = " · ".join(f"{c.key} {v.scores.get(c.key, '—')}" for c in rubric.criteria)
            who = "you" if v.replaced_by.lower() == me.lower() else v.replaced_by
            label = QLabel(
                f"<b>Version {v.version}</b> <span style='font-size:small'>· submitted {when(v.submitted_at)}, "
                f"replaced {when(v.replaced_at)} by {html.escape(who)}</span><br>"
                f"Reason: {html.escape(v.reason)}<br>"
                f"<span style='font-size:small'>Scores: {html.escape(scores)}"
                + (f"<br>Comments: {html.escape(v.comments)}" if v.comments.strip() else "") + "</span>")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._layout.addWidget(label)


class ProposalDetails(QWidget):
    """The proposal as the reviewer reads it: title, code, call, phase, keywords, abstract."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _wrapped("", "pageTitle")
        self.meta = _wrapped("", "pageCount")
        self.keywords = _wrapped("")
        self.abstract = _wrapped("")
        for label in (self.title, self.meta, self.abstract):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.meta, self.keywords, heading("Abstract"), self.abstract):
            layout.addWidget(w)

    def show_proposal(self, a: Assigned) -> None:
        self.title.setText(a.title)
        self.meta.setText(f"{a.code} · call {a.call} · phase {a.phase} · #{a.position} in your reading order")
        self.keywords.setText(f"<b>Keywords:</b> {html.escape(', '.join(a.keywords)) or '—'}")
        self.abstract.setText(a.abstract or "No abstract was given.")

    def show_nothing(self, text: str) -> None:
        self.title.setText(text)
        for label in (self.meta, self.keywords, self.abstract):
            label.setText("")


def _wrapped(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    for w in widgets:
        layout.addWidget(w)
    layout.addStretch(1)
    return box


def scrolled(widget: QWidget) -> QScrollArea:
    """A column that scrolls down, never sideways: its text wraps to the width it has."""
    area = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
