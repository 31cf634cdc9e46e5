"""What a saved scenario holds (docs/decisions.md, "Scenario spec"): the call, the objective, the pool,
budgets per fiscal year, coverage and caps, the continuation reserve, forced choices and the exchange
rate assumptions, validated from JSON so that every error names the field, the value and the rule.

Only the JSON's shape is checked here; whether a code, challenge or lab exists is checked against the
records when the scenario's selection problem is built (selection_inputs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from genesis_desktop.portfolio.fiscal import parse_fiscal_year
from genesis_desktop.portfolio.money import MoneyError, check_currency
from genesis_desktop.portfolio.proposals import ProposalStatus

OBJECTIVES = ("merit", "merit_money", "count")
# Awarded proposals are committed money, not candidates; declined and withdrawn ones cannot be funded.
POOL_STATUSES = (ProposalStatus.SUBMITTED.value, ProposalStatus.UNDER_REVIEW.value, ProposalStatus.RECOMMENDED.value)
DEFAULT_POOL = (ProposalStatus.UNDER_REVIEW.value, ProposalStatus.RECOMMENDED.value)
COVERAGE_KINDS = ("challenge", "area")
CAP_KINDS = ("lab", "institution", "partner")
MAX_RESERVE_YEARS = 10


class ScenarioError(ValueError):
    """A scenario that cannot be saved, solved or read; the message names the field, value and rule."""


@dataclass
class CoverageRule:
    kind: str  # challenge | area
    key: str  # a challenge code or an area name
    min_count: int = 0
    min_money: float = 0.0


@dataclass
class CapRule:
    kind: str  # lab | institution | partner
    key: str  # an institution code (lab, institution) or a partner code
    max_money: float | None = None
    max_count: int | None = None


@dataclass
class Continuation:
    """Each Phase I proposal reserves share x multiple x its total request in each of `years` years
    after its last budget year; share 0 turns the reserve off."""
    share: float = 0.5
    multiple: float = 3.0
    years: int = 3


@dataclass
class RateAssumptions:
    on: date | None = None  # the day whose rates convert money; None: the day it is solved
    override: dict[str, float] = field(default_factory=dict)  # units of currency per 1 reporting unit


@dataclass
class ScenarioSpec:
    call: str
    objective: str = "merit"
    pool: list[str] = field(default_factory=lambda: list(DEFAULT_POOL))
    budgets: dict[int, float] = field(default_factory=dict)  # empty: the call's total spread like its requests
    coverage: list[CoverageRule] = field(default_factory=list)
    caps: list[CapRule] = field(default_factory=list)
    continuation: Continuation = field(default_factory=Continuation)
    forced_in: list[str] = field(default_factory=list)
    forced_out: list[str] = field(default_factory=list)
    rates: RateAssumptions = field(default_factory=RateAssumptions)

    @classmethod
    def from_json(cls, data: Any) -> "ScenarioSpec":
        """The spec from its JSON (docs/decisions.md); ScenarioError naming field, value and rule."""
        d = _object("spec", data, required=("call",), known=KEYS)
        call = d["call"]
        if isinstance(call, int) and not isinstance(call, bool):
            call = str(call)
        if not isinstance(call, str) or not call.strip():
            raise ScenarioError(f"call: {call!r} must be a call number (text that is not empty)")
        objective = d.get("objective", "merit")
        if objective not in OBJECTIVES:
            raise ScenarioError(f"objective: {objective!r} must be one of {', '.join(OBJECTIVES)}")
        spec = cls(call=call.strip(), objective=objective, pool=_pool(d.get("pool", list(DEFAULT_POOL))),
                   budgets=_budgets(d.get("budgets", {})),
                   coverage=[_coverage(i, x) for i, x in enumerate(_list("coverage", d.get("coverage", [])))],
                   caps=[_cap(i, x) for i, x in enumerate(_list("caps", d.get("caps", [])))],
                   continuation=_continuation(d.get("continuation", {})),
                   forced_in=_codes("forced_in", d.get("forced_in", [])),
                   forced_out=_codes("forced_out", d.get("forced_out", [])),
                   rates=_rates(d.get("rates", {})))
        both = sorted(set(spec.forced_in) & set(spec.forced_out))
        if both:
            raise ScenarioError(f"forced_in: {both} are also in forced_out; a proposal is forced in or out, not both")
        return spec

    def to_json(self) -> dict[str, Any]:
        return {
            "call": self.call, "objective": self.objective, "pool": list(self.pool),
            "budgets": {str(y): float(v) for y, v in sorted(self.budgets.items())},
            "coverage": [{"kind": c.kind, "key": c.key, "min_count": c.min_count, "min_money": float(c.min_money)}
                         for c in self.coverage],
            "caps": [{"kind": c.kind, "key": c.key,
                      "max_money": None if c.max_money is None else float(c.max_money), "max_count": c.max_count}
                     for c in self.caps],
            "continuation": {"share": float(self.continuation.share), "multiple": float(self.continuation.multiple),
                             "years": self.continuation.years},
            "forced_in": list(self.forced_in), "forced_out": list(self.forced_out),
            "rates": {"on": None if self.rates.on is None else self.rates.on.isoformat(),
                      "override": {c: float(v) for c, v in sorted(self.rates.override.items())}},
        }


KEYS = ("call", "objective", "pool", "budgets", "coverage", "caps", "continuation", "forced_in", "forced_out", "rates")


def _object(name: str, value: Any, required: tuple[str, ...] = (), known: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{name}: {value!r:.80} must be an object")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ScenarioError(f"{name}: unknown fields {unknown}; known: {', '.join(known)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ScenarioError(f"{name}: {', '.join(missing)} must be given")
    return dict(value)


def _list(name: str, value: Any) -> list:
    if not isinstance(value, list):
        raise ScenarioError(f"{name}: {value!r:.80} must be a list")
    return value


def _number(name: str, value: Any, *, low: float = 0.0, high: float | None = None, above: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok:
        ok = (value > low if above else value >= low) and (high is None or value <= high)
    if not ok:
        rule = f"{'>' if above else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise ScenarioError(f"{name}: {value!r} must be a number {rule}")
    return float(value)


def _count(name: str, value: Any, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (high is not None and value > high):
        raise ScenarioError(f"{name}: {value!r} must be a whole number >= 0" + (f" and <= {high}" if high else ""))
    return value


def _key(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{name}: {value!r} must be text that is not empty")
    return value.strip()


def _pool(value: Any) -> list[str]:
    pool = _list("pool", value)
    for i, status in enumerate(pool):
        if status not in POOL_STATUSES:
            raise ScenarioError(f"pool[{i}]: {status!r} must be one of {', '.join(POOL_STATUSES)} (awarded "
                                "proposals count as committed money; declined and withdrawn ones cannot be funded)")
    if not pool:
        raise ScenarioError("pool: [] must name at least one status whose proposals compete")
    return list(dict.fromkeys(pool))


def _budgets(value: Any) -> dict[int, float]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"budgets: {value!r:.80} must be an object of fiscal year: amount")
    out: dict[int, float] = {}
    for key, amount in value.items():
        try:
            year = parse_fiscal_year(key)
        except ValueError as err:
            raise ScenarioError(f"budgets: {err}") from None
        if year in out:
            raise ScenarioError(f"budgets: FY{year} is given twice ({key!r})")
        out[year] = _number(f"budgets.{year}", amount)
    return dict(sorted(out.items()))


def _coverage(i: int, value: Any) -> CoverageRule:
    d = _object(f"coverage[{i}]", value, ("kind", "key"), ("kind", "key", "min_count", "min_money"))
    if d["kind"] not in COVERAGE_KINDS:
        raise ScenarioError(f"coverage[{i}].kind: {d['kind']!r} must be one of {', '.join(COVERAGE_KINDS)}")
    rule = CoverageRule(d["kind"], _key(f"coverage[{i}].key", d["key"]),
                        _count(f"coverage[{i}].min_count", d.get("min_count", 0)),
                        _number(f"coverage[{i}].min_money", d.get("min_money", 0)))
    if rule.min_count == 0 and rule.min_money == 0:
        raise ScenarioError(f"coverage[{i}]: {rule.kind} {rule.key} asks for nothing; give min_count or min_money")
    return rule


def _cap(i: int, value: Any) -> CapRule:
    d = _object(f"caps[{i}]", value, ("kind", "key"), ("kind", "key", "max_money", "max_count"))
    if d["kind"] not in CAP_KINDS:
        raise ScenarioError(f"caps[{i}].kind: {d['kind']!r} must be one of {', '.join(CAP_KINDS)}")
    money, count = d.get("max_money"), d.get("max_count")
    if money is None and count is None:
        raise ScenarioError(f"caps[{i}]: {d['kind']} {d['key']!r} limits nothing; give max_money or max_count")
    return CapRule(d["kind"], _key(f"caps[{i}].key", d["key"]),
                   None if money is None else _number(f"caps[{i}].max_money", money),
                   None if count is None else _count(f"caps[{i}].max_count", count))


def _continuation(value: Any) -> Continuation:
    d = _object("continuation", value, known=("share", "multiple", "years"))
    default = Continuation()
    return Continuation(_number("continuation.share", d.get("share", default.share), high=1.0),
                        _number("continuation.multiple", d.get("multiple", default.multiple), above=True),
                        _count("continuation.years", d.get("years", default.years), MAX_RESERVE_YEARS))


def _codes(name: str, value: Any) -> list[str]:
    codes = [_key(f"{name}[{i}]", c) for i, c in enumerate(_list(name, value))]
    return list(dict.fromkeys(codes))


def _rates(value: Any) -> RateAssumptions:
    d = _object("rates", value, known=("on", "override"))
    on = d.get("on")
    if on is not None:
        try:
            on = date.fromisoformat(on) if isinstance(on, str) else None
        except ValueError:
            on = None
        if on is None:
            raise ScenarioError(f"rates.on: {d['on']!r} must be a date such as 2026-11-01, or null for the day "
                                "it is solved")
    override = d.get("override", {})
    if not isinstance(override, Mapping):
        raise ScenarioError(f"rates.override: {override!r:.80} must be an object of currency: rate")
    rates = {}
    for ccy, rate in override.items():
        try:
            check_currency(ccy)
        except MoneyError as err:
            raise ScenarioError(f"rates.override: {ccy!r}: {err}") from None
        rates[ccy] = _number(f"rates.override.{ccy}", rate, above=True)
    return RateAssumptions(on, rates)
