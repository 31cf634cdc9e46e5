"""One proposal's reviews side by side: a row per rubric criterion, a column per reviewer, then the
total and the comments. Read off the GUI thread (`read_side_by_side`, Qt-free), shown by
`SideBySideTable`. Drafts are shown too, marked as such: the panel sees what is still missing."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)
from sqlalchemy import select

from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, Reviewer, ReviewState
from genesis_desktop.review.records import call_rubric
from genesis_desktop.review.rubric import Criterion, Rubric

CENTRE = Qt.AlignmentFlag.AlignCenter
TOP_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
MIN_COLUMN = 110  # pixels: a reviewer's column, at least
ROW_TITLES = 170  # pixels: the criteria's titles


@dataclass(frozen=True)
class SideBySide:
    proposal: str
    title: str
    call: str
    rubric: Rubric
    reviewers: list[str]  # names, in column order
    emails: list[str]
    states: list[str]  # "draft" or "submitted"
    scores: list[dict[str, int]]  # one per reviewer
    comments: list[str]
    totals: list[float | None]  # the rubric's total; None where a draft leaves criteria out

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.rubric.criteria


def read_side_by_side(store, code: str) -> SideBySide:
    """The proposal's reviews, reviewers by name, with its call's rubric."""
    with store.session() as s:
        row = s.execute(select(Proposal.id, Proposal.title, Call.number)
                        .join(Call, Call.id == Proposal.call_id).where(Proposal.code == code)).first()
        if row is None:
            raise LookupError(f"no proposal with the code {code!r}")
        proposal_id, title, call = row
        reviews = s.execute(select(Reviewer.name, Reviewer.email, Review.state, Review.scores, Review.comments)
                            .join(Reviewer, Reviewer.id == Review.reviewer_id)
                            .where(Review.proposal_id == proposal_id)
                            .order_by(Reviewer.name, Reviewer.email)).all()
    rubric = call_rubric(store, call)
    scores = [dict(r.scores or {}) for r in reviews]
    totals = [None if rubric.problems(sc) else rubric.total(sc) for sc in scores]
    return SideBySide(code, title, call, rubric, [r.name for r in reviews], [r.email for r in reviews],
                      [ReviewState(r.state).value for r in reviews], scores, [r.comments or "" for r in reviews],
                      totals)


def scale_text(c: Criterion) -> str:
    best = c.low if c.best == "low" else c.high
    text = f"{c.low} to {c.high}, {best} best"
    return text if c.counts else text + "; not counted"


def cell_text(c: Criterion, value: int | None) -> str:
    if value is None:
        return "—"
    label = c.label(value)
    return f"{value} · {label}" if label else str(value)


class SideBySideTable(QWidget):
    """The reviews of the proposal chosen in the standings, or a line saying to choose one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown: SideBySide | None = None
        self.heading = QLabel("Select a proposal to see its reviews side by side.", self, objectName="sideBySideTitle")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.table = QTableWidget(self, objectName="sideBySide")
        self.table.setAccessibleName("Reviews side by side")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setMinimumSectionSize(MIN_COLUMN)
        # Criterion titles wrap in a narrower header: the width goes to the reviewers.
        self.table.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                                                        | Qt.TextFlag.TextWordWrap)
        self.table.verticalHeader().setFixedWidth(ROW_TITLES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addStretch(0)  # holds the heading at the top while the table is hidden
        self.table.hide()

    @property
    def row_titles(self) -> list[str]:
        return [self.table.verticalHeaderItem(r).text().split(" (")[0] for r in range(self.table.rowCount())]

    @property
    def column_titles(self) -> list[str]:
        return [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]

    def cell(self, row: int, column: int) -> str:
        return self.table.item(row, column).text()

    def clear(self, message: str = "Select a proposal to see its reviews side by side.") -> None:
        self.shown = None
        self.heading.setText(message)
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.table.hide()

    def display(self, sbs: SideBySide) -> None:
        self.shown = sbs
        n = len(sbs.reviewers)
        criteria = sbs.criteria
        # One scale for every criterion (the usual case) is said once, in the heading.
        scales = {(c.low, c.high, c.best) for c in criteria}
        shared = f"; scores {scale_text(criteria[0]).split(';')[0]}" if len(scales) == 1 else ""
        drafts = sbs.states.count("draft")
        count = f"{n} review(s)" + (f", {drafts} still draft" if drafts else "")
        self.heading.setText(f"{sbs.proposal}: {sbs.title} — {count}{shared}" if n else
                             f"{sbs.proposal}: {sbs.title} — no reviews yet")
        self.table.clear()
        self.table.show()
        self.table.setColumnCount(n)
        self.table.setRowCount(len(criteria) + 2)
        self.table.setHorizontalHeaderLabels([name + (" (draft)" if state == "draft" else "")
                                              for name, state in zip(sbs.reviewers, sbs.states)])
        for c in range(n):
            self.table.horizontalHeaderItem(c).setToolTip(f"{sbs.reviewers[c]} <{sbs.emails[c]}>, {sbs.states[c]}")
        rows = [(c.title + ("" if c.counts else " (not counted)") if shared else f"{c.title} ({scale_text(c)})")
                for c in criteria] + ["Total", "Comments"]
        self.table.setVerticalHeaderLabels(rows)
        for r, c in enumerate(criteria):
            self.table.verticalHeaderItem(r).setToolTip(c.guidance or c.title)
        bold = QFont(self.font())
        bold.setBold(True)
        for col in range(n):
            for r, c in enumerate(criteria):
                self._put(r, col, cell_text(c, sbs.scores[col].get(c.key)), CENTRE)
            total = sbs.totals[col]
            item = self._put(len(criteria), col, "incomplete draft" if total is None else f"{total:.2f}", CENTRE)
            item.setFont(bold)
            self._put(len(criteria) + 1, col, sbs.comments[col] or "(no comments)", TOP_LEFT)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Share the width among the reviewers when their names and scores fit; else give each what it
        needs and let the table scroll sideways, rather than cut a name short."""
        n, rows = self.table.columnCount(), self.table.rowCount()
        if not n:
            return
        bold = QFont(self.table.horizontalHeader().font())
        bold.setBold(True)
        head, cells = QFontMetrics(bold), self.table.fontMetrics()
        needed = [max(MIN_COLUMN, head.horizontalAdvance(self.table.horizontalHeaderItem(c).text()) + 28,
                      *(cells.horizontalAdvance(self.table.item(r, c).text()) + 16 for r in range(rows - 1)))
                  for c in range(n)]
        header = self.table.horizontalHeader()
        if sum(needed) <= self.table.viewport().width():
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        else:
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            for c, width in enumerate(needed):
                header.resizeSection(c, width)
        self.table.resizeRowsToContents()
        # The header does not grow a row for its wrapped title: room for it, measured in bold.
        wrap = Qt.TextFlag.TextWordWrap
        for r in range(rows):
            text = self.table.verticalHeaderItem(r).text()
            tall = head.boundingRect(0, 0, ROW_TITLES - 14, 1000, wrap, text).height() + 10
            if tall > self.table.rowHeight(r):
                self.table.setRowHeight(r, tall)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _put(self, row: int, column: int, text: str, align) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(align)
        if len(text) > 30:
            item.setToolTip(text)
        self.table.setItem(row, column, item)
        return item
