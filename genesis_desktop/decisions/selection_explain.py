"""Why no selection exists, in words a program officer can act on, and what a given selection breaks.

`explain` first tries direct checks that name the culprit outright (forced-in proposals over a
year's budget, a coverage with too few fundable members, a cap already used up by forced-in ones).
When none applies the conflict lies in a combination of constraints, so it solves an elastic model:
the same 0/1 program with a non-negative slack on every budget, coverage and cap row (and on every
forced-in proposal), minimising the total slack, each divided by its row's size so that "1 proposal
short of a coverage of 2" and "2% over a year's budget" weigh alike. The constraints that the
cheapest relaxation breaks, with the amounts, are the reasons. Requires and forced-out stay hard:
funding nothing never breaks them, so the elastic model always has a solution.

Qt-free, numpy and scipy only.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .selection import TOLERANCE, Prepared, SelectionProblem, build_rows, format_money, prepare

__all__ = ["check", "explain"]

ELASTIC_SECONDS = 10.0  # past this the best relaxation found so far is reported, and said to be so
FORCED_WEIGHT = 1.0  # dropping a forced-in proposal weighs like a whole coverage or budget given up


def check(problem: SelectionProblem, chosen) -> list[str]:
    """Every constraint the chosen set breaks, in words ([] = it is a valid selection). Allows the
    solver's round-off: a millionth of the median proposal's cost."""
    p = prepare(problem)
    x = np.asarray(chosen)
    if x.shape != (p.n,) or (x.dtype != bool and not np.isin(x, (0, 1)).all()):
        raise ValueError(f"chosen: shape {x.shape} must be true/false for each of {p.n} proposals")
    x = x.astype(bool)
    money, tol, codes, out = format_money, TOLERANCE * p.money_unit, problem.codes, []
    spend = p.cost[x].sum(axis=0)
    for y, year in enumerate(problem.years):
        over = p.committed[y] + spend[y] - p.budget[y]
        if over > tol:
            out.append(f"FY{year}: spends {money(p.committed[y] + spend[y])} ({money(p.committed[y])} committed + "
                       f"{money(spend[y])} chosen), {money(over)} over its budget of {money(p.budget[y])}.")
    for c, members in zip(problem.coverage, p.coverage_members):
        funded = members[x[members]]
        if len(funded) < c.min_count:
            out.append(f"Coverage {c.name!r}: {len(funded)} funded, {c.min_count} required.")
        if p.total[funded].sum() < c.min_money - tol:
            out.append(f"Coverage {c.name!r}: funded members cost {money(p.total[funded].sum())}, "
                       f"{money(c.min_money)} required.")
    for c, members in zip(problem.caps, p.cap_members):
        funded = members[x[members]]
        if c.max_money is not None and p.total[funded].sum() > c.max_money + tol:
            out.append(f"Cap {c.name!r}: funded members cost {money(p.total[funded].sum())}, "
                       f"over its limit of {money(c.max_money)}.")
        if c.max_count is not None and len(funded) > c.max_count:
            out.append(f"Cap {c.name!r}: {len(funded)} funded, over its limit of {c.max_count}.")
    for i, j in p.requires[x[p.requires[:, 0]] & ~x[p.requires[:, 1]]].tolist():
        out.append(f"{codes[i]} is funded but requires {codes[j]}, which is not.")
    out += [f"{codes[i]} is forced in but not chosen." for i in np.flatnonzero(p.forced_in & ~x)]
    out += [f"{codes[i]} is forced out but chosen." for i in np.flatnonzero(p.forced_out & x)]
    return out


def explain(problem: SelectionProblem) -> list[str]:
    """Why no selection exists ([] when one does)."""
    p = prepare(problem)
    return direct_reasons(problem, p) or elastic_reasons(problem, p)


def _closure(start: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """Everything reachable from `start` along edges (a, b), and for each the node it was reached from."""
    following: dict[int, list[int]] = {}
    for a, b in edges.tolist():
        following.setdefault(a, []).append(b)
    reached, came_from, stack = start.copy(), {}, np.flatnonzero(start).tolist()
    while stack:
        a = stack.pop()
        for b in following.get(a, ()):
            if not reached[b]:
                reached[b], came_from[b] = True, a
                stack.append(b)
    return reached, came_from


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _listing(codes: list[str], indices: np.ndarray, shown: int = 5) -> str:
    names = [codes[i] for i in indices[:shown]]
    return ", ".join(names) + (f" and {len(indices) - shown} more" if len(indices) > shown else "")


def direct_reasons(problem: SelectionProblem, p: Prepared) -> list[str]:
    """Conflicts that show without solving anything; [] when none does."""
    codes, money, tol = problem.codes, format_money, TOLERANCE * p.money_unit
    out = [f"{codes[i]} is both forced in and forced out; take it off one of the two lists."
           for i in np.flatnonzero(p.forced_in & p.forced_out)]
    forced = p.forced_in & ~p.forced_out
    must_in, came_from = _closure(forced, p.requires)  # funding i means funding what i requires
    for j in np.flatnonzero(must_in & p.forced_out & ~p.forced_in):
        path = [int(j)]
        while path[-1] in came_from:
            path.append(came_from[path[-1]])
        through = f" (through {', '.join(codes[k] for k in path[-2:0:-1])})" if len(path) > 2 else ""
        out.append(f"{codes[path[-1]]} is forced in but requires {codes[j]}{through}, which is forced out; "
                   f"stop forcing one of them.")
    must_out, _ = _closure(p.forced_out, p.requires[:, ::-1])  # nothing that requires a forced-out one
    extra = np.flatnonzero(must_in & ~forced)
    who = f"the {_plural(int(forced.sum()), 'proposal')} forced in ({_listing(codes, np.flatnonzero(forced))})" + (
        f" and the {len(extra)} they require ({_listing(codes, extra)})" if len(extra) else "")
    spend = p.cost[must_in].sum(axis=0)
    for y, year in enumerate(problem.years):
        budget, committed = p.budget[y], p.committed[y]
        if committed > budget + tol:
            out.append(f"FY{year}: {money(committed)} is already committed, {money(committed - budget)} more "
                       f"than its budget of {money(budget)}, before any proposal is chosen.")
        elif committed + spend[y] > budget + tol:
            plus = f" (plus {money(committed)} committed)" if committed > 0 else ""
            out.append(f"FY{year}: {who} need {money(spend[y])}{plus}, {money(committed + spend[y] - budget)} "
                       f"more than its budget of {money(budget)}.")
    for c, members in zip(problem.coverage, p.coverage_members):
        fundable = members[~must_out[members]]
        held = "" if (must_out[members] == p.forced_out[members]).all() else " or require a proposal that is"
        needs = f"Coverage {c.name!r} needs {_plural(c.min_count, 'funded proposal')}"
        if len(members) < c.min_count:
            out.append(f"{needs} but has only {_plural(len(members), 'member')}.")
        elif len(fundable) < c.min_count:
            out.append(f"{needs} but only {len(fundable)} of its {_plural(len(members), 'member')} can be funded: "
                       f"the rest are forced out{held}.")
        reach = p.total[fundable].sum()
        if reach < c.min_money - tol:
            out.append(f"Coverage {c.name!r} needs {money(c.min_money)} of funding but all {len(fundable)} of "
                       f"its members that can be funded cost {money(reach)} together, "
                       f"{money(c.min_money - reach)} short.")
    for c, members in zip(problem.caps, p.cap_members):
        used = members[must_in[members]]
        whose = "forced in" if not np.isin(used, extra).any() else "forced in or required by one that is"
        if c.max_money is not None and p.total[used].sum() > c.max_money + tol:
            out.append(f"Cap {c.name!r} allows {money(c.max_money)} but its {_plural(len(used), 'member')} {whose} "
                       f"already cost {money(p.total[used].sum())}, {money(p.total[used].sum() - c.max_money)} over.")
        if c.max_count is not None and len(used) > c.max_count:
            out.append(f"Cap {c.name!r} allows {_plural(c.max_count, 'funded proposal')} but {len(used)} of its "
                       f"members {'is' if len(used) == 1 else 'are'} {whose}, {len(used) - c.max_count} too many.")
    return out


def elastic_reasons(problem: SelectionProblem, p: Prepared, time_limit: float = ELASTIC_SECONDS) -> list[str]:
    """The constraints the cheapest relaxation breaks, with the amounts; [] when none need breaking."""
    rows = build_rows(problem, p)
    soft = np.flatnonzero(np.array([k != "requires" for k in rows.kind], dtype=bool))
    forced = np.flatnonzero(p.forced_in & ~p.forced_out)
    m, k, f = len(rows.lower), len(soft), len(forced)
    lower_row = np.isfinite(rows.lower[soft])  # coverage rows: slack adds; budget and cap rows: it subtracts
    slack = sp.csr_array((np.where(lower_row, 1.0, -1.0), (soft, np.arange(k))), shape=(m, k))
    matrix = sp.vstack([sp.hstack([rows.matrix, slack, sp.csr_array((m, f))]),  # x_i + t_i >= 1, forced in
                        sp.hstack([sp.csr_array((np.ones(f), (np.arange(f), forced)), shape=(f, p.n)),
                                   sp.csr_array((f, k)), sp.eye_array(f)])]).tocsr()
    size = np.where(lower_row, rows.lower[soft], rows.upper[soft])
    budget_rows = np.array([rows.kind[r] == "budget" for r in soft], dtype=bool)
    size[budget_rows] = p.budget[rows.index[soft][budget_rows]] / p.money_unit  # a year's size, not what is left
    weight = 1.0 / np.maximum(np.abs(size), 1.0)  # 1 = one proposal, or one median proposal's cost
    counted = np.array([rows.kind[r].endswith("count") for r in soft], dtype=float)
    result = milp(np.concatenate([np.zeros(p.n), weight, np.full(f, FORCED_WEIGHT)]),
                  integrality=np.concatenate([np.ones(p.n), counted, np.ones(f)]),
                  bounds=Bounds(0.0, np.concatenate([(~p.forced_out).astype(float), np.full(k, np.inf), np.ones(f)])),
                  constraints=[LinearConstraint(matrix, np.concatenate([rows.lower, np.ones(f)]),
                                                np.concatenate([rows.upper, np.full(f, np.inf)]))],
                  options={"time_limit": time_limit, "disp": False})
    if result.x is None:
        return []
    out = _broken(problem, p, result.x[: p.n] > 0.5)
    if out and result.status != 0:
        out.append(f"(The search for the smallest change stopped after {time_limit:g} s: the changes above are "
                   f"enough, but smaller ones may exist.)")
    return out


def _broken(problem: SelectionProblem, p: Prepared, x: np.ndarray) -> list[str]:
    """What the relaxed selection x breaks, worded as what the constraint would need."""
    money, tol, out = format_money, TOLERANCE * p.money_unit, []
    spend = p.committed + p.cost[x].sum(axis=0)
    for y, year in enumerate(problem.years):
        if spend[y] > p.budget[y] + tol:
            out.append(f"The FY{year} budget is {money(spend[y] - p.budget[y])} short: the other constraints need "
                       f"{money(spend[y])} of it, committed money included, against {money(p.budget[y])}.")
    for c, members in zip(problem.coverage, p.coverage_members):
        funded = members[x[members]]
        if len(funded) < c.min_count:
            out.append(f"Coverage {c.name!r} can reach {len(funded)} of the "
                       f"{_plural(c.min_count, 'funded proposal')} it requires while the other constraints hold.")
        if p.total[funded].sum() < c.min_money - tol:
            reach = p.total[funded].sum()
            out.append(f"Coverage {c.name!r} can reach {money(reach)} of the {money(c.min_money)} of funding it "
                       f"requires while the other constraints hold, {money(c.min_money - reach)} short.")
    for c, members in zip(problem.caps, p.cap_members):
        funded = members[x[members]]
        used = p.total[funded].sum()
        if c.max_money is not None and used > c.max_money + tol:
            out.append(f"Cap {c.name!r} is {money(used - c.max_money)} too tight: the other constraints need "
                       f"{money(used)} of its members' cost against its limit of {money(c.max_money)}.")
        if c.max_count is not None and len(funded) > c.max_count:
            out.append(f"Cap {c.name!r} is {_plural(len(funded) - c.max_count, 'proposal')} too tight: the other "
                       f"constraints need {len(funded)} of its members funded against its limit of {c.max_count}.")
    out += [f"{problem.codes[i]} is forced in but cannot be funded while the other constraints hold; "
            f"stop forcing it." for i in np.flatnonzero(p.forced_in & ~p.forced_out & ~x)]
    return out
