"""The selection and robustness kernels on the demo: one solve as a job gives what solve gives, an
impossible one its reasons; robustness through the real local runner gives shares in [0, 1] with core,
borderline and exterior as the shares say, the same result for the same seed, the calibration kernel's
own fit, a cancel seen between solves; its result and a risk job's summary are kept in the scenario's
result only when they answer it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.compute.kernel import SpecError, Stopped, metrics_to, stop_when
from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.compute.testing import reference_result, wait_for
from genesis_desktop.decisions import kernel_selection
from genesis_desktop.decisions.kernel_selection import ROBUSTNESS, SELECTION
from genesis_desktop.decisions.scenario_jobs import (params_for, record_risk, record_robustness,
                                                     risk_params_for_scenario, scenario_params)
from genesis_desktop.decisions.scenarios import (ScenarioError, ScenarioSpec, default_spec, load_scenario,
                                                 save_scenario, scenario_inputs, solve_scenario)
from genesis_desktop.decisions.selection import solve
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.kernel_calibration import fitted_model as calibration_model

CALL = "DE-FOA-0003612"


def tight_spec(store, share=0.45, **over) -> ScenarioSpec:
    data = default_spec(store, CALL).to_json()
    data["budgets"] = {y: b * share for y, b in data["budgets"].items()}
    return ScenarioSpec.from_json({**data, "rates": {"on": "2026-06-15"}, **over})


@pytest.fixture
def demo(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(150))}")
    save_scenario(store, "tight", tight_spec(store), "ann")
    solve_scenario(store, "tight", "ann")
    yield store
    store.close()


@pytest.fixture
def local(demo):
    jobs = JobStore(demo.engine)
    backend = registry.load(registry.find("local"), jobs)
    yield jobs, backend
    backend.close()


def run_job(local, kernel, params, seed=7, workers=2):
    jobs, backend = local
    spec = service.make_spec(kernel, params, seed=seed, resources=Resources(workers=workers))
    job_id = jobs.create_job(spec, backend=backend.name)
    backend.submit(spec, job_id)
    record = service.follow(jobs, backend, job_id, poll_s=0.05)
    assert record.state is JobState.COMPLETED, record.error
    return spec, job_id, record


def test_the_selection_kernel_solves_as_solve_does_and_explains_an_impossible_problem(demo):
    params = SELECTION.prepare(scenario_params(demo, "tight", "selection"))
    assert SELECTION.prepare(json.loads(json.dumps(params))) == params, "prepare is idempotent on its JSON"
    metrics = []
    with metrics_to(lambda *m: metrics.append(m)):
        result = SELECTION.combine(params, [SELECTION.run_block(params, 0, 0)])
    _, stored = load_scenario(demo, "tight")
    _, inputs = scenario_inputs(demo, "tight")
    direct = solve(inputs.problem)
    assert result["chosen"] == stored["chosen"] == [c for c, x in zip(inputs.context.codes, direct.chosen) if x]
    assert result["objective"] == pytest.approx(direct.objective) and result["status"] == "optimal"
    assert result["scenario"] == "tight" and result["call"] == CALL and result["reasons"] == []
    assert [m[0] for m in metrics] == ["objective", "bound", "solve seconds"] and metrics[0][1] == pytest.approx(direct.objective)
    impossible = {**params, "problem": {**params["problem"], "budget": [0.0] * len(params["problem"]["years"]),
                                        "forced_in": [0]}}
    refused = SELECTION.combine(impossible, [SELECTION.run_block(SELECTION.prepare(impossible), 0, 0)])
    assert refused["status"] == "infeasible" and refused["chosen"] == []
    assert any(r.startswith("FY") and "budget" in r for r in refused["reasons"]), refused["reasons"]


@pytest.mark.parametrize("change, message", [
    ({"problem": {"codes": ["P-1"]}}, "problem: must be an object of exactly codes, value, cost"),
    ({"time_limit": -1}, "time_limit: -1 must be seconds > 0"),
    ({"mip_rel_gap": 1}, "mip_rel_gap: 1 must be a number from 0 to below 1"),
    ({"surprise": 1}, r"selection: unknown parameters \['surprise'\]"),
])
def test_bad_selection_parameters_are_named(demo, change, message):
    params = {**scenario_params(demo, "tight", "selection"), **change}
    with pytest.raises(SpecError, match=message):
        SELECTION.prepare(params)


def test_bad_problem_fields_are_named(demo):
    params = scenario_params(demo, "tight", "selection")
    broken = {**params["problem"], "coverage": [{"name": "x", "members": [10_000], "min_count": 1, "min_money": 0}]}
    with pytest.raises(SpecError, match=r"problem.coverage\[0\].members: \[10000\] must be proposal indices"):
        SELECTION.prepare({**params, "problem": broken})
    with pytest.raises(SpecError, match="problem: budget"):
        SELECTION.prepare({**params, "problem": {**params["problem"], "budget": [1.0]}})


@pytest.mark.parametrize("change, message", [
    ({"draws_per_block": 70}, "draws_per_block: 70 must be a multiple of 50"),
    ({"draws": 0}, "draws: 0 must be a whole number >= 1"),
    ({"objective": "fame"}, "objective: 'fame' must be one of merit, merit_money, count"),
    ({"merit": [0.5]}, "merit: must be 47 finite numbers, one per proposal of the problem"),
    ({"calibration": {"reviews": []}}, r"^calibration: parameters \['call', 'currency', 'budget', 'costs', 'scale'\]"),
    ({"calibration": {"call": "C", "currency": "USD", "budget": 0, "costs": {"P-1": 0}, "scale": {"low": 1, "high": 9,
                                                                                            "best": "low"},
                      "reviews": []}}, "^calibration.reviews: the calibration cannot be fitted: calibration needs at least 2"),
    ({"calibration": {"colour": 1}}, "calibration: must be an object of call, currency, budget"),
])
def test_bad_robustness_parameters_are_named(demo, change, message):
    params = {**scenario_params(demo, "tight", "robustness"), **change}
    with pytest.raises(SpecError, match=message):
        ROBUSTNESS.prepare(params)


def test_robustness_through_the_local_runner(demo, local):
    params = params_for(demo, "robustness", {"scenario": "tight", "draws": 100})
    assert params["draws"] == 100 and params["draws_per_block"] == 50 and params["objective"] == "merit"
    spec, job_id, record = run_job(local, "robustness", params)
    result = record.result
    # What this process computes from the same blocks; the objective's figures only to rounding, as BLAS
    # may use several threads here and one in a worker (the draws then differ in their last bits).
    reference = reference_result(spec)
    assert result["objective"] == pytest.approx(reference.pop("objective"), rel=1e-12)
    assert {k: v for k, v in result.items() if k != "objective"} == reference
    share = result["share"]
    codes = scenario_inputs(demo, "tight")[1].context.codes
    assert sorted(share) == sorted(codes) and all(0.0 <= s <= 1.0 for s in share.values())
    assert result["core"] == [c for c in share if share[c] >= 0.9]
    assert result["exterior"] == [c for c in share if share[c] < 0.1]
    assert result["borderline"] == [c for c in share if 0.1 <= share[c] < 0.9]
    assert sorted(result["core"] + result["borderline"] + result["exterior"]) == sorted(codes)
    assert result["borderline"], "at 45% of the budget some proposals depend on the draw"
    assert list(share.values()) == sorted(share.values(), reverse=True)
    assert result["draws"] == 100 and result["scored"] > 0 and result["time_limited"] == 0
    metrics = [e.payload for e in local[0].telemetry(job_id) if e.kind is Kind.METRIC]
    assert sorted(m["step"] for m in metrics if m["name"] == "objective") == list(range(1, 101)), "one per solve"
    assert len([m for m in metrics if m["name"] == "solve seconds"]) == 100
    estimates = [e.payload for e in local[0].telemetry(job_id) if e.kind is Kind.ESTIMATE]
    assert estimates[-1]["samples"] == 100 and estimates[-1]["value"] == pytest.approx(result["objective"]["mean"])
    # The same seed gives the same result; another seed other draws.
    assert run_job(local, "robustness", params, workers=1)[2].result == result
    assert run_job(local, "robustness", params, seed=8)[2].result["share"] != share
    # The model is the calibration kernel's own fit, cached once for the process.
    robust = kernel_selection._robust(spec.params)
    assert robust.model is calibration_model(spec.params["calibration"])

    entry = record_robustness(demo, "tight", job_id, result)
    assert entry == {"job": job_id, "draws": 100, "share": share, "core": result["core"],
                     "borderline": result["borderline"], "exterior": result["exterior"]}
    assert load_scenario(demo, "tight")[1]["robustness"] == entry
    # Solved again on another spec, the old run no longer answers it.
    save_scenario(demo, "tight", tight_spec(demo, share=0.3), "ann")
    solve_scenario(demo, "tight", "ann")
    with pytest.raises(ScenarioError, match=f"job {job_id} solved another problem than scenario 'tight'"):
        record_robustness(demo, "tight", job_id, result)
    assert load_scenario(demo, "tight")[1]["robustness"] is None


def test_robustness_uses_the_latest_calibration_run_and_its_draws(demo, local):
    from genesis_desktop.review.job_inputs import calibration_params

    _, cal_id, cal = run_job(local, "calibration", {**calibration_params(demo, CALL), "draws": 50,
                                                   "draws_per_block": 50})
    solve_scenario(demo, "tight", "ann")
    params = ROBUSTNESS.prepare(scenario_params(demo, "tight", "robustness"))
    assert all(params["calibration"][k] == cal.spec.params[k] for k in params["calibration"])
    robust, fitted = kernel_selection._robust(params), calibration_model(cal.spec.params)
    assert robust.model.codes == fitted.codes, "the run's model: the same proposals, reviewers and reviews"
    assert np.allclose(robust.model.cal.quality_mean, fitted.cal.quality_mean, rtol=0, atol=1e-12)
    # Merit at the posterior mean is what the scenario solved with.
    _, stored = load_scenario(demo, "tight")
    by_code = {p["code"]: p["calibrated_total"] for p in cal.result["proposals"]}
    scored = [p for p in stored["proposals"] if p["code"] in by_code and p["merit"] > 0]
    assert scored and all(p["merit"] == pytest.approx(np.clip((9 - by_code[p["code"]]) / 8, 0, 1)) for p in scored)
    values = robust.values(seed=3, first=0, stop=50)
    assert values.shape == (50, len(stored["proposals"])) and ((0 <= values) & (values <= 1)).all()
    assert values.std(axis=0)[robust.scored].min() > 0, "every scored proposal's merit moves with the draws"


def test_a_cancel_is_seen_between_solves(demo, local):
    params = ROBUSTNESS.prepare(params_for(demo, "robustness", {"scenario": "tight", "draws": 100}))
    asked = []
    with stop_when(lambda: asked.append(1) or len(asked) > 3), metrics_to(lambda *m: None):
        with pytest.raises(Stopped):
            ROBUSTNESS.run_block(params, 1, 0)
    assert len(asked) == 4, "asked before each solve, stopped before the fourth"

    jobs, backend = local
    long = {**params, "draws": 20_000, "draws_per_block": 50}
    spec = service.make_spec("robustness", long, seed=1, resources=Resources(workers=1))
    job_id = jobs.create_job(spec, backend=backend.name)
    backend.submit(spec, job_id)
    wait_for(lambda: any(e.kind is Kind.METRIC for e in jobs.telemetry(job_id)), 60, what="a first solve")
    service.cancel(jobs, job_id)
    assert wait_for(lambda: (s := jobs.get(job_id).state).is_final and s, 10) is JobState.CANCELED
    assert jobs.get(job_id).result is None


def test_a_risk_run_of_the_chosen_portfolio_is_summarised_in_the_scenario(demo, local):
    _, stored = load_scenario(demo, "tight")
    params = risk_params_for_scenario(demo, "tight", scenarios=65_536)
    spec, _ = load_scenario(demo, "tight")
    _, inputs = scenario_inputs(demo, "tight")
    c = inputs.context
    chosen = np.isin(c.codes, stored["chosen"])
    assessed = {p["code"] for p in params["proposals"]}
    assert set(stored["chosen"]) <= assessed and params["sources"]["scenario"] == "tight"
    for year, budget in zip(params["fiscal_years"], params["budgets"]):
        held = c.reserve[chosen, c.years.index(year)].sum() + c.committed_reserve[year]
        assert budget == pytest.approx(max(0.0, spec.budgets[year] - held)), year
    _, job_id, record = run_job(local, "risk", params)
    entry = record_risk(demo, "tight", job_id, record.result)
    summary = entry["summary"]
    assert entry["job"] == job_id and load_scenario(demo, "tight")[1]["risk"] == entry
    assert summary["expected_cost"] == record.result["expected_cost"]["estimate"]
    assert 0 <= summary["p_within_all_budgets"] <= 1 and set(summary["p_within_budget_by_year"]) == \
        {f"FY{y}" for y in params["fiscal_years"]}
    with pytest.raises(ScenarioError, match="is a risk job, not robustness"):
        record_robustness(demo, "tight", job_id, {**record.result, "share": {}, "core": [], "borderline": [],
                                                  "exterior": [], "draws": 1})
    with pytest.raises(ScenarioError, match="it is not a risk result"):
        record_risk(demo, "tight", job_id, {"currency": "USD"})


def test_params_for_leaves_other_kernels_alone_and_names_unknown_scenarios(demo):
    assert params_for(demo, "pi", {"blocks": 3}) == {"blocks": 3}
    assert params_for(demo, "selection", {"problem": 1}) == {"problem": 1}, "no scenario: nothing to fill in"
    assert params_for(demo.engine, "selection", {"scenario": "tight", "time_limit": 5})["time_limit"] == 5
    with pytest.raises(ScenarioError, match="scenario: no scenario named 'nope'"):
        params_for(demo, "robustness", {"scenario": "nope"})
