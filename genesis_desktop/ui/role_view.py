"""Each sign-in gets the desktop of its role: a reviewer the reviewer's own desk and nothing else; an
analyst the main window with every command that writes hidden; officers and administrators all of it.

    open_window(store, safe_mode=False)   -> the window this sign-in gets (not shown yet)
    limit_to_role(window)                 hide what the main window's sign-in may not do

This is what the desktop offers, not what protects the records: on a shared server the database
refuses a forbidden read or write whatever the client (portfolio/access_grants.py). Hiding the
commands spares a person buttons that could only fail.
"""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel, QMainWindow
from sqlalchemy import select

from genesis_desktop.portfolio.access import Role, role_of, signed_in_reviewer
from genesis_desktop.portfolio.reviews import Reviewer
from genesis_desktop.portfolio.store import Store

# The main window's actions that write (window_actions.py).
WRITING_ACTIONS = ("new", "delete", "undo", "redo")
# Buttons of the pages that write records, scenarios or jobs, by object name (a test checks that each
# still exists, so a renamed button cannot slip out of this list unnoticed).
WRITING_BUTTONS = (
    "runJob", "cancelJob", "rerunJob", "resumeJob",  # compute_page.py
    "portfolio_new", "portfolio_save_as", "portfolio_delete",  # portfolio_bar.py
    "portfolio_solve", "portfolio_robustness", "portfolio_risk", "applyConstraints",  # portfolio_page.py, ...
    "calibrate", "assignReviewers",  # review_standings_page.py
)
ROLE_NOTE = {Role.ANALYST: "Analyst: read only", Role.OFFICER: "Program officer", Role.ADMINISTRATOR: "Administrator",
             Role.REVIEWER: "Reviewer"}  # open_window gives a reviewer their own desk, not this window


class NotForThisRole(ValueError):
    """The sign-in cannot have the window asked for; the message says which it can have."""


def reviewer_email(store: Store) -> str:
    """The e-mail of the reviewer this reviewer's sign-in is (their own row is the one they may read)."""
    reviewer_id = signed_in_reviewer(store.engine)
    with store.session() as s:
        email = s.scalar(select(Reviewer.email).where(Reviewer.id == reviewer_id)) if reviewer_id else None
    if email is None:
        raise NotForThisRole("this reviewer's sign-in is linked to no reviewer of this portfolio: "
                             "ask an administrator (genesis account list)")
    return email


def refuse_reviewer(store: Store, what: str) -> None:
    """NotForThisRole for a reviewer's sign-in, which has no programme office's views (`what`)."""
    if role_of(store.engine) is Role.REVIEWER:
        raise NotForThisRole(f"a reviewer's sign-in has the reviewer's desk (genesis gui), not {what}")


def open_window(store: Store, safe_mode: bool = False) -> QMainWindow:
    """The main window, limited to the sign-in's role; for a reviewer, the reviewer's desk instead."""
    role = role_of(store.engine)
    if role is Role.REVIEWER:
        from genesis_desktop.review.scoring import DatabaseReviewerDesk

        from .reviewer_window import ReviewerWindow

        return ReviewerWindow(DatabaseReviewerDesk(store, reviewer_email(store)))
    from .main_window import MainWindow

    return MainWindow(store, safe_mode=safe_mode, role=role)


def limit_to_role(window) -> None:
    """Hide from a main window what its sign-in may not do, and say in the status bar who signed in."""
    desk = window.desk
    window.role_label = QLabel(ROLE_NOTE[desk.role], objectName="roleLabel")
    window.statusBar().addPermanentWidget(window.role_label)
    if desk.may_write:
        return
    for name in WRITING_ACTIONS:
        action = window.actions_by_name[name]
        action.setVisible(False)
        action.setEnabled(False)
    for button in window.findChildren(QAbstractButton):
        if button.objectName() in WRITING_BUTTONS:
            button.setVisible(False)
            button.setEnabled(False)
