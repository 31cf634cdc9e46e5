"""A solved scenario's result as stored (docs/decisions.md, the result JSON), and the comparison of
several. Plain JSON only: floats, ints, text, lists and objects, with years as text keys.

Money conventions, so that the numbers add up: a proposal's `cost` per year is what it takes from
that year's budget (its request plus any continuation reserve), `cost_total` its own request and
`reserve_total` its reserve, so sum(cost) = cost_total + reserve_total. `money_by_area` sums the
chosen proposals' `cost` by the area of their primary challenge ("(none)" without one), so that per
year it adds up, with `committed`, to `spend`. Coverage and caps count money as the optimiser does:
members' whole cost, reserve included. `budget` is null for a year the scenario does not limit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .selection import TOLERANCE, Selection, format_money
from .selection_inputs import ScenarioInputs
from .scenario_spec import ScenarioError, ScenarioSpec

NO_AREA = "(none)"


def build_result(spec: ScenarioSpec, inputs: ScenarioInputs, selection: Selection, solved_by: str) -> dict[str, Any]:
    p, c = inputs.problem, inputs.context
    chosen = np.asarray(selection.chosen, dtype=bool)
    years = [str(y) for y in c.years]
    per_year = lambda row: {y: float(v) for y, v in zip(years, row)}  # noqa: E731
    cost = np.asarray(p.cost, dtype=np.float64)
    total = cost.sum(axis=1)
    why = why_out(inputs, selection)
    forced_in, forced_out = set(p.forced_in), set(p.forced_out)
    proposals = [{
        "code": code, "title": c.titles[i], "phase": c.phases[i], "area": c.areas[i], "challenges": c.challenges[i],
        "lead": c.leads[i], "cost": per_year(cost[i]), "cost_total": float(c.requested[i].sum()),
        "reserve_total": float(c.reserve[i].sum()), "merit": float(c.merit[i]), "value": float(p.value[i]),
        "chosen": bool(chosen[i]), "forced": "in" if i in forced_in else ("out" if i in forced_out else None),
        "why_out": why.get(i)} for i, code in enumerate(c.codes)]
    by_area: dict[str, np.ndarray] = {}
    for i in np.flatnonzero(chosen):
        area = c.areas[i] or NO_AREA
        by_area[area] = by_area.get(area, np.zeros(len(years))) + cost[i]
    return {
        "call": c.call, "currency": c.currency, "objective": c.objective, "status": selection.status,
        "value": float(selection.objective), "bound": float(selection.bound), "seconds": float(selection.seconds),
        "years": list(c.years), "budget": {str(y): b for y, b in c.budget.items()},
        "spend": per_year(selection.spend), "committed": per_year([c.committed[y] for y in c.years]),
        "chosen": [code for code, x in zip(c.codes, chosen) if x],
        "proposals": proposals,
        "money_by_area": {area: per_year(m) for area, m in sorted(by_area.items())},
        "coverage": [{"name": r.name, "required_count": int(r.min_count), "funded_count": int((r.members & chosen).sum()),
                      "required_money": float(r.min_money), "funded_money": float(total[r.members & chosen].sum())}
                     for r in p.coverage],
        "caps": [{"name": r.name, "max_money": None if r.max_money is None else float(r.max_money),
                  "used_money": float(total[r.members & chosen].sum()), "max_count": r.max_count,
                  "used_count": int((r.members & chosen).sum())} for r in p.caps],
        "rates": {"on": c.rates_on.isoformat(), "used": c.rates_used},
        "risk": None, "robustness": None,
        "notes": list(c.notes), "solved_by": solved_by,
    }


def why_out(inputs: ScenarioInputs, selection: Selection) -> dict[int, str]:
    """{index: why it is not funded} for every proposal left out, in words: the rule that forced it
    out, or what funding it as well would break (a year's budget, a cap, a Phase I left out)."""
    p, c = inputs.problem, inputs.context
    chosen = np.asarray(selection.chosen, dtype=bool)
    cost = np.asarray(p.cost, dtype=np.float64)
    total = cost.sum(axis=1)
    tol = TOLERANCE * max(float(np.median(total[total > 0])) if (total > 0).any() else 1.0, 1.0)
    limited = np.array([c.budget[y] is not None for y in c.years])
    # (n, Y) how far each year would go over its budget with the proposal added: one pass for all.
    over = np.asarray(selection.spend)[None, :] + cost - np.asarray(p.budget)[None, :]
    caps_of: dict[int, list[tuple[str, float, int, float | None, int | None]]] = {}
    for cap in p.caps:
        used = cap.members & chosen
        entry = (cap.name, float(total[used].sum()), int(used.sum()), cap.max_money, cap.max_count)
        for i in np.flatnonzero(cap.members & ~chosen).tolist():
            caps_of.setdefault(i, []).append(entry)
    needs: dict[int, list[int]] = {}
    for i, j in p.requires:
        needs.setdefault(i, []).append(j)
    out = {}
    for i in np.flatnonzero(~chosen).tolist():
        if i in c.forced_by_rule:
            out[i] = f"forced out by rule: {c.forced_by_rule[i]}"
            continue
        if i in p.forced_out:
            out[i] = "forced out by the scenario"
            continue
        reasons = [f"FY{y} would be {format_money(over[i, k])} over budget"
                   for k, y in enumerate(c.years) if limited[k] and over[i, k] > tol]
        for name, money, count, max_money, max_count in caps_of.get(i, ()):
            if max_money is not None and money + total[i] > max_money + tol:
                reasons.append(f"{name} would be {format_money(money + total[i] - max_money)} over its money cap")
            if max_count is not None and count + 1 > max_count:
                reasons.append(f"{name} already has its {max_count} proposals")
        reasons += [f"it requires {c.codes[j]}, which is not chosen" for j in needs.get(i, []) if not chosen[j]]
        if not reasons:
            reasons.append("it adds nothing to the objective (merit 0: no reviews)" if p.value[i] <= 0 else
                           "it would fit, but the solver stopped before proving the best selection"
                           if selection.status != "optimal" else "it would fit; left out within the solver's tolerance")
        out[i] = "; ".join(reasons)
    return out


def compare(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The proposals chosen in some but not all of the solved `results` (name -> result), with which
    scenarios have them, and per scenario: value, count, spend and budget by year, money by area, risk."""
    unsolved = [name for name, r in results.items() if r is None]
    if unsolved:
        raise ScenarioError(f"scenarios: {', '.join(unsolved)} {'is' if len(unsolved) == 1 else 'are'} not solved; "
                            "solve them first (genesis scenario solve NAME)")
    if len(results) < 2:
        raise ScenarioError(f"scenarios: {list(results)} are too few; compare at least two")
    titles: dict[str, str] = {}
    chosen = {}
    for name, r in results.items():
        chosen[name] = set(r["chosen"])
        titles.update({p["code"]: p["title"] for p in r["proposals"]})
    every = set.union(*chosen.values())
    common = set.intersection(*chosen.values())
    differing = [{"code": code, "title": titles.get(code, ""),
                  "chosen_in": [n for n in results if code in chosen[n]],
                  "left_out_in": [n for n in results if code not in chosen[n]]} for code in sorted(every - common)]
    return {
        "scenarios": [{"name": name, "call": r["call"], "currency": r["currency"], "objective": r["objective"],
                       "status": r["status"], "value": r["value"], "count": len(r["chosen"]),
                       "budget": r["budget"], "spend": r["spend"], "committed": r["committed"],
                       "money_by_area": r["money_by_area"],
                       "risk": (r.get("risk") or {}).get("summary"),
                       "robustness_job": (r.get("robustness") or {}).get("job")} for name, r in results.items()],
        "in_all": len(common),
        "differing": differing,
    }
