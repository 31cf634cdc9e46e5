"""`genesis review ...` end to end on a real SQLite demo portfolio, through cli.main as the command runs
it: assign (a dry run, then saved), calibrate, missing, conflicts, declare and waive, with exit code 2
for bad input and the database unchanged when a command refuses."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from genesis_desktop.compute.tables import job
from genesis_desktop.portfolio.reviews import ConflictWaiver, ReviewAssignment, ReviewConflict
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.reminders import missing_reviews

CALL = "DE-FOA-0003612"


@pytest.fixture
def db(demo_template, demo_copy):
    return f"sqlite:///{demo_copy(demo_template(120))}"


def _count(db, model) -> int:
    store = open_store(db)
    try:
        with store.session() as s:
            return s.scalar(select(func.count()).select_from(model))
    finally:
        store.close()


def test_assign_is_a_dry_run_until_saved_and_never_overwrites_by_surprise(genesis, db):
    code, _, err = genesis("--db", db, "review", "conflicts", "--refresh")
    assert code == 0 and "conflicts in the records" in err
    before = _count(db, ReviewAssignment)
    code, out, err = genesis("--db", db, "review", "assign", "--call", CALL, "--k", "2", "--json")
    assert code == 0, err
    ran = json.loads(out)
    assert ran["state"] == "completed" and ran["saved"] is None and ran["kernel"] == "assignment"
    assert all(len(v) == 2 for v in ran["summary"]["per_proposal"].values())
    assert ran["summary"]["pairs"] == len(ran["result"]["pairs"]) == 2 * ran["summary"]["proposals"]
    assert _count(db, ReviewAssignment) == before, "a dry run writes nothing"

    code, _, err = genesis("--db", db, "review", "assign", "--call", CALL, "--k", "2", "--save")
    assert code == 2 and f"already has {before} review assignments; add --replace" in err
    assert _count(db, ReviewAssignment) == before and _count(db, job) == 1, "refused before running a job"

    code, out, err = genesis("--db", db, "review", "assign", "--call", CALL, "--k", "2", "--save", "--replace",
                             "--by", "officer@doe.gov")
    assert code == 0, err
    assert out.startswith(f"call {CALL}: {ran['summary']['pairs']} assignments")
    assert f"saved {ran['summary']['pairs']} assignments, replacing {before}" in err
    assert _count(db, ReviewAssignment) == ran["summary"]["pairs"]


def test_calibrate_prints_the_ranking_and_its_json(genesis, db):
    code, out, err = genesis("--db", db, "review", "calibrate", "--call", CALL, "--draws", "100", "--seed", "3",
                             "--json")
    assert code == 0, err
    ran = json.loads(out)
    result = ran["result"]
    assert ran["state"] == "completed" and result["draws"] == 100 and result["seed"] == 3
    assert result["call"] == CALL and result["scale"] == {"low": 1, "high": 9, "best": "low"}
    ranked = [p for p in result["proposals"] if p["expected_rank"] is not None]
    assert ranked and all(p["reviews"] > 0 for p in ranked)

    code, out, err = genesis("--db", db, "review", "calibrate", "--call", CALL, "--draws", "100", "--seed", "3")
    assert code == 0, err
    header, columns, first = out.splitlines()[:3]
    assert header.startswith(f"call {CALL}: budget") and "low is best" in header
    assert columns.split()[:3] == ["rank", "code", "raw"]
    assert first.split()[:2] == ["1", ranked[0]["code"]]


def test_missing_lists_what_reminders_finds(genesis, db):
    code, out, _ = genesis("--db", db, "review", "missing", "--call", CALL, "--json")
    assert code == 0
    store = open_store(db)
    try:
        expected = missing_reviews(store, CALL)
    finally:
        store.close()
    assert json.loads(out) == [{"reviewer": o.reviewer, "name": o.name, "proposals": list(o.proposals),
                                "drafts": list(o.drafts)} for o in expected]
    assert expected, "the demo has drafts, so reviews are owed"


def test_declare_and_waive_show_in_the_conflicts(genesis, db):
    code, out, _ = genesis("--db", db, "review", "missing", "--json")
    owed = json.loads(out)[0]
    proposal, email = owed["proposals"][0], owed["reviewer"]
    code, out, err = genesis("--db", db, "review", "declare", proposal, email, "personal", "--reason",
                             "a former student", "--by", "officer@doe.gov", "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "personal"
    code, _, err = genesis("--db", db, "review", "waive", proposal, email, "--reason", "too short", "--by", "o")
    assert code == 2 and "reason: 'too short' is too short" in err
    assert _count(db, ConflictWaiver) == 0
    code, _, err = genesis("--db", db, "review", "waive", proposal, email, "--reason",
                           "the supervision ended fifteen years ago", "--by", "officer@doe.gov")
    assert code == 0, err
    code, out, _ = genesis("--db", db, "review", "conflicts", "--json")
    (row,) = [r for r in json.loads(out) if (r["proposal"], r["reviewer"]) == (proposal, email)]
    assert row["waived"] and row["declared_by"] == "officer@doe.gov"


@pytest.mark.parametrize("argv, message", [
    (["review", "assign", "--call", "DE-FOA-9"], "call: no call numbered 'DE-FOA-9'"),
    (["review", "calibrate", "--call", "DE-FOA-9"], "call: no call numbered 'DE-FOA-9'"),
    (["review", "assign", "--call", CALL, "--k", "70"], "Too few conflict-free reviewers for proposals"),
    (["review", "assign", "--call", CALL, "--bid-weight", "3"], "bid_weight: 3.0 must be a finite number"),
    (["review", "declare", "P-000001", "nobody@x.org", "personal", "--reason", "r", "--by", "o"],
     "reviewer: no reviewer with the e-mail 'nobody@x.org'"),
    (["review", "declare", "P-000001", "nobody@x.org", "grudge", "--reason", "r", "--by", "o"],
     "kind: 'grudge' is not a kind of conflict"),
])
def test_bad_input_exits_2_naming_the_problem_and_changes_nothing(genesis, db, argv, message):
    before = (_count(db, ReviewAssignment), _count(db, ReviewConflict))
    code, _, err = genesis("--db", db, *argv)
    assert code == 2 and message in err, err
    assert (_count(db, ReviewAssignment), _count(db, ReviewConflict)) == before


def test_genesis_run_takes_a_call_and_fills_in_the_rest(genesis, db):
    code, out, err = genesis("--db", db, "run", "calibration", "--param", f"call={CALL}", "--param", "draws=100",
                             "--json")
    assert code == 0, err
    assert json.loads(out)["result"]["call"] == CALL


def test_rubric_is_shown_replaced_and_refused_when_submitted_reviews_would_break_it(genesis, db, tmp_path):
    from genesis_desktop.review.rubric import DEFAULT_RUBRIC

    code, out, _ = genesis("--db", db, "review", "rubric", "--call", CALL)
    assert code == 0 and json.loads(out) == DEFAULT_RUBRIC.to_json()
    # A 1-to-5 scale would make the demo's submitted 6s to 9s meaningless: refused, rubric kept.
    narrower = DEFAULT_RUBRIC.to_json()
    narrower["criteria"][0]["high"] = 5
    narrower["criteria"][0]["labels"] = {k: v for k, v in narrower["criteria"][0]["labels"].items() if int(k) <= 5}
    path = tmp_path / "rubric.json"
    path.write_text(json.dumps(narrower))
    code, _, err = genesis("--db", db, "review", "rubric", "--call", CALL, "--set", str(path))
    assert code == 2 and "submitted review(s) would break it" in err and "merit" in err
    assert json.loads(genesis("--db", db, "review", "rubric", "--call", CALL)[1]) == DEFAULT_RUBRIC.to_json()
    # Reweighting keeps every score valid: accepted, and shown back.
    heavier = DEFAULT_RUBRIC.to_json()
    heavier["criteria"][0]["weight"] = 5.0
    path.write_text(json.dumps(heavier))
    code, out, _ = genesis("--db", db, "review", "rubric", "--call", CALL, "--set", str(path))
    assert code == 0 and json.loads(out)["criteria"][0]["weight"] == 5.0
    path.write_text('{"criteria": []}')
    code, _, err = genesis("--db", db, "review", "rubric", "--call", CALL, "--set", str(path))
    assert code == 2 and str(path) in err and "at least one criterion" in err
    code, out, _ = genesis("--db", db, "review", "rubric", "--call", CALL, "--default")
    assert code == 0 and json.loads(out) == DEFAULT_RUBRIC.to_json()
