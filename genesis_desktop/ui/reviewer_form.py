"""The rubric form of the reviewer's desktop: one row per criterion, the comments, the running total.

The form knows nothing of where a review comes from or goes: it is given a `Rubric` and values,
says `edited` when the person changes something, and hands back what it shows (`scores`,
`comments`). Values set by the program never count as edits, so loading a review does not save it.
"""
from __future__ import annotations

from typing import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from genesis_desktop.review.rubric import Criterion, Rubric

NOT_SCORED = "— not scored —"


def value_text(criterion: Criterion, value: int) -> str:
    """'2 — Outstanding', or '2' on a scale without labels."""
    label = criterion.label(value)
    return f"{value} — {label}" if label else str(value)


def scale_text(criterion: Criterion) -> str:
    best, worst = (criterion.low, criterion.high) if criterion.best == "low" else (criterion.high, criterion.low)
    return f"{best} is best, {worst} is worst"


def weight_text(criterion: Criterion) -> str:
    if not criterion.counts:
        return "not counted in the total"
    return f"weight {criterion.weight:g} in the total"


def total_text(rubric: Rubric | None, scores: Mapping[str, int]) -> str:
    """The rubric total when every criterion is scored, else how many are still missing."""
    if rubric is None:
        return ""
    if rubric.problems(scores, complete=True):
        scored = sum(1 for c in rubric.criteria if scores.get(c.key) is not None)
        return (f"Total: appears when every criterion is scored ({scored} of {len(rubric.criteria)} scored)")
    anchor = next(c for c in rubric.criteria if c.counts)
    return f"Total: {rubric.total(scores):.2f}  (weighted, on the {anchor.low} to {anchor.high} scale; " \
           f"{scale_text(anchor)})"


class RubricForm(QWidget):
    """Pick a value per criterion and write comments; `edited` on every change the person makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rubric: Rubric | None = None
        self.combos: dict[str, QComboBox] = {}
        self._locked = False
        self._rows = QWidget(self)
        self._grid = QGridLayout(self._rows)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(4)
        self._grid.setColumnStretch(0, 1)
        self.total = QLabel(self)
        self.total.setObjectName("rubricTotal")
        self.total.setWordWrap(True)
        self.total.setStyleSheet("font-weight: 600;")
        comments_title = QLabel("Comments for the panel", self)
        comments_title.setStyleSheet("font-weight: 600;")
        self.comments = QPlainTextEdit(self)
        self.comments.setObjectName("reviewComments")
        self.comments.setPlaceholderText("Strengths, weaknesses and what would change your scores")
        self.comments.setMinimumHeight(90)
        self.comments.textChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._rows)
        layout.addWidget(self.total)
        layout.addSpacing(6)
        layout.addWidget(comments_title)
        layout.addWidget(self.comments, 1)
        self._quiet = False
        # A submitted review stays readable while locked: the values in the text colour, not greyed out.
        self.setStyleSheet("QComboBox:disabled { color: palette(text); }"
                           "QPlainTextEdit[readOnly=\"true\"] { background: palette(alternate-base); }")

    # -- what is shown ---------------------------------------------------------------------------
    def set_rubric(self, rubric: Rubric) -> None:
        if rubric == self.rubric:
            return
        self.rubric = rubric
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.combos = {}
        for row, c in enumerate(rubric.criteria):
            title = QLabel(f"<b>{_escape(c.title)}</b>  <span style='font-size:small'>· {weight_text(c)}</span>")
            title.setToolTip(c.guidance)
            title.setWordWrap(True)
            guidance = QLabel(c.guidance or scale_text(c))
            guidance.setObjectName("pageCount")  # the muted style of the app's sheet
            guidance.setWordWrap(True)
            guidance.setStyleSheet("font-size: small;")
            combo = QComboBox()
            combo.setObjectName(f"score_{c.key}")
            combo.setToolTip(f"{c.title}: {scale_text(c)}" + (f". {c.guidance}" if c.guidance else ""))
            combo.addItem(NOT_SCORED, None)
            for value in range(c.low, c.high + 1):
                combo.addItem(value_text(c, value), value)
            combo.setMinimumContentsLength(16)
            combo.currentIndexChanged.connect(self._changed)
            combo.setEnabled(not self._locked)
            self._grid.addWidget(title, 2 * row, 0)
            self._grid.addWidget(combo, 2 * row, 1, 2, 1, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(guidance, 2 * row + 1, 0)
            self.combos[c.key] = combo
        self._show_total()

    def set_values(self, scores: Mapping[str, int], comments: str) -> None:
        """Show a review; not an edit."""
        self._quiet = True
        try:
            for key, combo in self.combos.items():
                index = combo.findData(scores.get(key)) if scores.get(key) is not None else 0
                combo.setCurrentIndex(max(index, 0))
            if self.comments.toPlainText() != comments:
                self.comments.setPlainText(comments)
        finally:
            self._quiet = False
        self._show_total()

    def clear(self) -> None:
        self.set_values({}, "")

    def set_locked(self, locked: bool) -> None:
        """A submitted review: every control read-only."""
        self._locked = locked
        for combo in self.combos.values():
            combo.setEnabled(not locked)
        self.comments.setReadOnly(locked)

    @property
    def locked(self) -> bool:
        return self._locked

    # -- what the person chose ---------------------------------------------------------------------
    def scores(self) -> dict[str, int]:
        return {key: combo.currentData() for key, combo in self.combos.items() if combo.currentData() is not None}

    def comments_text(self) -> str:
        return self.comments.toPlainText()

    def choose(self, key: str, value: int | None) -> None:
        """Pick a value as the person would (an edit)."""
        combo = self.combos[key]
        combo.setCurrentIndex(combo.findData(value) if value is not None else 0)

    def _changed(self, *_args) -> None:
        self._show_total()
        if not self._quiet and not self._locked:
            self.edited.emit()

    def _show_total(self) -> None:
        self.total.setText(total_text(self.rubric, self.scores()))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
