"""Portfolio selection: the proposals to fund so that their total value is the largest while every
fiscal year's budget, every coverage requirement, every cap, every Phase I -> Phase II dependency and
the officers' forced choices hold.

Qt-free, numpy and scipy only, and pure. Solved exactly as a 0/1 program with scipy.optimize.milp
(HiGHS), so officers get the true optimum rather than a heuristic they would have to second-guess. A
few budget rows make it a multi-dimensional knapsack whose LP relaxation is within 1e-4 of the optimum
with a handful of fractional proposals; HiGHS gets within 1e-4 in seconds, but proving the last
digits over the near-ties of thousands of proposals takes a minute or two at 5,000 (measured in
bench/bench_selection.py), so interactive callers pass `time_limit` or `mip_rel_gap`. When no
selection exists, `selection_explain.explain` says why in words (`Infeasible.reasons`).

Money rows are divided by a money unit (the median proposal's total cost) so that HiGHS sees
coefficients near 1; its absolute tolerances (1e-6) then mean about a millionth of a proposal's
cost, and `check` allows the same round-off. HiGHS also stops once the gap is below 1e-6 in value.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["Cap", "Coverage", "Infeasible", "NoSelectionInTime", "Selection", "SelectionProblem",
           "check", "explain", "format_money", "solve"]

TOLERANCE = 1e-6  # in money units (see the module doc) and in counts


@dataclass
class Coverage:
    """At least min_count funded among members, and at least min_money of their cost (all years)."""
    name: str  # e.g. "challenge GEN-07" / "area quantum"
    members: np.ndarray  # bool (n,)
    min_count: int = 0
    min_money: float = 0.0  # reporting currency, major units


@dataclass
class Cap:
    """At most max_money of the funded members' cost (all years), and/or at most max_count funded."""
    name: str  # e.g. "lab ORNL", "institution MIT", "partner NVIDIA"
    members: np.ndarray  # bool (n,)
    max_money: float | None = None
    max_count: int | None = None


@dataclass
class SelectionProblem:
    codes: list[str]  # n proposal codes, for messages
    value: np.ndarray  # (n,) objective weight of funding each proposal (maximised)
    cost: np.ndarray  # (n, Y) money each proposal takes from each fiscal year (reserves included)
    years: list[int]  # Y fiscal years
    budget: np.ndarray  # (Y,) money available per year
    committed: np.ndarray | None = None  # (Y,) spent by decisions outside the problem; None = zeros
    coverage: list[Coverage] = field(default_factory=list)
    caps: list[Cap] = field(default_factory=list)
    requires: list[tuple[int, int]] = field(default_factory=list)  # (i, j): i only if j (Phase II after I)
    forced_in: frozenset[int] = frozenset()
    forced_out: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.committed is None:
            self.committed = np.zeros(len(self.years))


@dataclass
class Selection:
    chosen: np.ndarray  # bool (n,)
    objective: float  # total value of the chosen
    bound: float  # the solver's dual bound (== objective, to 1e-6, when proved optimal)
    spend: np.ndarray  # (Y,) cost of the chosen + committed per year
    status: str  # "optimal" | "time limit" (with a feasible point)
    seconds: float

    @property
    def gap(self) -> float:
        """Relative distance to the best any selection could reach (0 when optimal)."""
        return (self.bound - self.objective) / max(1.0, abs(self.bound))


class Infeasible(ValueError):
    """No selection meets every constraint; `reasons` says why, each a sentence an officer can act on."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("no selection meets every constraint: " + " ".join(self.reasons))

    def __reduce__(self):  # so that the reasons survive a trip between processes (compute jobs)
        return type(self), (self.reasons,)


class NoSelectionInTime(RuntimeError):
    """The time limit ran out before the solver found any selection (none is known to exist or not)."""


def format_money(amount: float) -> str:
    """Thousands separators; cents only where the amount has them (small test problems)."""
    return f"{amount:,.0f}" if abs(amount - round(amount)) < 0.005 else f"{amount:,.2f}"


@dataclass(frozen=True)
class Prepared:
    """A validated problem as float/bool arrays, shared by solve, check and explain."""
    n: int
    value: np.ndarray
    cost: np.ndarray
    total: np.ndarray  # (n,) cost over all years, what coverage and caps count
    budget: np.ndarray
    committed: np.ndarray
    coverage_members: list[np.ndarray]  # member indices
    cap_members: list[np.ndarray]
    requires: np.ndarray  # (m, 2) int
    forced_in: np.ndarray  # bool (n,)
    forced_out: np.ndarray
    money_unit: float


def _array(name: str, data, shape: tuple[int, ...], what: str, nonnegative: bool) -> np.ndarray:
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: {data!r} must be numbers ({error})") from None  # e.g. ragged lists
    if arr.shape != shape:
        raise ValueError(f"{name}: shape {arr.shape} does not match {what}")
    bad = ~np.isfinite(arr) | ((arr < 0) if nonnegative else False)
    if bad.any():
        at = tuple(int(k) for k in np.argwhere(bad)[0])
        rule = "must be finite and >= 0" if nonnegative else "must be finite"
        raise ValueError(f"{name}: {float(arr[at])!r} at position {at} {rule}")
    return arr


def _members(name: str, data, n: int) -> np.ndarray:
    arr = np.asarray(data)
    if arr.shape != (n,):
        raise ValueError(f"{name}: shape {arr.shape} does not match {n} proposals")
    if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name}: {arr!r} must be true/false per proposal")
    return np.flatnonzero(arr.astype(bool))


def _number(name: str, value, whole: bool, optional: bool = False) -> None:
    if value is None and optional:
        return
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value < 0:
        shown = value.item() if isinstance(value, np.generic) else value
        raise ValueError(f"{name}: {shown!r} must be {'a whole number' if whole else 'a finite amount'} >= 0")


def _indices(name: str, values, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for k in values:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n:
            raise ValueError(f"{name}: {k!r} is not a proposal index (0 to {n - 1})")
        out[k] = True
    return out


def prepare(problem: SelectionProblem) -> Prepared:
    """Validate every field up front; errors name the field, the value and the rule."""
    n, years = len(problem.codes), list(problem.years)
    if not all(isinstance(code, str) for code in problem.codes):
        raise ValueError(f"codes: {problem.codes!r} must be one string per proposal")
    if len(years) == 0 or len(set(years)) != len(years):
        raise ValueError(f"years: {years!r} must be one or more distinct fiscal years")
    value = _array("value", problem.value, (n,), f"{n} proposals", nonnegative=False)
    cost = _array("cost", problem.cost, (n, len(years)), f"{n} proposals x {len(years)} years", nonnegative=True)
    budget = _array("budget", problem.budget, (len(years),), f"{len(years)} years", nonnegative=True)
    committed = _array("committed", problem.committed, (len(years),), f"{len(years)} years", nonnegative=True)
    for k, c in enumerate(problem.coverage):
        _number(f"coverage[{k}] {c.name!r}.min_count", c.min_count, whole=True)
        _number(f"coverage[{k}] {c.name!r}.min_money", c.min_money, whole=False)
    for k, c in enumerate(problem.caps):
        _number(f"caps[{k}] {c.name!r}.max_money", c.max_money, whole=False, optional=True)
        _number(f"caps[{k}] {c.name!r}.max_count", c.max_count, whole=True, optional=True)
    requires = np.zeros((len(problem.requires), 2), dtype=np.int64)
    for k, pair in enumerate(problem.requires):
        if not isinstance(pair, (tuple, list, np.ndarray)) or len(pair) != 2:
            raise ValueError(f"requires[{k}]: {pair!r} must be a pair (i, j)")
        _indices(f"requires[{k}]", pair, n)
        if pair[0] == pair[1]:
            raise ValueError(f"requires[{k}]: {tuple(pair)!r} a proposal cannot require itself")
        requires[k] = pair
    total = cost.sum(axis=1)
    positive = total[total > 0]
    return Prepared(
        n=n, value=value, cost=cost, total=total, budget=budget, committed=committed,
        coverage_members=[_members(f"coverage[{k}] {c.name!r}.members", c.members, n)
                          for k, c in enumerate(problem.coverage)],
        cap_members=[_members(f"caps[{k}] {c.name!r}.members", c.members, n) for k, c in enumerate(problem.caps)],
        requires=requires, forced_in=_indices("forced_in", problem.forced_in, n),
        forced_out=_indices("forced_out", problem.forced_out, n),
        money_unit=max(float(np.median(positive)), 1.0) if positive.size else 1.0,
    )


@dataclass(frozen=True)
class Rows:
    """Every constraint row; money rows in money units. kind[r] and index[r] say what row r is:
    ("budget", year), ("coverage count" | "coverage money", coverage), ("cap money" | "cap count", cap)
    or ("requires", pair)."""
    matrix: sp.csr_array  # (m, n)
    lower: np.ndarray
    upper: np.ndarray
    kind: list[str]
    index: np.ndarray


def build_rows(problem: SelectionProblem, p: Prepared) -> Rows:
    """Assembled as sparse triplets, so 5,000 proposals x a few hundred rows builds in milliseconds."""
    unit, inf = p.money_unit, np.inf
    rows, cols, data, lower, upper, kind, index = [], [], [], [], [], [], []

    def add(members: np.ndarray, coefficients: np.ndarray, lo: float, hi: float, what: str, k: int) -> None:
        rows.append(np.full(len(members), len(lower)))
        cols.append(members)
        data.append(coefficients)
        lower.append(lo), upper.append(hi), kind.append(what), index.append(k)

    for y in range(p.cost.shape[1]):
        spending = np.flatnonzero(p.cost[:, y])
        add(spending, p.cost[spending, y] / unit, -inf, (p.budget[y] - p.committed[y]) / unit, "budget", y)
    for k, (c, members) in enumerate(zip(problem.coverage, p.coverage_members)):
        if c.min_count > 0:
            add(members, np.ones(len(members)), c.min_count, inf, "coverage count", k)
        if c.min_money > 0:
            add(members, p.total[members] / unit, c.min_money / unit, inf, "coverage money", k)
    for k, (c, members) in enumerate(zip(problem.caps, p.cap_members)):
        if c.max_money is not None:
            add(members, p.total[members] / unit, -inf, c.max_money / unit, "cap money", k)
        if c.max_count is not None:
            add(members, np.ones(len(members)), -inf, c.max_count, "cap count", k)
    first, m = len(lower), len(p.requires)
    if m:  # x_i - x_j <= 0, one row per pair, built in one go because Phase II pairs can be many
        rows.append(np.repeat(np.arange(first, first + m), 2))
        cols.append(p.requires.ravel())
        data.append(np.tile([1.0, -1.0], m))
        lower += [-inf] * m
        upper += [0.0] * m
        kind += ["requires"] * m
        index += range(m)
    matrix = sp.csr_array((np.concatenate(data) if data else [], (np.concatenate(rows) if rows else [],
                           np.concatenate(cols) if cols else [])), shape=(len(lower), p.n))
    return Rows(matrix, np.array(lower, dtype=float), np.array(upper, dtype=float), kind, np.array(index, dtype=int))


def solve(problem: SelectionProblem, time_limit: float | None = None, mip_rel_gap: float = 0.0) -> Selection:
    """The selection of the largest value; Infeasible (with reasons) when none exists."""
    started = time.perf_counter()
    p = prepare(problem)
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit: {time_limit!r} must be > 0 seconds (or None)")
    if not 0 <= mip_rel_gap < 1:
        raise ValueError(f"mip_rel_gap: {mip_rel_gap!r} must be in [0, 1)")
    if p.n == 0 or (p.forced_in & p.forced_out).any():  # nothing for HiGHS to decide
        if reasons := explain(problem):
            raise Infeasible(reasons)
        return Selection(np.zeros(0, dtype=bool), 0.0, 0.0, p.committed.copy(), "optimal",
                         time.perf_counter() - started)
    rows = build_rows(problem, p)
    options = {"mip_rel_gap": mip_rel_gap, "disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    result = milp(-p.value, integrality=np.ones(p.n), bounds=Bounds(p.forced_in.astype(float),
                  (~p.forced_out).astype(float)), constraints=[LinearConstraint(rows.matrix, rows.lower, rows.upper)],
                  options=options)
    if result.status == 2:
        raise Infeasible(explain(problem) or ["No selection meets every constraint, but no single constraint "
                                               "stands out; check the budgets, coverage and caps together."])
    if result.x is None:
        if result.status == 1:
            raise NoSelectionInTime(f"no selection found within the time limit of {time_limit} s; "
                                    "allow more time or loosen the constraints")
        raise RuntimeError(f"the solver failed: {result.message}")
    chosen = result.x > 0.5
    objective = float(p.value[chosen].sum())
    bound = max(objective, -float(result.mip_dual_bound))  # HiGHS minimises -value
    return Selection(chosen, objective, bound, p.committed + p.cost[chosen].sum(axis=0),
                     "optimal" if result.status == 0 else "time limit", time.perf_counter() - started)


# check and explain live in selection_explain, which imports this module: imported when called.
def check(problem: SelectionProblem, chosen) -> list[str]:
    """Every constraint a chosen set breaks, in words ([] = it is a valid selection)."""
    from .selection_explain import check as check_in_words

    return check_in_words(problem, chosen)


def explain(problem: SelectionProblem) -> list[str]:
    """Why no selection exists, in words an officer can act on ([] when one does)."""
    from .selection_explain import explain as explain_in_words

    return explain_in_words(problem)
