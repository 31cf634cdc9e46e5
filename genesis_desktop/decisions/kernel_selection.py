"""Portfolio selection as compute jobs: `selection` (one solve) and `robustness` (re-solves over
posterior draws of the calibrated review scores; docs/decisions.md, "Robustness").

selection parameters (plain JSON, made by scenario_jobs.scenario_params):

    scenario, call   names kept with the run (default "")
    problem          the SelectionProblem as JSON (selection_json)
    time_limit       seconds for the solver (null: none); mip_rel_gap 0

robustness parameters: those, and

    objective        merit | merit_money | count: how merit becomes the value of funding a proposal
    merit            [n] each proposal's merit as the scenario has it: kept for those the model does not score
    money            [n] each proposal's whole request (what merit_money weighs merit by)
    calibration      the calibration kernel's inputs {call, currency, budget, costs, fit_only, scale,
                     reviews}: the model is that kernel's own fit, once per process
    draws            200; draws_per_block 50 (a multiple of ranking.DRAW_BLOCK)

Draw d samples every quality jointly with ranking.draw_qualities (stream (seed, d), so the draws are
those of a calibration run of the same seed), turns each calibrated total into merit as the scenario
does (selection_merit.scale_merit), and solves again with those values; a proposal the model does
not score (no reviews) keeps its merit. A proposal's share is the fraction of draws whose optimal
portfolio funds it: core >= 0.9, exterior < 0.1, borderline between.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from genesis_desktop.compute.jobs import whole_number
from genesis_desktop.compute.kernel import Estimate, Partial, SpecError, checkpoint, report_metric
from genesis_desktop.review.kernel_calibration import fitted_model as calibration_model
from genesis_desktop.review.kernel_params import with_defaults
from genesis_desktop.review.ranking import DRAW_BLOCK, draw_qualities

from .selection import Infeasible, solve
from .selection_inputs import objective_value
from .selection_json import problem_from_json
from .selection_merit import CALIBRATION_FIT_KEYS, scale_merit
from .scenario_spec import OBJECTIVES

CORE, EXTERIOR = 0.9, 0.1
STATUS = {"optimal": 0, "time limit": 1}
Z95 = 1.959963984540054
SELECTION_DEFAULTS = {"scenario": "", "call": "", "time_limit": None, "mip_rel_gap": 0.0}
ROBUSTNESS_DEFAULTS = {**SELECTION_DEFAULTS, "objective": "merit", "draws": 200, "draws_per_block": 50}


def _solver_options(p: Mapping[str, Any]) -> dict[str, Any]:
    limit, gap = p["time_limit"], p["mip_rel_gap"]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0):
        raise SpecError(f"time_limit: {limit!r} must be seconds > 0, or null for none")
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not 0 <= gap < 1:
        raise SpecError(f"mip_rel_gap: {gap!r} must be a number from 0 to below 1")
    return {"time_limit": None if limit is None else float(limit), "mip_rel_gap": float(gap)}


def _names(p: Mapping[str, Any]) -> dict[str, str]:
    for key in ("scenario", "call"):
        if not isinstance(p[key], str):
            raise SpecError(f"{key}: {p[key]!r} must be text")
    return {"scenario": p["scenario"], "call": p["call"]}


def problem_sha(problem_json: Mapping[str, Any]) -> str:
    """A fingerprint of the problem a run solved, so that its result is matched to a scenario's."""
    return hashlib.sha256(json.dumps(problem_json, sort_keys=True).encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _problem_of_json(key: str):
    return problem_from_json(json.loads(key))


def _problem(problem_json: Mapping[str, Any]):
    """The problem, parsed once per process (a robustness job solves it hundreds of times)."""
    return _problem_of_json(json.dumps(problem_json, sort_keys=True))


class SelectionKernel:
    name = "selection"
    version = "1"

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        p = with_defaults("selection", params, ("problem",), SELECTION_DEFAULTS)
        _problem(p["problem"])
        return {**_names(p), "problem": p["problem"], **_solver_options(p)}

    def block_count(self, params: Mapping[str, Any]) -> int:
        return 1

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        problem = _problem(params["problem"])
        try:
            sel = solve(problem, params["time_limit"], params["mip_rel_gap"])
        except Infeasible as err:
            return {"reasons": np.array(err.reasons, dtype=str)}
        report_metric("objective", sel.objective, 1)
        report_metric("bound", sel.bound, 1)
        report_metric("solve seconds", sel.seconds, 1)  # not in the result, which the same seed must repeat
        return {"chosen": sel.chosen, "objective": np.array([sel.objective]), "bound": np.array([sel.bound]),
                "spend": np.asarray(sel.spend, dtype=np.float64), "status": np.array([STATUS[sel.status]], np.int8)}

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        (part,) = partials
        problem = params["problem"]
        out = {**_names(params), "problem_sha": problem_sha(problem)}
        if "reasons" in part:
            return {**out, "status": "infeasible", "reasons": [str(r) for r in part["reasons"]], "chosen": [],
                    "objective": None, "bound": None, "spend": None}
        chosen = part["chosen"].astype(bool)
        status = {v: k for k, v in STATUS.items()}[int(part["status"][0])]
        return {**out, "status": status, "reasons": [],
                "chosen": [c for c, x in zip(problem["codes"], chosen) if x],
                "objective": float(part["objective"][0]), "bound": float(part["bound"][0]),
                "spend": {str(y): float(v) for y, v in zip(problem["years"], part["spend"])}}

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        return []


class _Robust:
    """What every block of a robustness job shares: the problem, the fitted model and the mapping from
    the problem's proposals to the model's."""

    def __init__(self, params: Mapping[str, Any]):
        self.problem = _problem(params["problem"])
        try:
            self.model = calibration_model(params["calibration"])
        except SpecError as err:  # named as the calibration kernel names it, under this kernel's field
            text = str(err)
            raise SpecError(text if text.startswith("calibration") else f"calibration.{text}") from None
        n = len(self.problem.codes)
        where = {code: k for k, code in enumerate(self.model.codes)}
        reviewed = self.model.cal.reviews_per_proposal > 0
        scored = [(i, where[c]) for i, c in enumerate(self.problem.codes) if c in where and reviewed[where[c]]]
        self.scored = np.array([i for i, _ in scored], dtype=np.int64)  # problem indices whose merit varies
        self.model_index = np.array([k for _, k in scored], dtype=np.int64)
        self.merit = np.asarray(params["merit"], dtype=np.float64)
        self.money = np.asarray(params["money"], dtype=np.float64)
        self.objective = params["objective"]
        for key, arr in (("merit", self.merit), ("money", self.money)):
            if arr.shape != (n,) or not np.isfinite(arr).all():
                raise SpecError(f"{key}: must be {n} finite numbers, one per proposal of the problem")

    def values(self, seed: int, first: int, stop: int) -> np.ndarray:
        """(stop - first, n) the value of funding each proposal in draws first..stop-1."""
        m = self.model
        quality = draw_qualities(m.cal, seed, first, stop)[:, self.model_index]
        merit = np.repeat(self.merit[None, :], stop - first, axis=0)
        merit[:, self.scored] = scale_merit(m.sign * (m.cal.mu + quality), m.params["scale"])
        return np.stack([objective_value(self.objective, row, self.money) for row in merit])


@lru_cache(maxsize=4)
def _robust_of_json(key: str) -> _Robust:
    return _Robust(json.loads(key))


def _robust(params: Mapping[str, Any]) -> _Robust:
    return _robust_of_json(json.dumps(params, sort_keys=True))


class RobustnessKernel:
    name = "robustness"
    version = "1"

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        p = with_defaults("robustness", params, ("problem", "merit", "money", "calibration"), ROBUSTNESS_DEFAULTS)
        if p["objective"] not in OBJECTIVES:
            raise SpecError(f"objective: {p['objective']!r} must be one of {', '.join(OBJECTIVES)}")
        draws = whole_number("draws", p["draws"], minimum=1, maximum=100_000)
        per_block = whole_number("draws_per_block", p["draws_per_block"], minimum=DRAW_BLOCK, maximum=100_000)
        if per_block % DRAW_BLOCK:
            raise SpecError(f"draws_per_block: {per_block} must be a multiple of {DRAW_BLOCK} (ranking.DRAW_BLOCK), "
                            "so that no block draws what another block draws too")
        cal = p["calibration"]
        if not isinstance(cal, Mapping) or not set(cal) <= set(CALIBRATION_FIT_KEYS):
            raise SpecError(f"calibration: must be an object of {', '.join(CALIBRATION_FIT_KEYS)} (the calibration "
                            f"kernel's inputs), got {sorted(cal) if isinstance(cal, Mapping) else cal!r:.80}")
        prepared = {**_names(p), "objective": p["objective"], "problem": p["problem"], "merit": list(p["merit"]),
                    "money": list(p["money"]), "calibration": dict(cal), "draws": draws,
                    "draws_per_block": per_block, **_solver_options(p)}
        _robust(prepared)  # the problem and the fit are checked (and cached) now
        return prepared

    def block_count(self, params: Mapping[str, Any]) -> int:
        return -(-params["draws"] // params["draws_per_block"])

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        r = _robust(params)
        per_block = params["draws_per_block"]
        first, stop = block * per_block, min(params["draws"], (block + 1) * per_block)
        values = r.values(seed, first, stop)
        n = len(r.problem.codes)
        chosen = np.zeros((stop - first, n), dtype=bool)
        objective = np.zeros(stop - first)
        status = np.zeros(stop - first, np.int8)
        for d in range(stop - first):
            checkpoint()  # a cancel is seen between solves
            # A copy per draw: the parsed problem is cached and shared with other jobs in this process.
            sel = solve(replace(r.problem, value=values[d]), params["time_limit"], params["mip_rel_gap"])
            chosen[d], objective[d], status[d] = sel.chosen, sel.objective, STATUS[sel.status]
            report_metric("objective", sel.objective, first + d + 1)
            report_metric("solve seconds", sel.seconds, first + d + 1)  # timings stay out of the result
        return {"chosen": chosen, "objective": objective, "status": status}

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        r = _robust(params)
        codes = r.problem.codes
        chosen = np.concatenate([p["chosen"] for p in partials])
        objective = np.concatenate([p["objective"] for p in partials])
        share = chosen.mean(axis=0)
        order = sorted(range(len(codes)), key=lambda i: (-share[i], codes[i]))
        sizes = chosen.sum(axis=1)
        return {
            **_names(params), "problem_sha": problem_sha(params["problem"]), "draws": int(len(chosen)),
            "share": {codes[i]: float(share[i]) for i in order},
            "core": [codes[i] for i in order if share[i] >= CORE],
            "borderline": [codes[i] for i in order if EXTERIOR <= share[i] < CORE],
            "exterior": [codes[i] for i in order if share[i] < EXTERIOR],
            "objective": {"mean": float(objective.mean()), "low": float(np.quantile(objective, 0.05)),
                          "high": float(np.quantile(objective, 0.95))},
            "portfolio_size": {"mean": float(sizes.mean()), "min": int(sizes.min()), "max": int(sizes.max())},
            "time_limited": int(sum(int((p["status"] != 0).sum()) for p in partials)),
            "scored": int(len(r.scored)),
        }

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        """The mean value of the optimal portfolio over the draws so far, with its 95% interval."""
        if not partials:
            return []
        objective = np.concatenate([p["objective"] for p in partials])
        mean = float(objective.mean())
        half = Z95 * float(objective.std(ddof=1)) / math.sqrt(len(objective)) if len(objective) > 1 else math.inf
        return [Estimate("portfolio value", mean, mean - half, mean + half, len(objective))]


SELECTION = SelectionKernel()
ROBUSTNESS = RobustnessKernel()
