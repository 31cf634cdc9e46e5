"""A SelectionProblem as plain JSON (the selection and robustness kernels' parameters), and back.

Arrays become lists; coverage and cap members become lists of proposal indices (a few per rule,
rather than n booleans). `problem_from_json` checks the shape and `selection.prepare` the values,
so that a bad parameter is refused as a SpecError naming it before any job runs.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from genesis_desktop.compute.kernel import SpecError

from .selection import Cap, Coverage, SelectionProblem, prepare

PROBLEM_KEYS = ("codes", "value", "cost", "years", "budget", "committed", "coverage", "caps", "requires",
                "forced_in", "forced_out")


def problem_to_json(p: SelectionProblem) -> dict[str, Any]:
    return {
        "codes": list(p.codes), "value": [float(v) for v in p.value],
        "cost": np.asarray(p.cost, dtype=np.float64).tolist(), "years": [int(y) for y in p.years],
        "budget": [float(b) for b in p.budget], "committed": [float(c) for c in p.committed],
        "coverage": [{"name": c.name, "members": np.flatnonzero(c.members).tolist(), "min_count": int(c.min_count),
                      "min_money": float(c.min_money)} for c in p.coverage],
        "caps": [{"name": c.name, "members": np.flatnonzero(c.members).tolist(),
                  "max_money": None if c.max_money is None else float(c.max_money),
                  "max_count": None if c.max_count is None else int(c.max_count)} for c in p.caps],
        "requires": [[int(i), int(j)] for i, j in p.requires],
        "forced_in": sorted(int(i) for i in p.forced_in), "forced_out": sorted(int(i) for i in p.forced_out),
    }


def problem_from_json(d: Any, name: str = "problem") -> SelectionProblem:
    """The problem from its JSON; SpecError naming the field when it is not one."""
    if not isinstance(d, Mapping) or set(d) != set(PROBLEM_KEYS):
        got = sorted(d) if isinstance(d, Mapping) else type(d).__name__
        raise SpecError(f"{name}: must be an object of exactly {', '.join(PROBLEM_KEYS)}, got {got}")
    n = len(d["codes"]) if isinstance(d["codes"], list) else -1
    if n < 1:
        raise SpecError(f"{name}.codes: must be a list of at least one proposal code")

    def members(rule: str, k: int, indices: Any) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        if not isinstance(indices, list) or not all(_index(i, n) for i in indices):
            raise SpecError(f"{name}.{rule}[{k}].members: {indices!r:.80} must be proposal indices 0 to {n - 1}")
        mask[indices] = True
        return mask

    try:
        coverage = [Coverage(str(c["name"]), members("coverage", k, c["members"]), c["min_count"], c["min_money"])
                    for k, c in enumerate(_rules(name, "coverage", d["coverage"]))]
        caps = [Cap(str(c["name"]), members("caps", k, c["members"]), c["max_money"], c["max_count"])
                for k, c in enumerate(_rules(name, "caps", d["caps"]))]
        pairs = d["requires"]
        if not isinstance(pairs, list) or not all(isinstance(x, list) and len(x) == 2 for x in pairs):
            raise SpecError(f"{name}.requires: {pairs!r:.80} must be a list of [i, j] pairs")
        for key in ("forced_in", "forced_out"):
            if not isinstance(d[key], list) or not all(_index(i, n) for i in d[key]):
                raise SpecError(f"{name}.{key}: {d[key]!r:.80} must be proposal indices 0 to {n - 1}")
        problem = SelectionProblem(
            codes=[str(c) for c in d["codes"]], value=np.asarray(d["value"], dtype=np.float64),
            cost=np.asarray(d["cost"], dtype=np.float64).reshape(n, -1),
            years=list(d["years"]), budget=np.asarray(d["budget"], dtype=np.float64),
            committed=np.asarray(d["committed"], dtype=np.float64), coverage=coverage, caps=caps,
            requires=[(int(i), int(j)) for i, j in pairs], forced_in=frozenset(d["forced_in"]),
            forced_out=frozenset(d["forced_out"]))
        prepare(problem)
    except SpecError:
        raise
    except (KeyError, TypeError, ValueError) as err:  # selection.prepare's messages name the field
        raise SpecError(f"{name}: {err}") from None
    return problem


def _index(i: Any, n: int) -> bool:
    return isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n


def _rules(name: str, field: str, rules: Any) -> list[dict]:
    keys = {"coverage": {"name", "members", "min_count", "min_money"},
            "caps": {"name", "members", "max_money", "max_count"}}[field]
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) and set(r) == keys for r in rules):
        raise SpecError(f"{name}.{field}: {rules!r:.80} must be a list of {{{', '.join(sorted(keys))}}}")
    return rules
