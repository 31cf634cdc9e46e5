"""The reviewer's desktop: their assigned proposals, the rubric form, their drafts, submissions and revisions.

Everything it shows comes from one `ReviewerDesk` (the database's or an offline packet's), and every
call to the desk, read or write, runs on one serial `Writer` thread: the GUI thread only paints, and
a read queued after a save sees that save. Drafts save themselves a moment after the last change,
and before the window shows another proposal or closes.
"""
from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton,
                               QSplitter, QWidget)

from genesis_desktop.review.scoring import MIN_REASON, Assigned, MyReview, ReviewerDesk

from .main_window import APP_TITLE
from .reviewer_form import RubricForm
from .reviewer_list import SUBMITTED, AssignedList, read_list, state_of
from .reviewer_panel import (OFFLINE, PanelSection, ProposalDetails, ProposalView, VersionsSection, column, heading,
                             read_view, scrolled, when)
from .theme import DARK, current_scheme
from .writer import Writer

AUTOSAVE_MS = 800


class ReviewerWindow(QMainWindow):
    shown = Signal(str)  # a proposal's code, once its review and panel are on screen
    saved = Signal(str)  # a proposal's code, once a draft of it is saved

    def __init__(self, desk: ReviewerDesk, source: str | None = None, autosave_ms: int = AUTOSAVE_MS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.offline = source is not None  # an offline packet, which holds no panel
        self.writer = Writer(self, name="genesis-reviewer-desk")
        self.error: str | None = None
        self.save_failed: str | None = None  # why the last draft could not be saved
        self.view: ProposalView | None = None
        self.code: str | None = None  # the proposal on screen, or being read
        self.revising = False
        self._generation = 0
        self._dirty = False
        self._closed = False
        self._listed = False
        title = f"{APP_TITLE} — reviewing as {desk.name} <{desk.reviewer}>"
        self.setWindowTitle(title + (f" — offline packet {source}" if source else ""))
        self._timer = QTimer(self, singleShot=True, interval=autosave_ms)
        self._timer.timeout.connect(self.save_now)
        self._build()
        self.resize(1320, 860)
        self.writer.submit(lambda: read_list(desk), self._list_read, self._read_failed)

    def _build(self) -> None:
        self.assigned = AssignedList()
        self.assigned.chosen.connect(self._chosen)
        self.filter = self.assigned.filter
        self.details = ProposalDetails()
        self.panel = PanelSection()
        self.versions = VersionsSection()
        self.review_state = QLabel(wordWrap=True)
        self.form = RubricForm()
        self.form.edited.connect(self._edited)
        self.message = QLabel(wordWrap=True, objectName="reviewMessage")
        self.reason_label = QLabel("Reason for the revision, kept with your earlier version:")
        self.reason = QLineEdit(placeholderText=f"Why you change your submitted review (at least {MIN_REASON} "
                                                "characters)")
        self.submit_button = QPushButton("Submit review…", clicked=self._submit_clicked, default=True)
        self.revise_button = QPushButton("Revise…", clicked=self._revise_clicked)
        self.revision_button = QPushButton("Submit revision", clicked=self._submit_revision)
        self.cancel_button = QPushButton("Cancel revision", clicked=self._cancel_revision)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.cancel_button, self.revision_button, self.revise_button, self.submit_button):
            buttons.addWidget(b)
        middle = column(self.details, self.panel, self.versions)
        right = column(heading("Your review"), self.review_state, self.form, self.message, self.reason_label,
                       self.reason)
        right.layout().addLayout(buttons)
        split = QSplitter(Qt.Orientation.Horizontal, childrenCollapsible=False)
        for widget in (self.assigned, scrolled(middle), scrolled(right)):
            split.addWidget(widget)
        split.setSizes([300, 500, 520])
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        self.setCentralWidget(split)
        self.save_status = QLabel("")
        self.statusBar().addPermanentWidget(self.save_status)
        self._show_controls(None)

    # -- what the desk said (read on the writer thread) ----------------------------------------------
    def _read_failed(self, err: Exception) -> None:
        self.error = f"{type(err).__name__}: {err}"
        self._say(f"Could not read your desk: {err}", error=True)

    def _list_read(self, rows: list[tuple[Assigned, str]]) -> None:
        self._listed = True
        self.assigned.fill(rows)
        if rows:
            self.assigned.select_first()
        else:
            self.details.show_nothing("No proposals are assigned to you yet.")

    # -- choosing a proposal -----------------------------------------------------------------------
    def select(self, code: str) -> bool:
        """Show one of the reviewer's proposals; False when the code is not in their list."""
        return self.assigned.select(code)

    def _chosen(self, a: Assigned) -> None:
        if a.code == self.code:
            return
        self.save_now()  # the draft on screen goes first: the writer runs in order
        self._say(f"The revision of {self.code} was discarded; your submitted review is unchanged."
                  if self.revising else "")
        self._open(a)

    def _open(self, a: Assigned) -> None:
        self.revising = False
        self.code, self.view = a.code, None
        self._generation += 1
        generation = self._generation
        self._show_controls(None)
        self.writer.submit(lambda: read_view(self.desk, a), lambda v: self._view_read(generation, v), self._read_failed)

    def _view_read(self, generation: int, view: ProposalView) -> None:
        if generation != self._generation:
            return  # the reviewer moved on before it arrived
        self.view, mine = view, view.mine
        self.details.show_proposal(view.assigned)
        self.form.set_rubric(view.rubric)
        self.form.set_values(mine.scores if mine else {}, mine.comments if mine else "")
        submitted = state_of(mine) == SUBMITTED
        if self.offline and not view.others:
            self.panel.show_waiting(OFFLINE)
        elif submitted:
            self.panel.show_reviews(view.rubric, mine, view.others)
        else:
            self.panel.show_waiting()
        self.versions.show_versions(view.rubric, view.history, self.desk.reviewer)
        self.assigned.set_state(view.assigned.code, state_of(mine))
        self._show_controls(mine)
        self.shown.emit(view.assigned.code)

    def _show_controls(self, mine: MyReview | None) -> None:
        loaded = self.view is not None
        submitted = loaded and state_of(mine) == SUBMITTED
        self.form.setEnabled(loaded)
        self.form.set_locked(submitted and not self.revising)
        self.submit_button.setVisible(not submitted)
        self.submit_button.setEnabled(loaded)
        self.revise_button.setVisible(submitted and not self.revising)
        for w in (self.reason_label, self.reason, self.revision_button, self.cancel_button):
            w.setVisible(submitted and self.revising)
        if not loaded:
            text = "Loading…" if self.code else ""
        elif mine is None:
            text = "Not started: pick a value for each criterion; your draft saves itself."
        elif mine.state != SUBMITTED:
            text = f"Draft, last saved {when(mine.updated_at)}. It saves itself as you work."
        else:
            version = f", version {mine.version}" if mine.version > 1 else ""
            lock = "being revised." if self.revising else "locked. To change it, use Revise…"
            text = f"Submitted {when(mine.submitted_at)}{version}: {lock}"
        self.review_state.setText(text)

    # -- drafts -------------------------------------------------------------------------------------
    def _edited(self) -> None:
        if self.view is None or self.revising or self.form.locked:
            return
        self._dirty = True
        self._timer.start()  # every change restarts the wait
        self.save_status.setText("Unsaved changes…")

    def save_now(self) -> None:
        """Queue the draft on screen for saving, if it changed since the last save."""
        self._timer.stop()
        if not self._dirty or self.code is None or self._closed:
            return
        self._dirty = False
        code, scores, comments = self.code, self.form.scores(), self.form.comments_text()
        self.writer.submit(lambda: self.desk.save_draft(code, scores, comments), self._draft_saved,
                           lambda err: self._draft_failed(code, err))

    def _draft_failed(self, code: str, err: Exception) -> None:
        self._dirty = self._dirty or code == self.code  # tried again on the next change, move or close
        self.save_failed = f"Draft of {code} not saved: {err}"
        self._say(self.save_failed, error=True)

    def _draft_saved(self, mine: MyReview) -> None:
        self.save_failed = None
        self.save_status.setText(f"Draft saved {datetime.now():%H:%M:%S}")
        self.assigned.set_state(mine.proposal, state_of(mine))
        if self.view is not None and mine.proposal == self.code:
            self.view = ProposalView(self.view.assigned, self.view.rubric, mine, self.view.others, self.view.history)
            self._show_controls(mine)
        self.saved.emit(mine.proposal)

    # -- submitting and revising --------------------------------------------------------------------
    def confirm(self, title: str, text: str) -> bool:
        """Ask yes or no (tests replace this)."""
        yes, cancel = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel
        return QMessageBox.question(self, title, text, yes | cancel, cancel) == yes

    def _submit_clicked(self) -> None:
        if self.view is None:
            return
        code, scores, comments = self.code, self.form.scores(), self.form.comments_text()
        problems = self.view.rubric.problems(scores, complete=True)
        if problems:
            self._say("Cannot submit yet: " + "; ".join(problems), error=True)
            return
        if not self.confirm("Submit your review", f"Submit your review of {code}? Once submitted it is locked; "
                            "a later change is a revision with a written reason."):
            return
        self._timer.stop()
        self._dirty = False
        self._say("Submitting…")
        self.writer.submit(lambda: self.desk.submit(code, scores, comments),
                           lambda mine: self._after_write(mine, f"Review of {code} submitted"),
                           lambda err: self._submit_failed(code, err))

    def _submit_failed(self, code: str, err: Exception) -> None:
        self._dirty = self._dirty or code == self.code  # still a draft: saved when the reviewer moves on
        self._say(f"Not submitted: {err}", error=True)

    def _revise_clicked(self) -> None:
        self.revising = True
        self.reason.clear()
        self._show_controls(self.view.mine if self.view else None)
        self.reason.setFocus()
        self._say("Change the scores or comments, say why, then submit the revision.")

    def _cancel_revision(self) -> None:
        self.revising = False
        if self.view is not None and self.view.mine is not None:
            self.form.set_values(self.view.mine.scores, self.view.mine.comments)
            self._show_controls(self.view.mine)
        self._say("")

    def _submit_revision(self) -> None:
        code, scores, comments, reason = self.code, self.form.scores(), self.form.comments_text(), self.reason.text()
        self.writer.submit(lambda: self.desk.revise(code, scores, comments, reason),
                           lambda mine: self._after_write(mine, f"Revision of {code} submitted"),
                           lambda err: self._say(f"Revision not submitted: {err}", error=True))

    def _after_write(self, mine: MyReview, text: str) -> None:
        self._say(f"{text} {datetime.now():%H:%M:%S}.")
        self.save_status.setText(f"{text} {datetime.now():%H:%M:%S}")
        self.assigned.set_state(mine.proposal, state_of(mine))
        if mine.proposal == self.code and self.view is not None:
            self._open(self.view.assigned)  # read it again, with the panel and the history

    def _say(self, text: str, error: bool = False) -> None:
        colour = ("#ff6b6b" if current_scheme(QApplication.instance()) == DARK else "#b00020") if error else ""
        self.message.setStyleSheet(f"color: {colour};" if colour else "")
        self.message.setText(text)
        if error:
            self.save_status.setText(text.split(":")[0])

    # -- waiting and ending -------------------------------------------------------------------------
    @property
    def is_loaded(self) -> bool:
        """The list is read, the current proposal is on screen and nothing is waiting on the desk."""
        return self._listed and not self.writer.pending and (self.view is not None or not self.assigned.list.count())

    def wait_until_loaded(self, timeout_ms: int = 20_000) -> bool:
        deadline = time.monotonic() + timeout_ms / 1000
        while not (self.is_loaded or self.error) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        return self.is_loaded

    def shutdown(self) -> None:
        """Save what is pending, let the writer finish it, stop its thread."""
        if self._closed:
            return
        self.save_now()
        self._closed = True
        self.writer.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.save_failed and not self._closed and not self.confirm(
                "Your draft is not saved", f"{self.save_failed}\n\nClose anyway and lose the unsaved changes?"):
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

