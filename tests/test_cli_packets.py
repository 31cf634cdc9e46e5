"""`genesis review packet export / import` end to end on a real SQLite file: exit code 0 when it is done,
2 with the reason on stderr (and the database unchanged) when it is refused."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from genesis_desktop import cli
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, ReviewPacket
from genesis_desktop.portfolio.schema import Proposal, Reviewer
from genesis_desktop.review.packets import PacketDesk

SCORES = {"merit": 2, "relevance": 3, "team": 2, "feasibility": 4, "ai_platform": 3, "budget": 5}


def genesis(capsys, *argv: str):
    """The command as the shell runs it, through cli.main: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def portfolio(one_call, db_url):
    store = one_call.store
    with store.session() as s, s.begin():
        proposal = Proposal(code="P-1", call_id=one_call.call_id, phase="I", title="Grid",
                            lead_institution_id=one_call.lab_id, principal_investigator="PI")
        ann = Reviewer(email="ann@x.org", name="Ann")
        s.add_all([proposal, ann, Reviewer(email="idle@x.org", name="Idle")])
        s.flush()
        s.add(ReviewAssignment(proposal_id=proposal.id, reviewer_id=ann.id, position=0))
    store.close()  # the command opens the database itself
    return db_url


def _reviews(store_url) -> list[tuple]:
    from genesis_desktop.portfolio.store import open_store

    store = open_store(store_url, create=False)
    try:
        with store.session() as s:
            return [(r.state.value, tuple(sorted(r.scores.items())), r.comments) for r in s.scalars(select(Review))]
    finally:
        store.close()


def test_export_then_import_exit_0_and_the_review_arrives(portfolio, tmp_path, capsys):
    path = tmp_path / "ann.genesis-review"
    code, _out, err = genesis(capsys, "--db", portfolio, "review", "packet", "export", "ann@x.org", str(path),
                              "--by", "officer@doe.gov")
    assert code == 0, err
    assert f"wrote {path}" in err and "1 proposals" in err
    assert json.loads(path.read_text(encoding="utf-8"))["issued"]["issued_by"] == "officer@doe.gov"
    PacketDesk(path).submit("P-1", SCORES, "Convincing")

    code, out, err = genesis(capsys, "--db", portfolio, "review", "packet", "import", str(path), "--check")
    assert code == 0 and "1 reviews created" in out and "nothing was written" in err
    assert _reviews(portfolio) == []

    code, out, err = genesis(capsys, "--db", portfolio, "review", "packet", "import", str(path), "--by", "officer")
    assert code == 0, err
    assert out.startswith("ann@x.org: 1 reviews created, 0 updated, 0 unchanged")
    assert _reviews(portfolio) == [("submitted", tuple(sorted(SCORES.items())), "Convincing")]


def test_refusals_exit_2_with_the_reason_and_change_nothing(portfolio, tmp_path, capsys):
    code, _out, err = genesis(capsys, "--db", portfolio, "review", "packet", "export", "idle@x.org",
                              str(tmp_path / "idle.genesis-review"))
    assert code == 2 and "idle@x.org has no proposals assigned" in err and "no packet was written" in err
    assert not (tmp_path / "idle.genesis-review").exists()

    path = tmp_path / "ann.genesis-review"
    assert genesis(capsys, "--db", portfolio, "review", "packet", "export", "ann@x.org", str(path))[0] == 0
    PacketDesk(path).save_draft("P-1", {"merit": 4}, "so far")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["issued"]["proposals"][0]["title"] = "A better title"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = genesis(capsys, "--db", portfolio, "review", "packet", "import", str(path))
    assert code == 2 and out == ""
    assert f"genesis: {path}: the packet was altered after it was issued" in err
    assert "nothing was imported; the database is unchanged" in err

    code, _out, err = genesis(capsys, "--db", portfolio, "review", "packet", "import", str(tmp_path / "none.json"))
    assert code == 2 and "none.json: no such file" in err
    assert _reviews(portfolio) == []
    from genesis_desktop.portfolio.store import open_store

    store = open_store(portfolio, create=False)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewPacket).where(ReviewPacket.imported_at.isnot(None))) == 0
    store.close()
