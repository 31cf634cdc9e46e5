"""The reviewer's desktop on a real demo portfolio (SQLite) and on an offline packet file: drafts save
themselves, submitting locks, revising keeps the earlier version with its reason."""
from __future__ import annotations

import json
import re

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, Reviewer, ReviewState, ReviewVersion
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.scoring import DatabaseReviewerDesk

pytestmark = pytest.mark.qt


@pytest.fixture
def demo_file(demo_template):
    """The demo portfolio (300 proposals, 60 reviewers, each review assigned), shared by the session."""
    return demo_template(300)


@pytest.fixture
def demo_store(demo_file, demo_copy):
    """A copy of the demo of the test's own, at tmp_path / "portfolio.sqlite"."""
    store = open_store(f"sqlite:///{demo_copy(demo_file)}")
    yield store
    store.close()


def reviews(store) -> list:
    """(code, e-mail, state, scores, comments, reviewer id) of every review."""
    with store.session() as s:
        return s.execute(select(Proposal.code, Reviewer.email, Review.state, Review.scores, Review.comments,
                                Review.id).join(Proposal, Proposal.id == Review.proposal_id)
                         .join(Reviewer, Reviewer.id == Review.reviewer_id).order_by(Review.id)).all()


def review_row(store, email: str, code: str):
    return next((r for r in reviews(store) if r.email == email and r.code == code), None)


def a_draft(store, others_submitted: bool = False):
    """(e-mail, code) of a demo draft whose reviewer has more than one proposal."""
    rows = reviews(store)
    count = {}
    for r in rows:
        count[r.email] = count.get(r.email, 0) + 1
    for r in rows:
        if r.state is ReviewState.DRAFT and count[r.email] > 1 and (not others_submitted or any(
                o.code == r.code and o.state is ReviewState.SUBMITTED for o in rows)):
            return r.email, r.code
    raise AssertionError("the demo has no draft of that kind")


@pytest.fixture
def open_window(qtbot):
    from genesis_desktop.ui.reviewer_window import ReviewerWindow

    def open_(desk, code: str | None = None, **kw) -> ReviewerWindow:
        window = ReviewerWindow(desk, **kw)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.is_loaded, timeout=10_000)
        assert window.error is None, window.error
        if code is not None and window.code != code:
            assert window.select(code)
            qtbot.waitUntil(lambda: window.is_loaded and window.view is not None, timeout=10_000)
        return window

    return open_


def other_value(window, key: str) -> int:
    c = window.view.rubric.criterion(key)
    current = window.form.scores().get(key)
    return c.low if current != c.low else c.low + 1


def test_a_change_saves_itself_after_a_pause_and_is_there_when_reopened(qtbot, demo_store, open_window):
    email, code = a_draft(demo_store)
    window = open_window(DatabaseReviewerDesk(demo_store, email), code)
    assert window.windowTitle() == f"Genesis Desktop — reviewing as {window.desk.name} <{email}>"
    key = window.view.rubric.criteria[0].key
    value = other_value(window, key)
    window.form.choose(key, value)
    window.form.comments.setPlainText("Clear aims; the data plan needs a second look.")
    assert window.save_status.text() == "Unsaved changes…"
    assert review_row(demo_store, email, code).scores.get(key) != value, "saved at once, not after the pause"
    qtbot.waitUntil(lambda: window.save_status.text().startswith("Draft saved"), timeout=5_000)
    assert re.fullmatch(r"Draft saved \d\d:\d\d:\d\d", window.save_status.text())
    row = review_row(demo_store, email, code)
    assert row.state is ReviewState.DRAFT and row.scores[key] == value
    assert row.comments == "Clear aims; the data plan needs a second look."
    window.close()

    again = open_window(DatabaseReviewerDesk(demo_store, email), code)
    assert again.form.combos[key].currentData() == value
    assert again.form.combos[key].currentText().startswith(f"{value} — ")
    assert again.form.comments_text() == "Clear aims; the data plan needs a second look."
    assert again.assigned.state_text(code) == "draft"


def test_moving_to_another_proposal_or_closing_saves_the_pending_draft(qtbot, demo_store, open_window):
    email, code = a_draft(demo_store)
    window = open_window(DatabaseReviewerDesk(demo_store, email), code)
    key = window.view.rubric.criteria[1].key
    value = other_value(window, key)
    window.form.choose(key, value)
    other = next(c for c in window.assigned.visible_codes() if c != code)
    assert window.select(other)  # at once: well inside the autosave pause
    qtbot.waitUntil(lambda: window.is_loaded and window.code == other and window.view is not None, timeout=5_000)
    assert review_row(demo_store, email, code).scores[key] == value

    assert window.select(code)
    qtbot.waitUntil(lambda: window.view is not None and window.code == code, timeout=5_000)
    assert window.form.combos[key].currentData() == value
    key2 = window.view.rubric.criteria[2].key
    value2 = other_value(window, key2)
    window.form.choose(key2, value2)
    window.close()  # at once as well
    row = review_row(demo_store, email, code)
    assert row.scores[key2] == value2 and row.state is ReviewState.DRAFT


def test_submit_refuses_an_incomplete_review_then_locks_and_revise_needs_a_reason(qtbot, demo_store, open_window):
    email, code = a_draft(demo_store)
    window = open_window(DatabaseReviewerDesk(demo_store, email), code)
    asked = []
    window.confirm = lambda title, text: asked.append(text) or True
    rubric = window.view.rubric
    window.form.choose(rubric.criteria[-1].key, None)
    window.submit_button.click()
    assert window.message.text().startswith("Cannot submit yet:")
    assert f"{rubric.criteria[-1].key}: no score given" in window.message.text()
    assert not asked and review_row(demo_store, email, code).state is ReviewState.DRAFT

    for c in rubric.criteria:
        window.form.choose(c.key, c.low + 1)
    assert window.form.total.text().startswith(f"Total: {rubric.total({c.key: c.low + 1 for c in rubric.criteria}):.2f}")
    window.submit_button.click()
    assert asked and code in asked[0]
    qtbot.waitUntil(lambda: window.view is not None and window.view.mine.state == "submitted", timeout=5_000)
    row = review_row(demo_store, email, code)
    assert row.state is ReviewState.SUBMITTED and row.scores == {c.key: c.low + 1 for c in rubric.criteria}
    assert all(not combo.isEnabled() for combo in window.form.combos.values())
    assert window.form.comments.isReadOnly()
    assert window.revise_button.isVisible() and not window.submit_button.isVisible()
    assert window.assigned.state_text(code) == "submitted"

    window.revise_button.click()
    assert all(combo.isEnabled() for combo in window.form.combos.values()) and window.reason.isVisible()
    key = rubric.criteria[0].key
    window.form.choose(key, rubric.criteria[0].low)
    window.reason.setText("typo")
    window.revision_button.click()
    qtbot.waitUntil(lambda: "Revision not submitted" in window.message.text(), timeout=5_000)
    assert "too short" in window.message.text()
    with demo_store.session() as s:
        assert s.scalar(select(ReviewVersion).where(ReviewVersion.review_id == row.id)) is None

    reason = "Read the data management plan again; merit is higher"
    window.reason.setText(reason)
    window.revision_button.click()
    qtbot.waitUntil(lambda: window.view is not None and bool(window.view.history), timeout=5_000)
    assert window.view.mine.version == 2 and window.view.mine.scores[key] == rubric.criteria[0].low
    with demo_store.session() as s:
        version = s.scalars(select(ReviewVersion).where(ReviewVersion.review_id == row.id)).one()
    assert version.reason == reason and version.version == 1 and version.scores[key] == rubric.criteria[0].low + 1
    shown = " ".join(label.text() for label in window.versions.findChildren(type(window.message)))
    assert "Version 1" in shown and reason in shown
    assert all(not combo.isEnabled() for combo in window.form.combos.values()), "locked again"


def test_declining_the_confirmation_submits_nothing(qtbot, demo_store, open_window):
    email, code = a_draft(demo_store)
    window = open_window(DatabaseReviewerDesk(demo_store, email), code)
    window.confirm = lambda title, text: False
    for c in window.view.rubric.criteria:
        window.form.choose(c.key, c.high)
    window.submit_button.click()
    window.close()
    row = review_row(demo_store, email, code)
    assert row.state is ReviewState.DRAFT and set(row.scores.values()) == {9}  # the draft was still saved


def write_packet_for(store, email: str, path) -> None:
    """The reviewer's offline packet, issued as an officer issues it."""
    from genesis_desktop.review.packets import export_packet

    export_packet(store, email, path, by="officer@example.org")


def test_the_same_window_on_an_offline_packet_keeps_drafts_in_the_file(qtbot, demo_store, demo_file, tmp_path,
                                                                       open_window):
    from genesis_desktop.review import packet_desk
    email, code = a_draft(demo_store)
    packet = tmp_path / "mine.genesis-review"
    write_packet_for(demo_store, email, packet)
    demo_store.close()
    (tmp_path / "portfolio.sqlite").unlink()  # no database from here on: only the file

    window = open_window(packet_desk.PacketDesk(packet), code, source=str(packet))
    assert window.windowTitle().endswith(f"<{email}> — offline packet {packet}")
    key = window.view.rubric.criteria[0].key
    value = other_value(window, key)
    window.form.choose(key, value)
    qtbot.waitUntil(lambda: window.save_status.text().startswith("Draft saved"), timeout=5_000)
    saved = json.loads(packet.read_text(encoding="utf-8"))["reviews"][code]
    assert saved["state"] == "draft" and saved["scores"][key] == value
    window.close()

    again = open_window(packet_desk.PacketDesk(packet), code, source=str(packet))
    assert again.form.combos[key].currentData() == value
    again.confirm = lambda title, text: True
    for c in again.view.rubric.criteria:
        again.form.choose(c.key, c.low)
    again.submit_button.click()
    qtbot.waitUntil(lambda: again.view is not None and again.view.mine.state == "submitted", timeout=5_000)
    assert json.loads(packet.read_text(encoding="utf-8"))["reviews"][code]["state"] == "submitted"
    assert "offline packet has none" in again.panel.note.text() and not again.panel.table.isVisible()


def _colours(path) -> int:
    image = QImage(str(path))
    assert image.width() >= 1000 and image.height() >= 600
    return len({image.pixel(x, y) for x in range(0, image.width(), 13) for y in range(0, image.height(), 11)})


def test_screenshots_in_both_themes_and_the_entry_points_refuse_bad_input(qapp, demo_store, demo_file, tmp_path):
    from genesis_desktop.ui.reviewer_app import render_reviewer_screenshot, run_packet_gui, run_reviewer_gui

    email, code = a_draft(demo_store, others_submitted=True)
    url = f"sqlite:///{tmp_path / 'portfolio.sqlite'}"
    light = render_reviewer_screenshot(url, email, tmp_path / "light.png", code=code, theme="light")
    dark = render_reviewer_screenshot(url, email, tmp_path / "dark.png", code=code, theme="dark")
    assert _colours(light) > 20 and _colours(dark) > 20
    assert QImage(str(light)).pixel(5, 5) != QImage(str(dark)).pixel(5, 5)
    with pytest.raises(ValueError, match="no reviewer with the e-mail"):
        render_reviewer_screenshot(url, "nobody@example.org", tmp_path / "x.png")
    with pytest.raises(ValueError, match="not assigned"):
        render_reviewer_screenshot(url, email, tmp_path / "x.png", code="P-999999")
    assert not (tmp_path / "x.png").exists()
    assert run_reviewer_gui(url, "nobody@example.org") == 2
    (tmp_path / "junk.genesis-review").write_text("{}", encoding="utf-8")
    assert run_packet_gui(tmp_path / "junk.genesis-review") == 2
    assert run_packet_gui(tmp_path / "missing.genesis-review") == 2


def test_a_draft_that_cannot_be_saved_says_why_and_closing_asks_first(qtbot, demo_store, open_window):
    email, code = a_draft(demo_store)
    desk = DatabaseReviewerDesk(demo_store, email)
    window = open_window(desk, code, autosave_ms=50)
    real_save = desk.save_draft

    def full_disk(*_args):
        raise OSError("No space left on device")

    desk.save_draft = full_disk
    key = window.view.rubric.criteria[0].key
    value = other_value(window, key)
    window.form.choose(key, value)
    qtbot.waitUntil(lambda: "not saved" in window.message.text(), timeout=5_000)
    assert window.message.text() == f"Draft of {code} not saved: No space left on device"
    assert window.save_status.text() == f"Draft of {code} not saved"
    asked = []
    window.confirm = lambda title, text: asked.append(text) or False
    window.close()
    assert asked and "No space left on device" in asked[0] and window.isVisible()

    desk.save_draft = real_save
    window.confirm = lambda title, text: True
    window.close()
    assert not window.isVisible()
    assert review_row(demo_store, email, code).scores[key] == value  # tried again on the way out


def test_the_panel_table_shows_every_criterion_and_the_total_unclipped(qtbot, demo_store, open_window, tmp_path):
    rows = reviews(demo_store)
    email, code = next((r.email, r.code) for r in rows if r.state is ReviewState.SUBMITTED and any(
        o.code == r.code and o.email != r.email and o.state is ReviewState.SUBMITTED for o in rows))
    window = open_window(DatabaseReviewerDesk(demo_store, email), code)
    window.resize(1200, 900)
    qtbot.waitUntil(lambda: window.panel.table.isVisible(), timeout=5_000)
    table = window.panel.table
    last = table.rowCount() - 1
    assert table.verticalHeaderItem(last).text() == "Total"
    qtbot.waitUntil(lambda: table.rowViewportPosition(last) >= 0, timeout=2_000)
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height(), \
        "the Total row is cut off"
    comments = [w for w in window.panel.findChildren(QLabel) if "· submitted 20" in w.text()]
    assert len(comments) == table.columnCount() - 1  # one per other reviewer, below the table
    qtbot.waitUntil(lambda: all(w.isVisible() and w.y() >= table.geometry().bottom() for w in comments),
                    timeout=2_000)
    assert window.grab().save(str(tmp_path / "reviewer-panel.png"))
