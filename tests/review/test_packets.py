"""Offline review packets on real SQLite portfolios: what goes out (only the reviewer's own), the desk
over the file (the same rules as the database's), and the import back: all or nothing, refusing any
altered or foreign packet, and leaving the database exactly as it was after every refusal."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import delete, select

from genesis_desktop.portfolio.reviews import (Review, ReviewAssignment, ReviewPacket, ReviewState,
                                               ReviewVersion)
from genesis_desktop.portfolio.schema import Call, Proposal, Reviewer
from genesis_desktop.review.packets import (PacketDesk, PacketError, export_packet, import_packet, read_packet,
                                            verify_packet)
from genesis_desktop.review.rubric import DEFAULT_RUBRIC, Criterion, Rubric
from genesis_desktop.review.scoring import DatabaseReviewerDesk, ReviewAccessError, ReviewStateError

FULL = {"merit": 2, "relevance": 3, "team": 2, "feasibility": 4, "ai_platform": 3, "budget": 5}
FIVE = Rubric((Criterion("impact", "Impact", 1, 5, "high"), Criterion("risk", "Risk", 1, 5, "low")))
REVIEW_TABLES = (Review, ReviewVersion, ReviewAssignment, ReviewPacket)


@pytest.fixture
def panel(one_call):
    """Ann is assigned P-2 (call C-2, its own 1-to-5 rubric) then P-1 (C-1, the default rubric), with a
    draft of P-1; Bob reviewed P-1 and P-3; nobody gave Ann P-3."""
    store = one_call.store
    with store.session() as s, s.begin():
        c2 = Call(programme_id=one_call.programme_id, number="C-2", title="Quantum", total_budget_minor=10**9,
                  rubric=FIVE.to_json())
        s.add(c2)
        s.flush()
        props = [Proposal(code=f"P-{i}", call_id=c2.id if i == 2 else one_call.call_id, phase="I",
                          title=f"Title {i}", abstract=f"Abstract {i} — ünïcode", keywords=[f"k{i}"],
                          lead_institution_id=one_call.lab_id, principal_investigator="PI") for i in (1, 2, 3)]
        ann, bob = Reviewer(email="ann@x.org", name="Ann Lee"), Reviewer(email="bob@x.org", name="Bob")
        s.add_all(props + [ann, bob])
        s.flush()
        p1, p2, p3 = (p.id for p in props)
        s.add_all([ReviewAssignment(proposal_id=p2, reviewer_id=ann.id, position=0),
                   ReviewAssignment(proposal_id=p1, reviewer_id=ann.id, position=1),
                   ReviewAssignment(proposal_id=p1, reviewer_id=bob.id, position=0),
                   ReviewAssignment(proposal_id=p3, reviewer_id=bob.id, position=0),
                   Review(proposal_id=p1, reviewer_id=ann.id, scores={"merit": 3}, comments="Ann's first notes",
                          state=ReviewState.DRAFT),
                   Review(proposal_id=p1, reviewer_id=bob.id, scores=FULL, comments="Bob's secret opinion",
                          state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 1))])
    return store


def tables(store) -> dict[str, list]:
    """Every row of the review tables, to prove a refused import changed nothing."""
    with store.engine.connect() as c:
        return {m.__tablename__: [tuple(r) for r in c.execute(select(m.__table__).order_by(
            *m.__table__.primary_key.columns))] for m in REVIEW_TABLES}


def edit(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def packet(panel, tmp_path):
    path = tmp_path / "ann.genesis-review"
    export_packet(panel, "Ann@X.org", path, "officer@doe.gov")
    return path


def test_export_holds_the_reviewers_own_work_and_nothing_of_anyone_else(panel, packet):
    text = packet.read_text(encoding="utf-8")
    data = json.loads(text)
    issued = data["issued"]
    assert issued["reviewer"] == {"email": "ann@x.org", "name": "Ann Lee"}
    assert [(p["code"], p["position"], p["call"]) for p in issued["proposals"]] == [("P-2", 1, "C-2"),
                                                                                   ("P-1", 2, "C-1")]
    assert issued["proposals"][0]["abstract"] == "Abstract 2 — ünïcode"
    assert issued["rubrics"] == {"C-1": DEFAULT_RUBRIC.to_json(), "C-2": FIVE.to_json()}
    assert list(data["reviews"]) == ["P-1"] and data["reviews"]["P-1"]["comments"] == "Ann's first notes"
    assert "Bob" not in text and "P-3" not in text and "bob@x.org" not in text
    with panel.session() as s:
        record = s.scalar(select(ReviewPacket))
    assert (record.id, record.issued_by, record.digest) == (issued["packet"], "officer@doe.gov", data["digest"])
    assert record.imported_at is None
    assert list(packet.parent.glob("*.tmp")) == []


def test_export_refuses_an_unknown_reviewer_and_one_with_nothing_assigned(panel, tmp_path):
    with panel.session() as s, s.begin():
        s.add(Reviewer(email="idle@x.org", name="Idle"))
    before = tables(panel)
    with pytest.raises(PacketError, match="no reviewer with the e-mail 'nobody@x.org'"):
        export_packet(panel, "nobody@x.org", tmp_path / "a.genesis-review", "officer")
    with pytest.raises(PacketError, match="idle@x.org has no proposals assigned"):
        export_packet(panel, "idle@x.org", tmp_path / "b.genesis-review", "officer")
    with pytest.raises(PacketError, match="cannot be written"):
        export_packet(panel, "ann@x.org", tmp_path / "no-such-folder" / "c.genesis-review", "officer")
    assert tables(panel) == before and list(tmp_path.glob("*.genesis-review")) == []


def test_round_trip_drafts_submission_and_revision_offline_then_import(panel, packet):
    desk = PacketDesk(packet)
    assert (desk.reviewer, desk.name) == ("ann@x.org", "Ann Lee")
    assert [(a.code, a.position, a.keywords) for a in desk.assignments()] == [("P-2", 1, ("k2",)),
                                                                               ("P-1", 2, ("k1",))]
    assert desk.rubric("P-2") == FIVE and desk.rubric("P-1") == DEFAULT_RUBRIC
    assert desk.my_review("P-1").scores == {"merit": 3} and desk.my_review("P-2") is None
    desk.save_draft("P-2", {"impact": 4}, "half way")
    desk.submit("P-2", {"impact": 5, "risk": 2}, "Bold and sound")
    desk.submit("P-1", FULL)  # the draft's comments stay when none are given
    revised = desk.revise("P-1", {**FULL, "merit": 1}, "Even better", "The second reading found the proof")
    assert (revised.version, revised.state, revised.comments) == (2, "submitted", "Even better")
    assert desk.others("P-1") == []  # no panel offline

    again = PacketDesk(packet)  # what was saved is what a fresh desk reads
    for code in ("P-1", "P-2"):
        assert again.my_review(code) == desk.my_review(code)
        assert again.history(code) == desk.history(code)
    [earlier] = again.history("P-1")
    assert (earlier.version, earlier.scores, earlier.comments, earlier.replaced_by) == (
        1, FULL, "Ann's first notes", "ann@x.org")

    report = import_packet(panel, packet, "officer@doe.gov")
    assert (report.created, report.updated, report.versions_added) == (("P-2",), ("P-1",), 1)
    online = DatabaseReviewerDesk(panel, "ann@x.org")
    for code in ("P-1", "P-2"):
        mine, offline = online.my_review(code), again.my_review(code)
        assert (mine.scores, mine.comments, mine.state, mine.submitted_at, mine.version) == (
            offline.scores, offline.comments, offline.state, offline.submitted_at, offline.version)
    assert online.history("P-1") == again.history("P-1")
    with panel.session() as s:
        rows = s.execute(select(Proposal.code, Reviewer.email, Review.state).join(Review.proposal)
                         .join(Review.reviewer).order_by(Proposal.code, Reviewer.email)).all()
        record = s.scalar(select(ReviewPacket))
    assert rows == [("P-1", "ann@x.org", ReviewState.SUBMITTED), ("P-1", "bob@x.org", ReviewState.SUBMITTED),
                    ("P-2", "ann@x.org", ReviewState.SUBMITTED)]
    assert record.imported_by == "officer@doe.gov" and record.imported_at is not None

    reviews_before = {k: v for k, v in tables(panel).items() if k != "review_packet"}
    second = import_packet(panel, packet, "officer@doe.gov")  # importing again is safe
    assert second.unchanged == ("P-2", "P-1") and not (second.created or second.updated)
    assert {k: v for k, v in tables(panel).items() if k != "review_packet"} == reviews_before


def test_the_desk_keeps_the_rules_of_the_database_desk(packet):
    desk = PacketDesk(packet)
    with pytest.raises(ReviewAccessError, match="'P-3' is not assigned to you"):
        desk.my_review("P-3")
    with pytest.raises(ReviewStateError, match="impact: 9 is outside the scale 1 to 5"):
        desk.save_draft("P-2", {"impact": 9}, "")
    with pytest.raises(ReviewStateError, match="risk: no score given"):
        desk.submit("P-2", {"impact": 3})
    with pytest.raises(ReviewStateError, match="only a submitted review is revised"):
        desk.revise("P-1", FULL, "x", "a reason long enough")
    desk.submit("P-1", FULL, "done")
    with pytest.raises(ReviewStateError, match="submitted and locked"):
        desk.save_draft("P-1", {"merit": 1}, "")
    with pytest.raises(ReviewStateError, match="too short"):
        desk.revise("P-1", FULL, "x", "typo")
    assert PacketDesk(packet).my_review("P-1").comments == "done"  # the refusals wrote nothing


def test_a_failed_save_leaves_the_file_and_the_desk_as_they_were(packet, monkeypatch):
    desk = PacketDesk(packet)
    before = packet.read_bytes()

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("genesis_desktop.review.packet_desk.os.replace", full_disk)
    with pytest.raises(PacketError, match="No space left on device"):
        desk.save_draft("P-2", {"impact": 2}, "lost")
    assert packet.read_bytes() == before and desk.my_review("P-2") is None
    assert [p.name for p in packet.parent.glob(f".{packet.name}*")] == []  # no temporary file left behind


@pytest.mark.parametrize("content, message", [
    (b"{not json", "unreadable JSON at line 1, column 2"),
    (b'{"format": "spreadsheet"}', "not a review packet"),
    (b"\xff\xfe", "not UTF-8 text"),
])
def test_the_desk_refuses_a_file_that_is_not_a_packet_naming_it(tmp_path, content, message):
    path = tmp_path / "odd.genesis-review"
    path.write_bytes(content)
    with pytest.raises(PacketError, match=message) as err:
        PacketDesk(path)
    assert str(path) in str(err.value)


def test_the_desk_refuses_a_packet_whose_issued_part_was_edited(packet):
    edit(packet, lambda d: d["issued"]["proposals"][0].update(title="Better title"))
    with pytest.raises(PacketError, match="does not match the packet's digest"):
        PacketDesk(packet)


def _abstract(d):
    d["issued"]["proposals"][1]["abstract"] = "rewritten"


def _email(d):
    d["issued"]["reviewer"]["email"] = "bob@x.org"


def _digest(d):
    d["digest"] = "sha256:" + "0" * 64


def _packet_id(d):
    d["issued"]["packet"] = "00000000-0000-4000-8000-000000000000"


def _extra_code(d):
    d["reviews"]["P-3"] = {"state": "draft", "scores": {}, "comments": "", "updated_at": None,
                           "submitted_at": None, "versions": []}


@pytest.mark.parametrize("tamper, message", [
    (_abstract, "the packet was altered after it was issued"),
    (_email, "the packet was altered after it was issued"),
    (_digest, "the packet was altered after it was issued"),
    (_packet_id, "was not issued by this portfolio"),
    (_extra_code, "reviews.P-3: 'P-3' is not a proposal of this packet"),
])
def test_an_altered_packet_is_refused_and_the_database_is_unchanged(panel, packet, tamper, message):
    PacketDesk(packet).submit("P-2", {"impact": 5, "risk": 1}, "fine")
    edit(packet, tamper)
    before = tables(panel)
    with pytest.raises(PacketError, match=message) as err:
        import_packet(panel, packet, "officer")
    assert str(packet) in str(err.value)
    assert tables(panel) == before


def test_a_proposal_no_longer_assigned_and_scores_off_the_rubric_are_all_named(panel, packet):
    desk = PacketDesk(packet)
    desk.save_draft("P-2", {"impact": 3}, "")
    desk.save_draft("P-1", {"merit": 2}, "")
    edit(packet, lambda d: d["reviews"]["P-1"]["scores"].update(merit=12))  # by hand, past the desk's rules
    with panel.session() as s, s.begin():
        s.execute(delete(ReviewAssignment).where(ReviewAssignment.proposal_id == s.scalar(
            select(Proposal.id).where(Proposal.code == "P-2"))))
    before = tables(panel)
    with pytest.raises(PacketError) as err:
        import_packet(panel, packet, "officer")
    text = str(err.value)
    assert text.startswith(f"{packet}: the packet cannot be imported (2 problems)")
    assert "proposal P-2: no longer assigned to ann@x.org" in text
    assert "proposal P-1, scores.merit: 12 is outside the scale 1 to 9 (rule: the call's rubric" in text
    assert tables(panel) == before


def test_a_submitted_review_is_locked_but_the_identical_one_and_a_revision_come_in(panel, packet):
    PacketDesk(packet).submit("P-1", FULL, "offline")
    online = DatabaseReviewerDesk(panel, "ann@x.org")
    online.submit("P-1", {**FULL, "merit": 7}, "online")  # submitted in the portfolio meanwhile
    before = tables(panel)
    with pytest.raises(PacketError, match=r"proposal P-1: the review was submitted in the portfolio at .* locked"):
        import_packet(panel, packet, "officer")
    assert tables(panel) == before

    fresh = packet.with_name("fresh.genesis-review")
    export_packet(panel, "ann@x.org", fresh, "officer")  # it carries the submitted review
    assert import_packet(panel, fresh, "officer").unchanged == ("P-1",)
    PacketDesk(fresh).revise("P-1", {**FULL, "merit": 6}, "online, softened", "Re-read the methods section")
    report = import_packet(panel, fresh, "officer")
    assert (report.updated, report.versions_added) == (("P-1",), 1)
    assert online.my_review("P-1").scores["merit"] == 6
    assert [(v.version, v.scores["merit"], v.reason) for v in online.history("P-1")] == [
        (1, 7, "Re-read the methods section")]


def test_work_changed_on_both_sides_is_refused_and_untouched_packet_work_never_overwrites(panel, packet):
    online = DatabaseReviewerDesk(panel, "ann@x.org")
    online.save_draft("P-1", {"merit": 5}, "online draft")  # after the packet left
    PacketDesk(packet).save_draft("P-2", {"impact": 2}, "offline")  # P-1 untouched in the packet
    report = import_packet(panel, packet, "officer")
    assert (report.created, report.stale) == (("P-2",), ("P-1",))
    assert online.my_review("P-1").comments == "online draft"  # the newer work stays

    PacketDesk(packet).save_draft("P-1", {"merit": 1}, "offline draft")  # now changed on both sides
    before = tables(panel)
    with pytest.raises(PacketError, match="proposal P-1: the review was changed at .* in the portfolio after the "
                                          "packet left, and the packet changed it too"):
        import_packet(panel, packet, "officer")
    assert tables(panel) == before


def test_a_packet_for_another_reviewer_and_a_check_only_run_write_nothing(panel, packet):
    PacketDesk(packet).save_draft("P-2", {"impact": 4}, "")
    before = tables(panel)
    with pytest.raises(PacketError, match="the packet was issued to ann@x.org, not to bob@x.org"):
        import_packet(panel, packet, "officer", reviewer="bob@x.org")
    report = verify_packet(panel, packet, reviewer="ANN@x.org")
    assert report.checked_only and report.created == ("P-2",) and report.updated == ()
    assert tables(panel) == before
    assert read_packet(packet)["reviews"]["P-2"]["scores"] == {"impact": 4}


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(state="final"), "reviews.P-1.state: 'final' is not 'draft' or 'submitted'"),
    (lambda r: r["scores"].update(merit="2"), "reviews.P-1.scores.merit: '2' is not a whole number"),
    (lambda r: r.update(updated_at="2026-06-01T10:00:00+02:00"), "reviews.P-1.updated_at: '2026-06-01T10:00:00"
                                                                 r"\+02:00' is not a time \(ISO 8601, UTC\)"),
    (lambda r: r.update(state="submitted"), "reviews.P-1.submitted_at: a submitted review needs the time"),
])
def test_a_hand_edited_review_is_refused_naming_the_field_and_value(panel, packet, change, message):
    edit(packet, lambda d: change(d["reviews"]["P-1"]))
    before = tables(panel)
    for attempt in (lambda: PacketDesk(packet), lambda: import_packet(panel, packet, "officer")):
        with pytest.raises(PacketError, match=message) as err:
            attempt()
        assert str(err.value).startswith(f"{packet}: not a usable review packet")
    assert tables(panel) == before
