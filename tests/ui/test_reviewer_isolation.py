"""A reviewer's window shows their own proposals and nothing else: every string any widget or model
can show is collected after clicking through their list and checked against what the database holds
for the others (proposals, reviewers, comments)."""
from __future__ import annotations


import pytest
from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QComboBox, QGroupBox, QLabel,
                               QLineEdit, QPlainTextEdit, QTabWidget, QTextEdit, QWidget)
from sqlalchemy import select, text

from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, Reviewer, ReviewState
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.scoring import DatabaseReviewerDesk

pytestmark = pytest.mark.qt
ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.EditRole,
         Qt.ItemDataRole.StatusTipRole, Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleTextRole,
         Qt.ItemDataRole.AccessibleDescriptionRole)


def mark_comments(store) -> None:
    """Every review's comments get a token of their own ("zq00042x" for review 42), so that a comment
    that leaks can be told from one the reviewer may see."""
    with store.session() as s, s.begin():
        s.execute(text("UPDATE review SET comments = trim(comments || ' [ref zq' || printf('%05d', id) || 'x]')"))


@pytest.fixture
def demo_store(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(300, then=mark_comments))}")
    yield store
    store.close()


def token(review_id: int) -> str:
    return f"zq{review_id:05d}x"


def facts(store):
    with store.session() as s:
        proposals = s.execute(select(Proposal.id, Proposal.code, Proposal.title)).all()
        reviewers = s.execute(select(Reviewer.id, Reviewer.email, Reviewer.name)).all()
        rows = s.execute(select(Review.id, Review.proposal_id, Review.reviewer_id, Review.state)).all()
        assigned = s.execute(select(ReviewAssignment.reviewer_id, ReviewAssignment.proposal_id)).all()
    return proposals, reviewers, rows, assigned


def the_reviewer(store):
    """A reviewer with several proposals, one of them a draft of a proposal that others have
    submitted reviews of (to submit in the test), and one submitted by them with others' (a panel)."""
    _proposals, reviewers, rows, _assigned = facts(store)
    submitted_by = {}
    for r in rows:
        if r.state is ReviewState.SUBMITTED:
            submitted_by.setdefault(r.proposal_id, set()).add(r.reviewer_id)
    for reviewer in reviewers:
        mine = [r for r in rows if r.reviewer_id == reviewer.id]
        drafts = [r for r in mine if r.state is ReviewState.DRAFT and submitted_by.get(r.proposal_id, set()) - {reviewer.id}]
        panels = [r for r in mine if r.state is ReviewState.SUBMITTED and len(submitted_by[r.proposal_id]) > 1]
        if len(mine) >= 3 and drafts and panels:
            return reviewer, drafts[0].proposal_id
    raise AssertionError("the demo has no reviewer to test with")


def forbidden(store, me, submitted_proposals: set[int]) -> dict[str, str]:
    """What the reviewer `me` must never see, each with why: other proposals' codes and titles, other
    reviewers' names and e-mails, and the others' comments, except the submitted reviews of the
    proposals where `me` has submitted their own."""
    proposals, reviewers, rows, assigned = facts(store)
    mine = {p for r, p in assigned if r == me.id}
    own_titles = {title for pid, _code, title in proposals if pid in mine}
    found = {}
    for pid, code, title in proposals:
        if pid not in mine:
            found[code] = f"the code of {code}, not assigned"
            if title not in own_titles:
                found[title] = f"the title of {code}, not assigned"
    for reviewer in reviewers:
        if reviewer.id != me.id:
            found[reviewer.email.lower()] = "another reviewer's e-mail"
            found[reviewer.name.lower()] = "another reviewer's name"
    for r in rows:
        if r.reviewer_id != me.id and not (r.state is ReviewState.SUBMITTED and r.proposal_id in submitted_proposals):
            found[token(r.id)] = f"the comments of review {r.id} ({r.state.value}) by someone else"
    return found


def _plain(value: str) -> str:
    if "<" in value or "&" in value:
        doc = QTextDocument()
        doc.setHtml(value)
        return value + "\n" + doc.toPlainText()
    return value


def _model_strings(model, out: list[str], parent=QModelIndex()) -> None:
    if model is None:
        return
    flat = isinstance(model, QAbstractListModel)  # PySide6 keeps its columnCount and hasChildren private
    rows, cols = model.rowCount(parent), 1 if flat else model.columnCount(parent)
    if parent == QModelIndex():
        for orientation, count in ((Qt.Orientation.Horizontal, cols), (Qt.Orientation.Vertical, rows)):
            for section in range(count):
                for role in ROLES[:2]:
                    out.append(str(model.headerData(section, orientation, role) or ""))
    for row in range(rows):
        for col in range(cols):
            index = model.index(row, col, parent)
            for role in ROLES:
                value = model.data(index, role)
                if value is not None:
                    out.append(str(value))
            if not flat and model.rowCount(index) > 0:
                _model_strings(model, out, index)


def everything_shown(window) -> str:
    """Every string the window and every widget under it hold, whether on screen or a tooltip away.

    The walk starts from the reviewer's window, not QApplication.allWidgets(): under xdist that list
    also holds the leftovers of earlier tests, and PySide can hand back a stale wrapper for one of
    them whose C++ side is gone, which crashed a worker in CI. Dialogs, menus and combo popups the
    window opens are its children, so nothing the reviewer can reach is left out.
    """
    out: list[str] = []
    for w in [window, *window.findChildren(QWidget)]:
        out += [w.windowTitle(), w.toolTip(), w.statusTip(), w.whatsThis(), w.accessibleName(),
                w.accessibleDescription()]
        if isinstance(w, (QLabel, QAbstractButton, QLineEdit)):
            out.append(_plain(w.text()))
        if isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        if isinstance(w, (QTextEdit, QPlainTextEdit)):
            out += [w.toPlainText(), w.placeholderText()]
        if isinstance(w, QGroupBox):
            out.append(w.title())
        if isinstance(w, QTabWidget):
            out += [w.tabText(i) + w.tabToolTip(i) for i in range(w.count())]
        if isinstance(w, QComboBox):
            _model_strings(w.model(), out)
        if isinstance(w, QAbstractItemView):
            _model_strings(w.model(), out)
    return "\n".join(out).lower()


def leaks(shown: str, found: dict[str, str]) -> list[str]:
    return [f"{text!r}: {why}" for text, why in found.items() if text.lower() in shown]


def test_the_window_shows_the_reviewers_own_proposals_and_nothing_of_the_others(qtbot, demo_store):
    from genesis_desktop.ui.reviewer_window import ReviewerWindow

    me, draft_pid = the_reviewer(demo_store)
    proposals, _reviewers, rows, _assigned = facts(demo_store)
    code_of = {pid: code for pid, code, _title in proposals}
    window = ReviewerWindow(DatabaseReviewerDesk(demo_store, me.email))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_loaded or window.error is not None, timeout=10_000)
    assert window.error is None, window.error
    codes = window.assigned.visible_codes()
    assert code_of[draft_pid] in codes and len(codes) >= 3

    mine_submitted = {r.proposal_id for r in rows if r.reviewer_id == me.id and r.state is ReviewState.SUBMITTED}
    found = forbidden(demo_store, me, mine_submitted)
    seen = []
    for code in codes:
        assert window.select(code) or window.code == code
        qtbot.waitUntil(lambda: window.is_loaded and window.view is not None and window.code == code, timeout=5_000)
        shown = everything_shown(window)
        seen.append(shown)
        assert not leaks(shown, found), f"while showing {code}: " + "; ".join(leaks(shown, found))
    shown = "\n".join(seen)
    # The collector does see what the reviewer may see: their name, their proposals, the panel's comments.
    assert me.email.lower() in shown and me.name.lower() in shown
    assert all(code.lower() in shown for code in codes)
    panel_tokens = [token(r.id) for r in rows if r.reviewer_id != me.id and r.state is ReviewState.SUBMITTED
                    and r.proposal_id in mine_submitted]
    assert panel_tokens and all(t in shown for t in panel_tokens)
    assert "reviewer " in shown  # the others by letter only

    # The filter only narrows their own list: another proposal's code finds nothing.
    other_code = next(code for pid, code, _title in proposals if code not in codes)
    window.filter.setText(other_code)
    assert window.assigned.visible_codes() == []
    typed = {k: v for k, v in found.items() if k != other_code}  # the filter box holds what the test typed
    assert not leaks(everything_shown(window), typed)
    assert not window.select(other_code)
    window.filter.setText(codes[-1])
    assert window.assigned.visible_codes() == [codes[-1]]
    window.filter.clear()

    # Submitting their draft opens that proposal's panel: the others' submitted comments, no names.
    draft_code = code_of[draft_pid]
    assert window.select(draft_code) or window.code == draft_code
    qtbot.waitUntil(lambda: window.is_loaded and window.view is not None and window.code == draft_code,
                    timeout=5_000)
    others_here = [r for r in rows if r.proposal_id == draft_pid and r.reviewer_id != me.id]
    assert not any(token(r.id) in everything_shown(window) for r in others_here), "the panel showed before submitting"
    assert "appear here once you submit your own" in window.panel.note.text()
    window.confirm = lambda title, text: True
    for c in window.view.rubric.criteria:
        window.form.choose(c.key, c.low)
    window.submit_button.click()
    qtbot.waitUntil(lambda: window.view is not None and window.view.mine.state == "submitted", timeout=5_000)
    shown = everything_shown(window)
    now_visible = [token(r.id) for r in others_here if r.state is ReviewState.SUBMITTED]
    assert now_visible and all(t in shown for t in now_visible)
    found = forbidden(demo_store, me, mine_submitted | {draft_pid})
    assert not leaks(shown, found), "; ".join(leaks(shown, found))
    assert window.panel.table.columnCount() == 1 + len(now_visible)
