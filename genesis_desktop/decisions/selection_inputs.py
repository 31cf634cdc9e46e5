"""A scenario's selection problem from the records (docs/decisions.md: "Scenario spec", "Merit",
"Continuation reserve"): who competes, what each costs per fiscal year in the reporting currency, the
budgets, what is already committed, coverage, caps, Phase I -> II dependencies and forced choices,
with the context (titles, leads, areas, merit, rates) that a result and its reasons are written from.

Rules beyond the design's text, so that a person can predict the numbers:
- The pool is the call's proposals in the spec's statuses; its awarded proposals' requests (and
  reserves, for Phase I) are committed money.
- Budgets: the spec's; with none, the call's total spread like its live proposals' requests. A year in
  which money falls but no budget is set is shown and not limited (its budget is null in a result;
  in the problem a figure that cannot bind, so coverage and caps still count that year's money).
- Coverage and caps count each member's whole cost, reserve included, as the optimiser does; a
  lab, institution or partner is a member when it leads or is on the team (a partner through the
  institution it is, partner.institution_id).
- A Phase II proposal that continues one in the pool requires it; one whose Phase I is declined,
  withdrawn, or outside the pool and not awarded cannot be funded here and is forced out, saying why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import select

from genesis_desktop.portfolio.institutions import Institution
from genesis_desktop.portfolio.programme import Call, Challenge, Programme
from genesis_desktop.portfolio.proposals import Proposal, ProposalChallenge, ProposalInstitution, ProposalStatus

from .scenario_spec import ScenarioError, ScenarioSpec
from .selection import SelectionProblem
from .selection_merit import call_merit
from .selection_money import ScenarioRates, requests_by_year, spread_call_budget
from .selection_rules import continuations, coverage_and_caps

PHASE_I, PHASE_II = "I", "II"


@dataclass
class SelectionContext:
    """What the problem's arrays stand for. Index i is the problem's proposal i; years are every fiscal
    year in which money falls (the problem has the same years)."""
    call: str
    currency: str
    objective: str
    rates_on: date
    rates_used: dict[str, dict]  # {currency: {rate (units per 1 reporting unit), on, source}}
    codes: list[str]
    titles: list[str]
    phases: list[str]
    statuses: list[str]
    areas: list[str]  # the area of the primary challenge ("" when none)
    challenges: list[list[str]]
    leads: list[str]
    years: list[int]
    requested: np.ndarray  # (n, Y) requested money, major units of the reporting currency
    reserve: np.ndarray  # (n, Y) continuation reserve
    merit: np.ndarray  # (n,)
    merit_source: list[str]  # "calibration" | "reviews" | "none"
    calibration_job: int | None
    calibration: dict  # the calibration inputs the merit came from (for the robustness kernel)
    budget: dict[int, float | None]  # None: the year is not limited
    committed: dict[int, float]  # awarded proposals' requests and reserves
    committed_reserve: dict[int, float]  # the reserves alone (the risk kernel counts requests itself)
    forced_by_rule: dict[int, str] = field(default_factory=dict)  # index -> why it cannot be funded
    notes: list[str] = field(default_factory=list)

    @property
    def money(self) -> np.ndarray:
        """(n,) each proposal's whole request (what merit_money weighs merit by)."""
        return self.requested.sum(axis=1)


@dataclass
class ScenarioInputs:
    problem: SelectionProblem
    context: SelectionContext


def objective_value(objective: str, merit: np.ndarray, money: np.ndarray) -> np.ndarray:
    """The weight of funding each proposal: merit, merit x its total request, or 1 (count)."""
    if objective == "merit":
        return np.asarray(merit, dtype=np.float64).copy()
    if objective == "merit_money":
        return np.asarray(merit, dtype=np.float64) * money
    return np.ones(len(merit))


def build_inputs(store, spec: ScenarioSpec, today: date | None = None) -> ScenarioInputs:
    """The selection problem and its context for `spec` over the records of `store` (a Store)."""
    on = spec.rates.on or today or date.today()
    with store.session() as s:
        call = s.scalar(select(Call).where(Call.number == spec.call))
        if call is None:
            raise ScenarioError(f"call: no call numbered {spec.call!r}")
        currency = s.scalar(select(Programme.reporting_currency).order_by(Programme.id)) or "USD"
        rates = ScenarioRates(s, currency, on, spec.rates.override)
        rows = s.execute(select(Proposal.id, Proposal.code, Proposal.title, Proposal.phase, Proposal.status,
                                Proposal.currency, Proposal.continues_id, Institution.code.label("lead"))
                         .join(Institution, Institution.id == Proposal.lead_institution_id)
                         .where(Proposal.call_id == call.id).order_by(Proposal.code)).all()
        pool = [r for r in rows if r.status.value in spec.pool]
        awarded = [r for r in rows if r.status is ProposalStatus.AWARDED]
        if not pool:
            raise ScenarioError(f"pool: no proposal of call {spec.call} is {' or '.join(spec.pool)}; "
                                "there is nothing to select")
        in_pool = {r.id for r in pool}
        requests = requests_by_year(s, call.id, [r.id for r in pool + awarded], {r.id: r.currency for r in rows},
                                    rates, {r.id: r.code for r in rows})
        spread = {} if spec.budgets else spread_call_budget(s, call, rates)
        # By the call rather than by lists of ids: a call may have more proposals than SQL parameters allow.
        topics = [t for t in s.execute(
            select(ProposalChallenge.proposal_id, Challenge.code, Challenge.area, ProposalChallenge.is_primary)
            .join(Challenge, Challenge.id == ProposalChallenge.challenge_id)
            .join(Proposal, Proposal.id == ProposalChallenge.proposal_id).where(Proposal.call_id == call.id)
            .order_by(ProposalChallenge.proposal_id, ProposalChallenge.is_primary.desc(), Challenge.code))
            if t.proposal_id in in_pool]
        teams = [t for t in s.execute(
            select(ProposalInstitution.proposal_id, Institution.code)
            .join(Institution, Institution.id == ProposalInstitution.institution_id)
            .join(Proposal, Proposal.id == ProposalInstitution.proposal_id).where(Proposal.call_id == call.id))
            if t.proposal_id in in_pool]
        coverage, caps = coverage_and_caps(s, spec, pool, topics, teams)
        requires, forced_by_rule = continuations(s, pool, rows)
    codes = [r.code for r in pool]
    index = {code: i for i, code in enumerate(codes)}
    merit = call_merit(store, spec.call, codes)
    phases = {r.id: r.phase for r in rows}
    years, requested, reserve, committed, held_reserve = _money(spec, pool, awarded, phases, requests, rates)
    budget, problem_budget, notes = _budgets(spec, spread, years, requested + reserve, committed, rates)
    forced_in = _forced(spec, "forced_in", index, rows, forced_by_rule)
    forced_out = _forced(spec, "forced_out", index, rows, {})
    by_id = {r.id: i for i, r in enumerate(pool)}
    areas, challenges = [""] * len(pool), [[] for _ in pool]
    for pid, code, area, _ in topics:
        i = by_id[pid]
        challenges[i].append(code)
        areas[i] = areas[i] or area  # primary first (the query's order)
    context = SelectionContext(
        call=spec.call, currency=currency, objective=spec.objective, rates_on=on, rates_used=rates.used,
        codes=codes, titles=[r.title for r in pool], phases=[r.phase for r in pool],
        statuses=[r.status.value for r in pool], areas=areas, challenges=challenges, leads=[r.lead for r in pool],
        years=years, requested=requested, reserve=reserve, merit=merit.merit, merit_source=merit.source,
        calibration_job=merit.calibration_job, calibration=merit.calibration, budget=budget,
        committed=dict(zip(years, committed.tolist())), committed_reserve=dict(zip(years, held_reserve.tolist())),
        forced_by_rule=forced_by_rule,
        notes=merit.notes + notes)
    problem = SelectionProblem(
        codes=codes, value=objective_value(spec.objective, merit.merit, context.money), cost=requested + reserve,
        years=years, budget=problem_budget, committed=committed, coverage=coverage, caps=caps, requires=requires,
        forced_in=frozenset(forced_in), forced_out=frozenset(forced_out) | frozenset(forced_by_rule))
    return ScenarioInputs(problem, context)


def _money(spec: ScenarioSpec, pool, awarded, phases: dict[int, str], requests: dict[int, dict[int, int]],
           rates: ScenarioRates):
    """(years, requested (n, Y), reserve (n, Y), committed (Y,), committed reserve (Y,)), major units of the
    reporting currency."""
    c = spec.continuation

    def reserve_years(pid: int) -> list[int]:
        if phases[pid] != PHASE_I or c.share == 0 or not requests[pid]:
            return []
        last = max(requests[pid])
        return list(range(last + 1, last + 1 + c.years))

    everyone = [r.id for r in pool] + [r.id for r in awarded]
    years = sorted({y for pid in everyone for y in requests[pid]} | {y for pid in everyone for y in reserve_years(pid)}
                   | set(spec.budgets))
    col = {y: k for k, y in enumerate(years)}

    def arrays(pids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        minor = np.zeros((len(pids), len(years)), dtype=np.int64)
        reserve = np.zeros((len(pids), len(years)))
        for i, pid in enumerate(pids):
            for y, amount in requests[pid].items():
                minor[i, col[y]] = amount
            yearly = c.share * c.multiple * float(rates.major(sum(requests[pid].values())))
            for y in reserve_years(pid):
                reserve[i, col[y]] = yearly
        return rates.major(minor), reserve

    requested, reserve = arrays([r.id for r in pool])
    held, held_reserve = arrays([r.id for r in awarded])
    return years, requested, reserve, (held + held_reserve).sum(axis=0), held_reserve.sum(axis=0)


def _budgets(spec: ScenarioSpec, spread: dict[int, int], years: list[int], cost: np.ndarray, committed: np.ndarray,
             rates: ScenarioRates) -> tuple[dict[int, float | None], np.ndarray, list[str]]:
    given = spec.budgets or {y: float(rates.major(v)) for y, v in spread.items()}
    budget = {y: given.get(y) for y in years}
    open_years = [y for y, b in budget.items() if b is None]
    notes = []
    if not spec.budgets:
        notes.append(f"budgets: none given; call {spec.call}'s total budget is spread over fiscal years like its "
                     "live proposals' requests")
    if open_years:
        notes.append(f"budgets: no budget for {', '.join(f'FY{y}' for y in open_years)}; money falling there "
                     f"(requests or continuation reserves) is shown but not limited; give budgets."
                     f"{open_years[0]} to limit it")
    # A year without a budget gets one that cannot bind: all of the year's money, and a bit more.
    unlimited = committed + cost.sum(axis=0) + 1.0
    return budget, np.array([unlimited[k] if b is None else b for k, b in enumerate(budget.values())]), notes


def _forced(spec: ScenarioSpec, name: str, index: dict[str, int], rows, by_rule: dict[int, str]) -> set[int]:
    status = {r.code: r.status.value for r in rows}
    out = set()
    for code in getattr(spec, name):
        if code not in status:
            raise ScenarioError(f"{name}: {code!r} is not a proposal of call {spec.call}")
        if code not in index:
            raise ScenarioError(f"{name}: {code} is {status[code]}, not in this scenario's pool "
                                f"({', '.join(spec.pool)}); only a proposal in the pool can be forced")
        if index[code] in by_rule:
            raise ScenarioError(f"{name}: {code} cannot be funded: {by_rule[index[code]]}")
        out.add(index[code])
    return out
