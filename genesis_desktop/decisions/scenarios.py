"""Saved selection scenarios (docs/decisions.md, "Scenario services"): save, list, load, delete, solve
and compare. Every write is one transaction, and a solve that fails (no selection exists, the records
cannot give the inputs, the scenario was changed meanwhile) leaves the stored scenario as it was.

The spec is checked against the records when it is saved, so that a typo in a code or a lab is
refused then, naming the field; solving checks again, as the records may have changed since.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import null, select

from genesis_desktop.portfolio.base import utcnow
from genesis_desktop.portfolio.decision_records import Scenario
from genesis_desktop.portfolio.programme import Call, Programme

from .scenario_results import build_result, compare
from .scenario_spec import (CapRule, Continuation, CoverageRule, RateAssumptions, ScenarioError,  # noqa: F401
                            ScenarioSpec)
from .selection import solve
from .selection_inputs import ScenarioInputs, build_inputs
from .selection_money import ScenarioRates, spread_call_budget

__all__ = ["ScenarioError", "ScenarioSpec", "CoverageRule", "CapRule", "Continuation", "RateAssumptions",
           "default_spec", "save_scenario", "list_scenarios", "load_scenario", "delete_scenario", "solve_scenario",
           "compare_scenarios", "scenario_inputs"]

MAX_NAME = 120


def default_spec(store, call_number: str, today: date | None = None) -> ScenarioSpec:
    """The call's proposals under review or recommended, by merit, with the call's total budget spread
    over fiscal years like its requests (written out, so that a person sees and edits the figures),
    the default continuation reserve, and the rates of today pinned (so that re-solving gives the same)."""
    on = today or date.today()
    with store.session() as s:
        call = _call(s, call_number)
        currency = s.scalar(select(Programme.reporting_currency).order_by(Programme.id)) or "USD"
        rates = ScenarioRates(s, currency, on, {})
        spread = spread_call_budget(s, call, rates)
    return ScenarioSpec(call=call.number, budgets={y: float(rates.major(v)) for y, v in spread.items() if v},
                        rates=RateAssumptions(on=on))


def save_scenario(store, name: str, spec: ScenarioSpec, who: str, note: str = "",
                  today: date | None = None) -> int:
    """Insert the scenario, or replace the spec of the one of that name (its result is cleared, as it no
    longer answers the spec); its id. Refused, writing nothing, if the records cannot give its inputs."""
    name = _name(name)
    if not isinstance(who, str) or not who.strip():
        raise ScenarioError(f"who: {who!r} must name who saves the scenario")
    if not isinstance(spec, ScenarioSpec):
        spec = ScenarioSpec.from_json(spec)
    build_inputs(store, spec, today)  # the records' check: unknown codes, labs, areas, missing rates
    with store.session() as s, s.begin():
        call = _call(s, spec.call)
        row = s.scalar(select(Scenario).where(Scenario.name == name))
        if row is None:
            row = Scenario(name=name, created_by=who.strip(), call_id=call.id)
            s.add(row)
        row.call_id, row.spec, row.note, row.updated_at = call.id, spec.to_json(), note, utcnow()
        if row.id is not None:  # SQL NULL: a JSON column would store None as the JSON text 'null'
            row.result, row.solved_at = null(), None
        s.flush()
        return row.id


def list_scenarios(store, call_number: str | None = None) -> list[dict[str, Any]]:
    """Every scenario (of the call, when given), by name: name, call, note, who made it and when,
    updated_at, solved_at, and once solved its status, chosen count and value."""
    with store.session() as s:
        stmt = select(Scenario, Call.number).join(Call, Call.id == Scenario.call_id).order_by(Scenario.name)
        if call_number is not None:
            _call(s, call_number)
            stmt = stmt.where(Call.number == str(call_number))
        out = []
        for row, number in s.execute(stmt):
            r = row.result or {}
            out.append({"name": row.name, "call": number, "note": row.note, "created_by": row.created_by,
                        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
                        "solved_at": row.solved_at.isoformat() if row.solved_at else None,
                        "status": r.get("status"), "chosen": len(r["chosen"]) if row.result else None,
                        "value": r.get("value")})
        return out


def load_scenario(store, name: str) -> tuple[ScenarioSpec, dict | None]:
    """(spec, result or None)."""
    with store.session() as s:
        row = _scenario(s, name)
        return ScenarioSpec.from_json(row.spec), row.result


def delete_scenario(store, name: str) -> None:
    with store.session() as s, s.begin():
        s.delete(_scenario(s, name))


def scenario_inputs(store, name: str, today: date | None = None) -> tuple[ScenarioSpec, ScenarioInputs]:
    """The scenario's spec and its selection problem from the records as they are now."""
    spec, _ = load_scenario(store, name)
    return spec, build_inputs(store, spec, today)


def solve_scenario(store, name: str, who: str, time_limit: float | None = None,
                   today: date | None = None) -> dict[str, Any]:
    """Solve the scenario, store its result (replacing the previous one, robustness and risk
    included) and return it. selection.Infeasible (with .reasons) when no selection exists, and
    ScenarioError when the records cannot give the inputs: either way nothing is written."""
    with store.session() as s:
        stamp = _scenario(s, name).updated_at
    spec, inputs = scenario_inputs(store, name, today)
    selection = solve(inputs.problem, time_limit=time_limit)
    result = build_result(spec, inputs, selection, who)
    with store.session() as s, s.begin():
        row = _scenario(s, name)
        if row.updated_at != stamp:  # saved again while it was solved: this result answers the old spec
            raise ScenarioError(f"scenario {name!r} was changed while it was solved; solve it again")
        row.result, row.solved_at = result, utcnow()
    return result


def compare_scenarios(store, names: list[str]) -> dict[str, Any]:
    """See scenario_results.compare: the proposals chosen in some but not all, and per scenario its value,
    count, money by year and by area, and risk."""
    names = list(dict.fromkeys(names))
    results = {}
    with store.session() as s:
        for name in names:
            results[name] = _scenario(s, name).result
    return compare(results)


def update_result(store, name: str, field: str, value: Any, check) -> None:
    """Set one field of the stored result (robustness, risk) in one transaction, after `check(spec,
    result)` accepts it (it raises ScenarioError otherwise); for scenario_jobs."""
    with store.session() as s, s.begin():
        row = _scenario(s, name)
        if row.result is None:
            raise ScenarioError(f"scenario {name!r} is not solved; solve it first (genesis scenario solve {name})")
        check(ScenarioSpec.from_json(row.spec), row.result)
        row.result = {**row.result, field: value}  # a new object, so that the JSON column is written


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ScenarioError(f"name: {name!r} must be text of 1 to {MAX_NAME} characters")
    return name.strip()


def _call(s, call_number: Any) -> Call:
    call = s.scalar(select(Call).where(Call.number == str(call_number)))
    if call is None:
        raise ScenarioError(f"call: no call numbered {str(call_number)!r}")
    return call


def _scenario(s, name: str) -> Scenario:
    row = s.scalar(select(Scenario).where(Scenario.name == name))
    if row is None:
        raise ScenarioError(f"scenario: no scenario named {name!r}; `genesis scenario list` shows them")
    return row
