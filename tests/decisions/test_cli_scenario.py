"""`genesis scenario ...` and `genesis run selection|robustness --param scenario=NAME` end to end on a
demo portfolio, through cli.main as the command runs it: exit code 2 for bad input and for a scenario
with no selection (each reason on stderr), with the database unchanged when a command refuses."""
from __future__ import annotations

import json

import pytest

from genesis_desktop.decisions.scenarios import load_scenario
from genesis_desktop.portfolio.store import open_store

CALL = "DE-FOA-0003612"


@pytest.fixture
def db(demo_template, demo_copy):
    return f"sqlite:///{demo_copy(demo_template(150))}"


def stored(db, name):
    store = open_store(db)
    try:
        return load_scenario(store, name)
    finally:
        store.close()


def spec_file(tmp_path, genesis, db, name="base", **change) -> str:
    """The named scenario's spec with `change`, written to a file; budgets scaled by `share`."""
    data = json.loads(genesis("--db", db, "scenario", "show", name, "--json")[1])["spec"]
    share = change.pop("share", 1.0)
    data["budgets"] = {y: b * share for y, b in data["budgets"].items()}
    data.update(change)
    path = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_new_show_set_list_and_delete(genesis, db, tmp_path):
    code, _, err = genesis("--db", db, "scenario", "new", "base", "--call", CALL, "--by", "ann")
    assert code == 0 and f"scenario 'base' saved for call {CALL}" in err
    code, out, _ = genesis("--db", db, "scenario", "show", "base", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["spec"]["call"] == CALL and shown["result"] is None and shown["spec"]["budgets"]
    code, _, err = genesis("--db", db, "scenario", "new", "base", "--call", CALL)
    assert code == 2 and "a scenario named 'base' exists" in err

    bad = spec_file(tmp_path, genesis, db, continuation={"share": 2})
    code, _, err = genesis("--db", db, "scenario", "set", "base", bad)
    assert code == 2 and "continuation.share: 2 must be a number >= 0 and <= 1" in err
    code, _, err = genesis("--db", db, "scenario", "new", "other", "--call", "C-9", "--from", bad)
    assert code == 2 and "continuation.share" in err
    unknown = spec_file(tmp_path, genesis, db, caps=[{"kind": "lab", "key": "NOPE", "max_count": 1}])
    code, _, err = genesis("--db", db, "scenario", "set", "base", unknown)
    assert code == 2 and "caps[0].key: 'NOPE' is not an institution code" in err
    assert stored(db, "base")[0].to_json() == shown["spec"], "a refused set leaves the spec"

    half = spec_file(tmp_path, genesis, db, share=0.5)
    assert genesis("--db", db, "scenario", "set", "base", half)[0] == 0
    code, _, err = genesis("--db", db, "scenario", "new", "half", "--call", "OTHER", "--from", half)
    assert code == 2 and "the file is for call 'DE-FOA-0003612', not 'OTHER'" in err
    assert genesis("--db", db, "scenario", "new", "half", "--call", CALL, "--from", half)[0] == 0
    code, out, _ = genesis("--db", db, "scenario", "list", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["base", "half"]
    code, out, _ = genesis("--db", db, "scenario", "list", "--call", CALL)
    assert out.splitlines()[0].split()[:3] == ["base", CALL, "not"]

    assert genesis("--db", db, "scenario", "delete", "half")[0] == 0
    code, _, err = genesis("--db", db, "scenario", "delete", "half")
    assert code == 2 and "no scenario named 'half'" in err
    code, _, err = genesis("--db", db, "scenario", "show", "half")
    assert code == 2 and "no scenario named 'half'" in err


def test_solve_prints_count_value_and_spend_against_budget(genesis, db, tmp_path):
    genesis("--db", db, "scenario", "new", "base", "--call", CALL)
    genesis("--db", db, "scenario", "set", "base", spec_file(tmp_path, genesis, db, share=0.5))
    code, out, err = genesis("--db", db, "scenario", "solve", "base", "--by", "ann")
    assert code == 0, err
    _, result = stored(db, "base")
    lines = out.splitlines()
    assert lines[0].startswith(f"call {CALL}: optimal, {len(result['chosen'])} of {len(result['proposals'])} chosen, "
                               f"value {result['value']:.6g}")
    for y in result["years"]:
        budget = result["budget"][str(y)]
        line = next(x for x in lines if x.strip().startswith(f"FY{y}:"))
        assert f"spend {result['spend'][str(y)]:>16,.0f} of" in line
        assert (f"{budget:,.0f}" if budget is not None else "no limit") in line
    code, out, _ = genesis("--db", db, "scenario", "solve", "base", "--json")
    assert code == 0 and json.loads(out)["chosen"] == result["chosen"]
    assert stored(db, "base")[1] == json.loads(out)


def test_an_impossible_scenario_exits_2_with_its_reasons_and_changes_nothing(genesis, db, tmp_path):
    genesis("--db", db, "scenario", "new", "base", "--call", CALL)
    genesis("--db", db, "scenario", "solve", "base")
    before = stored(db, "base")
    store = open_store(db)  # made impossible behind the service's back, as records changed since would
    try:
        from genesis_desktop.portfolio.decision_records import Scenario

        with store.session() as s, s.begin():
            row = s.query(Scenario).filter_by(name="base").one()
            row.spec = {**row.spec, "coverage": [{"kind": "area", "key": "energy", "min_count": 500}]}
    finally:
        store.close()
    code, out, err = genesis("--db", db, "scenario", "solve", "base")
    assert code == 2 and out == ""
    assert "scenario 'base' has no selection that meets every constraint:" in err
    assert "  - Coverage 'area energy' needs 500 funded proposals" in err
    assert "nothing was stored; the scenario is unchanged" in err
    assert stored(db, "base")[1] == before[1]


def test_compare_lists_the_differing_proposals(genesis, db, tmp_path):
    genesis("--db", db, "scenario", "new", "base", "--call", CALL)
    genesis("--db", db, "scenario", "new", "half", "--call", CALL, "--from", spec_file(tmp_path, genesis, db, share=0.5))
    code, _, err = genesis("--db", db, "scenario", "compare", "base", "half")
    assert code == 2 and "base, half are not solved" in err
    for name in ("base", "half"):
        genesis("--db", db, "scenario", "solve", name)
    a, b = set(stored(db, "base")[1]["chosen"]), set(stored(db, "half")[1]["chosen"])
    code, out, _ = genesis("--db", db, "scenario", "compare", "base", "half", "--json")
    data = json.loads(out)
    assert code == 0 and [d["code"] for d in data["differing"]] == sorted(a ^ b) and a ^ b
    code, out, _ = genesis("--db", db, "scenario", "compare", "base", "half")
    assert f"{len(a & b)} chosen in all; {len(a ^ b)} differ:" in out
    assert sum(line.startswith("  P-") for line in out.splitlines()) == len(a ^ b)


def test_run_selection_and_robustness_for_a_scenario_and_record_the_result(genesis, db, tmp_path):
    genesis("--db", db, "scenario", "new", "base", "--call", CALL)
    genesis("--db", db, "scenario", "set", "base", spec_file(tmp_path, genesis, db, share=0.45))
    genesis("--db", db, "scenario", "solve", "base")
    code, out, err = genesis("--db", db, "run", "selection", "--param", "scenario=base", "--json")
    assert code == 0, err
    ran = json.loads(out)
    assert ran["result"]["chosen"] == stored(db, "base")[1]["chosen"] and ran["result"]["scenario"] == "base"
    code, _, err = genesis("--db", db, "scenario", "record", "base", str(ran["job"]))
    assert code == 2 and "is a selection job; a scenario keeps robustness and risk results" in err

    code, out, err = genesis("--db", db, "run", "robustness", "--param", "scenario=base", "--param", "draws=50",
                             "--json")
    assert code == 0, err
    ran = json.loads(out)
    assert ran["result"]["draws"] == 50 and set(ran["result"]["share"]) == {p["code"] for p in
                                                                           stored(db, "base")[1]["proposals"]}
    code, out, err = genesis("--db", db, "scenario", "record", "base", str(ran["job"]), "--json")
    assert code == 0, err
    assert stored(db, "base")[1]["robustness"] == json.loads(out) and json.loads(out)["job"] == ran["job"]
    code, _, err = genesis("--db", db, "run", "robustness", "--param", "scenario=nope")
    assert code == 2 and "run robustness: scenario: no scenario named 'nope'" in err
    code, _, err = genesis("--db", db, "scenario", "record", "base", "999")
    assert code == 2 and "job 999" in err
