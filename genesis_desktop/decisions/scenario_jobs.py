"""A scenario's compute jobs: the selection and robustness kernels' parameters from a saved scenario,
the risk kernel's for its chosen portfolio, and the robustness and risk results kept in its result.

A job's result is recorded only into the result it answers: a robustness run must have solved the
same problem (the same proposals with the same values and costs) as the stored selection, and a
risk run must have assessed its chosen and awarded proposals; otherwise the scenario or the records
changed since, and the run is refused so that no result describes another portfolio.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from genesis_desktop.compute.jobstore import JobStore, UnknownJob
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal, ProposalStatus
from genesis_desktop.portfolio.risk_inputs import risk_params_from_portfolio
from genesis_desktop.portfolio.store import Store

from .scenario_spec import ScenarioError, ScenarioSpec
from .scenarios import load_scenario, scenario_inputs, update_result
from .selection_json import problem_to_json

SCENARIO_KERNELS = ("selection", "robustness")
DEFAULT_DRAWS = 200
RISK_SUMMARY = ("expected_cost", "expected_value", "p_within_all_budgets", "value_at_risk",
                "conditional_value_at_risk")


def scenario_params(store, scenario_name: str, kernel: str, today: date | None = None) -> dict[str, Any]:
    """The `selection` or `robustness` kernel's parameters for the scenario as the records are now
    (not yet prepared: service.make_spec checks them)."""
    if kernel not in SCENARIO_KERNELS:
        raise ScenarioError(f"kernel: {kernel!r} does not solve scenarios; one of {', '.join(SCENARIO_KERNELS)}")
    spec, inputs = scenario_inputs(store, scenario_name, today)
    params: dict[str, Any] = {"scenario": scenario_name, "call": spec.call,
                              "problem": problem_to_json(inputs.problem), "time_limit": None, "mip_rel_gap": 0.0}
    if kernel == "robustness":
        c = inputs.context
        params.update({"objective": spec.objective, "merit": c.merit.tolist(), "money": c.money.tolist(),
                       "calibration": c.calibration, "draws": DEFAULT_DRAWS, "draws_per_block": 50})
    return params


def params_for(store, kernel: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """For `genesis run selection|robustness --param scenario=NAME`: the scenario's parameters, then the
    other `params` over them (draws=..., time_limit=...). Other kernels get `params` back as they are."""
    params = dict(params)
    if kernel not in SCENARIO_KERNELS or "scenario" not in params:
        return params
    derived = scenario_params(_as_store(store), str(params.pop("scenario")), kernel)
    derived.update(params)
    return derived


def _as_store(source):
    """A portfolio Store over `source`: a Store as it is, else over its engine (the CLI holds a JobStore)."""
    if hasattr(source, "session"):
        return source
    engine = getattr(source, "engine", source)
    return Store(engine.url.render_as_string(hide_password=False), engine, sessionmaker(engine, expire_on_commit=False))


def record_robustness(store, name: str, job_id: int, result: Mapping[str, Any]) -> dict[str, Any]:
    """Keep a completed robustness job's result in the scenario's result (field `robustness`); the
    stored entry. Refused when the job did not solve the problem of the stored selection."""
    for key in ("share", "core", "borderline", "exterior", "draws"):
        if key not in result:
            raise ScenarioError(f"job {job_id}: its result has no {key!r}; it is not a robustness result")
    entry = {"job": int(job_id), "draws": int(result["draws"]), "share": dict(result["share"]),
             "core": list(result["core"]), "borderline": list(result["borderline"]),
             "exterior": list(result["exterior"])}

    problem = _job(store, job_id, "robustness").spec.params["problem"]

    def same_problem(spec: ScenarioSpec, stored: dict) -> None:
        if result.get("scenario") not in (None, name):
            raise ScenarioError(f"job {job_id} ran for scenario {result['scenario']!r}, not {name!r}")
        if not _solved_problem(stored, problem):
            raise ScenarioError(f"job {job_id} solved another problem than scenario {name!r}'s stored selection "
                                "(the scenario or the records changed since): solve it and run robustness again")
    update_result(store, name, "robustness", entry, same_problem)
    return entry


def _job(store, job_id: int, kernel: str):
    """The job's record; ScenarioError unless it is a job of `kernel` in this portfolio's database."""
    try:
        record = JobStore(store.engine).get(int(job_id))
    except UnknownJob as err:
        raise ScenarioError(f"job: {err}") from None
    if record.spec.kernel != kernel:
        raise ScenarioError(f"job {job_id} is a {record.spec.kernel} job, not {kernel}")
    return record


def _solved_problem(stored: dict, problem: Mapping[str, Any]) -> bool:
    """Whether the stored result was solved from `problem`: the same proposals with the same values and
    costs, budgets, committed money, coverage, caps and forced choices (what the result records of them)."""
    rows, years = stored["proposals"], [str(y) for y in problem["years"]]
    if [p["code"] for p in rows] != list(problem["codes"]) or years != [str(y) for y in stored["years"]]:
        return False
    limited = [k for k, y in enumerate(years) if stored["budget"][y] is not None]
    forced_in = [i for i, p in enumerate(rows) if p["forced"] == "in"]
    forced_out = [i for i, p in enumerate(rows) if p["forced"] == "out"]
    rules = lambda kind, keys: [[r[k] for k in keys] for r in problem[kind]]  # noqa: E731
    close = lambda a, b: bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=1e-6))  # noqa: E731
    return (close([p["value"] for p in rows], problem["value"])
            and close([[p["cost"][y] for y in years] for p in rows], problem["cost"])
            and close([stored["budget"][years[k]] for k in limited], [problem["budget"][k] for k in limited])
            and close([stored["committed"][y] for y in years], problem["committed"])
            and [[c["name"], c["required_count"], c["required_money"]] for c in stored["coverage"]]
            == rules("coverage", ("name", "min_count", "min_money"))
            and [[c["name"], c["max_money"], c["max_count"]] for c in stored["caps"]]
            == rules("caps", ("name", "max_money", "max_count"))
            and forced_in == sorted(problem["forced_in"]) and forced_out == sorted(problem["forced_out"]))


def risk_params_for_scenario(store, name: str, **overrides: Any) -> dict[str, Any]:
    """The risk kernel's parameters (prepared) for the scenario's chosen proposals and the call's
    awarded ones, at the scenario's rates: budgets are the scenario's, less the continuation reserves
    of those proposals (money set aside is not there to absorb overruns); a year the scenario does
    not limit keeps the call's budget spread like its requests (risk_inputs' rule)."""
    spec, result = load_scenario(store, name)
    if result is None:
        raise ScenarioError(f"scenario {name!r} is not solved; solve it first (genesis scenario solve {name})")
    with store.session() as s:
        awarded = list(s.scalars(select(Proposal.code).join(Call, Call.id == Proposal.call_id)
                                 .where(Call.number == spec.call, Proposal.status == ProposalStatus.AWARDED)))
    codes = sorted(set(result["chosen"]) | set(awarded))
    if not codes:
        raise ScenarioError(f"scenario {name!r} chooses nothing and call {spec.call} has no awarded proposal; "
                            "there is no portfolio to assess")
    _, inputs = scenario_inputs(store, name)
    c = inputs.context
    chosen = np.isin(c.codes, result["chosen"])
    reserve = dict(zip(c.years, (c.reserve[chosen].sum(axis=0)).tolist()))
    on = c.rates_on
    derived = risk_params_from_portfolio(store.engine, codes, rates_on=on)
    budgets = {}
    for year, spread in zip(derived["fiscal_years"], derived["budgets"]):
        limit = c.budget.get(year)
        budgets[f"FY{year}"] = spread if limit is None else max(
            0.0, limit - reserve.get(year, 0.0) - c.committed_reserve.get(year, 0.0))
    fx = {ccy: ({**f, "rate": spec.rates.override[ccy]} if ccy in spec.rates.override else f)
          for ccy, f in derived["fx"].items()}
    sources = {**derived["sources"], "scenario": name,
               "budgets": "the scenario's budgets less the continuation reserves of the chosen and awarded proposals"}
    return risk_params_from_portfolio(store.engine, codes, rates_on=on, budgets=budgets, fx=fx, sources=sources,
                                      **overrides)


def record_risk(store, name: str, job_id: int, result: Mapping[str, Any]) -> dict[str, Any]:
    """Keep a short summary of a completed risk job in the scenario's result (field `risk`): the
    estimates of expected cost and value, the chances of staying within budget, VaR and CVaR."""
    missing = [k for k in (*RISK_SUMMARY, "tail_contributions", "currency") if k not in result]
    if missing:
        raise ScenarioError(f"job {job_id}: its result has no {missing}; it is not a risk result")
    summary = {"currency": result["currency"], "scenarios": result.get("scenarios"),
               **{k: float(result[k]["estimate"]) for k in RISK_SUMMARY},
               "p_within_budget_by_year": {y: float(v["estimate"])
                                           for y, v in (result.get("p_within_budget_by_year") or {}).items()}}
    entry = {"job": int(job_id), "summary": summary}
    _job(store, job_id, "risk")

    def same_portfolio(spec: ScenarioSpec, stored: dict) -> None:
        assessed = set(result["tail_contributions"])
        if not set(stored["chosen"]) <= assessed:
            raise ScenarioError(f"job {job_id} did not assess scenario {name!r}'s chosen proposals (it lacks "
                                f"{sorted(set(stored['chosen']) - assessed)[:5]}); run risk for the scenario again")
    update_result(store, name, "risk", entry, same_portfolio)
    return entry
