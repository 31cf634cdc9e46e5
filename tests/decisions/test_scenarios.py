"""Saved scenarios on the demo portfolio: the spec's rules (errors name field, value and rule), save,
list, load and delete, a solve whose stored result round-trips and keeps every budget, coverage and
cap, forced choices honoured, an impossible scenario explained without changing anything, and a
comparison that lists exactly the proposals on which scenarios differ."""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

import genesis_desktop.decisions.scenarios as scenarios
from genesis_desktop.decisions.scenarios import (ScenarioError, ScenarioSpec, compare_scenarios, default_spec,
                                                 delete_scenario, list_scenarios, load_scenario, save_scenario,
                                                 scenario_inputs, solve_scenario)
from genesis_desktop.decisions.selection import Infeasible, check
from genesis_desktop.portfolio.store import open_store

CALL = "DE-FOA-0003612"
RESULT_KEYS = {"call", "currency", "objective", "status", "value", "bound", "seconds", "years", "budget", "spend",
               "committed", "chosen", "proposals", "money_by_area", "coverage", "caps", "rates", "risk", "robustness",
               "notes", "solved_by"}
PROPOSAL_KEYS = {"code", "title", "phase", "area", "challenges", "lead", "cost", "cost_total", "reserve_total",
                 "merit", "value", "chosen", "forced", "why_out"}
ON = date(2026, 6, 15)


@pytest.fixture
def demo(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(150))}")
    yield store
    store.close()


def tight(store, share: float = 0.5, **over) -> ScenarioSpec:
    """The default spec with `share` of each year's budget, so that choices must be made."""
    spec = default_spec(store, CALL, today=ON)
    data = spec.to_json()
    data["budgets"] = {y: b * share for y, b in data["budgets"].items()}
    data.update(over)
    return ScenarioSpec.from_json(data)


@pytest.mark.parametrize("change, message", [
    ({"objective": "fame"}, "objective: 'fame' must be one of merit, merit_money, count"),
    ({"pool": ["awarded"]}, r"pool\[0\]: 'awarded' must be one of submitted, under_review, recommended"),
    ({"pool": []}, r"pool: \[\] must name at least one status"),
    ({"budgets": {"2026": -1}}, "budgets.2026: -1 must be a number >= 0"),
    ({"budgets": {"twenty": 1}}, "budgets: fiscal year must look like FY2026"),
    ({"budgets": {"2026": 1, "FY2026": 2}}, "budgets: FY2026 is given twice"),
    ({"coverage": [{"kind": "lab", "key": "X", "min_count": 1}]}, r"coverage\[0\].kind: 'lab' must be one of"),
    ({"coverage": [{"kind": "area", "key": "energy"}]}, r"coverage\[0\]: area energy asks for nothing"),
    ({"coverage": [{"kind": "area", "key": "energy", "min_count": 1.5}]}, r"coverage\[0\].min_count: 1.5 must be a whole"),
    ({"caps": [{"kind": "lab", "key": "ORNL"}]}, r"caps\[0\]: lab 'ORNL' limits nothing"),
    ({"caps": [{"kind": "lab", "key": "ORNL", "max_money": "lots"}]}, r"caps\[0\].max_money: 'lots' must be a number"),
    ({"continuation": {"share": 1.5}}, "continuation.share: 1.5 must be a number >= 0 and <= 1"),
    ({"continuation": {"multiple": 0}}, "continuation.multiple: 0 must be a number > 0"),
    ({"continuation": {"years": 11}}, "continuation.years: 11 must be a whole number >= 0 and <= 10"),
    ({"forced_in": ["P-1"], "forced_out": ["P-1"]}, r"forced_in: \['P-1'\] are also in forced_out"),
    ({"rates": {"on": "June"}}, "rates.on: 'June' must be a date such as 2026-11-01"),
    ({"rates": {"override": {"YEN": 150}}}, "rates.override: 'YEN': currency must be an ISO 4217 code"),
    ({"rates": {"override": {"JPY": 0}}}, "rates.override.JPY: 0 must be a number > 0"),
    ({"colour": "blue"}, r"spec: unknown fields \['colour'\]"),
])
def test_the_spec_names_field_value_and_rule(change, message):
    with pytest.raises(ScenarioError, match=message):
        ScenarioSpec.from_json({"call": CALL, **change})


def test_the_spec_round_trips_with_its_defaults_written_out():
    spec = ScenarioSpec.from_json({"call": CALL, "budgets": {"FY2027": 5, "2026": 4},
                                   "caps": [{"kind": "lab", "key": "ORNL", "max_count": 2}]})
    data = spec.to_json()
    assert data == {"call": CALL, "objective": "merit", "pool": ["under_review", "recommended"],
                    "budgets": {"2026": 4.0, "2027": 5.0}, "coverage": [],
                    "caps": [{"kind": "lab", "key": "ORNL", "max_money": None, "max_count": 2}],
                    "continuation": {"share": 0.5, "multiple": 3.0, "years": 3}, "forced_in": [], "forced_out": [],
                    "rates": {"on": None, "override": {}}}
    assert ScenarioSpec.from_json(json.loads(json.dumps(data))).to_json() == data


def test_save_list_load_replace_and_delete(demo):
    spec = default_spec(demo, CALL, today=ON)
    assert spec.rates.on == ON and spec.budgets, "the rates' day and the budgets are written out"
    assert sum(spec.budgets.values()) == pytest.approx(293_760_000.00, abs=0.01), "the call's whole budget"
    first = save_scenario(demo, "base", spec, "ann", note="the default")
    assert list_scenarios(demo) == [{**list_scenarios(demo)[0], "name": "base", "call": CALL, "note": "the default",
                                     "created_by": "ann", "solved_at": None, "status": None, "chosen": None,
                                     "value": None}]
    solve_scenario(demo, "base", "bob")
    assert list_scenarios(demo, CALL)[0]["chosen"] > 0
    again = save_scenario(demo, "base", tight(demo), "bob")
    assert again == first, "the same scenario, its spec replaced"
    loaded, result = load_scenario(demo, "base")
    assert loaded.to_json() == tight(demo).to_json() and result is None, "a new spec clears the old result"
    with pytest.raises(ScenarioError, match="call: no call numbered 'NO-CALL'"):
        list_scenarios(demo, "NO-CALL")
    with pytest.raises(ScenarioError, match=r"forced_in: 'P-999999' is not a proposal"):
        save_scenario(demo, "bad", tight(demo, forced_in=["P-999999"]), "ann")
    with pytest.raises(ScenarioError, match="name: ' ' must be text of 1 to 120 characters"):
        save_scenario(demo, " ", spec, "ann")
    assert [r["name"] for r in list_scenarios(demo)] == ["base"], "a refused save writes nothing"
    delete_scenario(demo, "base")
    assert list_scenarios(demo) == []
    with pytest.raises(ScenarioError, match="scenario: no scenario named 'base'"):
        load_scenario(demo, "base")


def test_a_solved_result_round_trips_and_keeps_every_rule(demo):
    spec = tight(demo, coverage=[{"kind": "area", "key": "energy", "min_count": 3}],
                 caps=[{"kind": "lab", "key": "ORNL", "max_count": 1}, {"kind": "institution", "key": "MIT",
                                                                         "max_money": 3e6}])
    save_scenario(demo, "tight", spec, "ann")
    result = solve_scenario(demo, "tight", "ann")
    assert load_scenario(demo, "tight")[1] == json.loads(json.dumps(result, allow_nan=False)), "stored as returned"
    assert set(result) == RESULT_KEYS and all(set(p) == PROPOSAL_KEYS for p in result["proposals"])
    assert result["status"] == "optimal" and result["value"] == pytest.approx(result["bound"], abs=1e-6)
    _, inputs = scenario_inputs(demo, "tight")
    chosen = np.array([p["chosen"] for p in result["proposals"]])
    assert check(inputs.problem, chosen) == [], "every budget, coverage, cap and requirement holds"
    assert result["chosen"] == [p["code"] for p in result["proposals"] if p["chosen"]]
    assert 0 < len(result["chosen"]) < len(result["proposals"]), "the budget forces a choice"
    for y in map(str, result["years"]):
        spent = result["committed"][y] + sum(p["cost"][y] for p in result["proposals"] if p["chosen"])
        assert result["spend"][y] == pytest.approx(spent)
        assert result["budget"][y] is None or result["spend"][y] <= result["budget"][y] + 1e-6
        by_area = sum(m[y] for m in result["money_by_area"].values())
        assert by_area + result["committed"][y] == pytest.approx(result["spend"][y])
    assert result["value"] == pytest.approx(sum(p["value"] for p in result["proposals"] if p["chosen"]))
    for p in result["proposals"]:
        assert sum(p["cost"].values()) == pytest.approx(p["cost_total"] + p["reserve_total"])
        assert (p["why_out"] is None) == p["chosen"], p
    energy, members = result["coverage"][0], inputs.problem.coverage[0].members
    assert energy == {"name": "area energy", "required_count": 3, "funded_count": int((members & chosen).sum()),
                      "required_money": 0.0, "funded_money": pytest.approx(inputs.problem.cost[members & chosen].sum())}
    assert energy["funded_count"] >= 3
    ornl, mit = result["caps"]
    assert ornl["name"] == "lab ORNL" and ornl["used_count"] <= 1 and ornl["max_count"] == 1
    assert mit["name"] == "institution MIT" and mit["used_money"] <= mit["max_money"] == 3e6
    assert result["rates"]["on"] == "2026-06-15" and result["solved_by"] == "ann"
    assert result["risk"] is None and result["robustness"] is None


def test_forced_choices_are_honoured(demo):
    save_scenario(demo, "free", tight(demo), "ann")
    free = solve_scenario(demo, "free", "ann")
    ranked = sorted((p for p in free["proposals"] if p["merit"] > 0), key=lambda p: p["merit"])
    worst_out = next(p["code"] for p in ranked if not p["chosen"])
    best_in = next(p["code"] for p in reversed(ranked) if p["chosen"])
    save_scenario(demo, "forced", tight(demo, forced_in=[worst_out], forced_out=[best_in]), "ann")
    forced = solve_scenario(demo, "forced", "ann")
    by_code = {p["code"]: p for p in forced["proposals"]}
    assert worst_out in forced["chosen"] and by_code[worst_out]["forced"] == "in"
    assert best_in not in forced["chosen"] and by_code[best_in]["forced"] == "out"
    assert by_code[best_in]["why_out"] == "forced out by the scenario"
    assert forced["value"] <= free["value"] + 1e-9, "forcing can only cost value"


def test_an_impossible_scenario_gives_reasons_and_changes_nothing(demo):
    save_scenario(demo, "s", tight(demo), "ann")
    before = solve_scenario(demo, "s", "ann")
    stored = load_scenario(demo, "s")
    with demo.session() as s, s.begin():  # the spec made impossible behind the service's back, as a stale one is
        row = s.scalar(scenarios.select(scenarios.Scenario).where(scenarios.Scenario.name == "s"))
        row.spec = {**row.spec, "coverage": [{"kind": "area", "key": "energy", "min_count": 400, "min_money": 0}]}
        impossible_spec = row.spec
    with pytest.raises(Infeasible) as caught:
        solve_scenario(demo, "s", "bob")
    assert any("Coverage 'area energy' needs 400 funded proposals" in r for r in caught.value.reasons)
    spec, result = load_scenario(demo, "s")
    assert result == before == stored[1] and spec.to_json() == impossible_spec, "nothing was written"
    with pytest.raises(Infeasible, match="FY20"):
        save_scenario(demo, "broke", tight(demo, share=0.0, forced_in=[before["chosen"][0]]), "ann")
        solve_scenario(demo, "broke", "ann")
    assert load_scenario(demo, "broke")[1] is None


def test_compare_lists_exactly_the_proposals_that_differ(demo):
    for name, share in (("wide", 1.0), ("half", 0.5), ("third", 0.33)):
        save_scenario(demo, name, tight(demo, share), "ann")
        solve_scenario(demo, name, "ann")
    results = {n: load_scenario(demo, n)[1] for n in ("wide", "half", "third")}
    data = compare_scenarios(demo, ["wide", "half", "third", "half"])
    chosen = {n: set(r["chosen"]) for n, r in results.items()}
    expected = sorted(set.union(*chosen.values()) - set.intersection(*chosen.values()))
    assert expected and [d["code"] for d in data["differing"]] == expected
    for d in data["differing"]:
        assert d["chosen_in"] == [n for n in results if d["code"] in chosen[n]]
        assert d["left_out_in"] == [n for n in results if d["code"] not in chosen[n]]
    assert data["in_all"] == len(set.intersection(*chosen.values()))
    assert [(s["name"], s["count"], s["value"]) for s in data["scenarios"]] == \
        [(n, len(r["chosen"]), r["value"]) for n, r in results.items()]
    assert data["scenarios"][1]["money_by_area"] == results["half"]["money_by_area"]
    save_scenario(demo, "unsolved", tight(demo), "ann")
    with pytest.raises(ScenarioError, match="scenarios: unsolved is not solved"):
        compare_scenarios(demo, ["wide", "unsolved"])
    with pytest.raises(ScenarioError, match="too few"):
        compare_scenarios(demo, ["wide", "wide"])


def test_a_scenario_saved_again_while_it_is_solved_keeps_the_new_spec(demo, monkeypatch):
    save_scenario(demo, "s", tight(demo), "ann")
    real = scenarios.solve

    def solve_while_someone_saves(problem, **kw):
        save_scenario(demo, "s", tight(demo, 0.4), "bob")
        return real(problem, **kw)
    monkeypatch.setattr(scenarios, "solve", solve_while_someone_saves)
    with pytest.raises(ScenarioError, match="was changed while it was solved; solve it again"):
        solve_scenario(demo, "s", "ann")
    spec, result = load_scenario(demo, "s")
    assert result is None and spec.to_json() == tight(demo, 0.4).to_json()
