"""The risk kernel's parameters: checked and normalised to one canonical JSON form.

`prepare` is idempotent (the engine calls it on parameters it prepared before): the canonical form
names the fiscal years, lists every per-year amount in their order, fills in every default and keeps
on each proposal only the settings it gives itself; it is accepted as input again. Any problem
raises SpecError naming the parameter, the value and the rule. See risk.py for what they mean.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence

from ..jobs import finite, whole_number
from ..kernel import SpecError

# Settings a proposal may carry itself; a missing one takes the run's value of the same name.
OUTCOME_SETTINGS = ("overrun_sigma", "cancel_probability", "cancel_spend", "underspend_probability",
                    "underspend_spend")
DEFAULTS: dict[str, Any] = {
    "overrun_sigma": 0.15, "cancel_probability": 0.05, "cancel_spend": 0.5, "underspend_probability": 0.15,
    "underspend_spend": 0.8, "scenarios": 1_000_000, "block_size": 65_536, "tail": 0.95,
    "partners": [], "fx": {}, "sources": {}, "precision": "float32",
}
REQUIRED = ("currency", "proposals", "budgets")
KNOWN = ("currency", "fiscal_years", "proposals", "budgets", *DEFAULTS)
PROPOSAL_KEYS = ("code", "cost", "value", "delivery_probability", *OUTCOME_SETTINGS)
MAX_AMOUNT = 1e15  # far above any programme, far below where single-precision products lose meaning
PRECISIONS = ("float32", "float64")
MAX_SIGMA = 3.0  # a lognormal sigma of 3 already spans a factor of 10^7 between its 1% and 99% points
_YEAR = re.compile(r"(?:FY)?(\d{4})")


def prepare(params: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical parameters, or SpecError naming the first problem."""
    if not isinstance(params, Mapping):
        raise SpecError(f"risk: parameters {type(params).__name__} must be a mapping of names to values")
    unknown = sorted(set(params) - set(KNOWN))
    if unknown:
        raise SpecError(f"risk: unknown parameters {unknown}; known: {', '.join(KNOWN)}")
    missing = [k for k in REQUIRED if k not in params]
    if missing:
        raise SpecError(f"risk: missing parameters {missing}; {', '.join(REQUIRED)} are required")
    p = {**DEFAULTS, **params}
    out: dict[str, Any] = {"currency": _currency("currency", p["currency"])}
    for name in OUTCOME_SETTINGS:
        out[name] = _setting(name, p[name])
    _mixture_fits("", out)
    years = _fiscal_years(p)
    out["fiscal_years"] = years
    out["proposals"] = _proposals(p["proposals"], years, out)
    out["budgets"] = _per_year("budgets", p["budgets"], years, complete=True)
    out["fx"] = _fx(p["fx"], out["currency"])
    out["partners"] = _partners(p["partners"], years, out["currency"], out["fx"])
    # At least two scenarios a block, so that the first block already gives every interval a width.
    out["scenarios"] = whole_number("scenarios", _number(p["scenarios"]), minimum=2, maximum=10**10)
    # A block's partial holds one float64 per scenario; 2^20 keeps that at 8 MB.
    out["block_size"] = whole_number("block_size", _number(p["block_size"]), minimum=2, maximum=2**20)
    out["tail"] = finite("tail", _number(p["tail"]), low=0.0, high=1.0)
    if not 0.0 < out["tail"] < 1.0:
        raise SpecError(f"tail: {out['tail']!r} must lie strictly between 0 and 1 (0.95: the worst 5% of scenarios)")
    out["sources"] = _json_data("sources", p["sources"])
    out["precision"] = _precision(p["precision"])
    return out


def _number(value: Any) -> Any:
    """Numbers may come as text from a command line ("1e6"), and whole numbers as floats from JSON
    (1e6 scenarios); anything else is left as it is for the range check to refuse."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _currency(name: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise SpecError(f"{name}: {value!r} must be an ISO 4217 currency code such as USD or JPY")
    return value


def _setting(name: str, value: Any) -> float:
    high = MAX_SIGMA if name == "overrun_sigma" else 1.0
    return finite(name, _number(value), low=0.0, high=high)


def _mixture_fits(where: str, s: Mapping[str, float]) -> None:
    total = s["cancel_probability"] + s["underspend_probability"]
    if total > 1.0:
        raise SpecError(f"{where}cancel_probability + {where}underspend_probability: {s['cancel_probability']!r} + "
                        f"{s['underspend_probability']!r} = {total!r} must be at most 1")


def _year(name: str, key: Any) -> int:
    if type(key) is int and 1990 <= key <= 2100:  # the common case, fast: canonical costs have many
        return key
    match = _YEAR.fullmatch(str(key).strip().upper())
    if isinstance(key, bool) or not match or not 1990 <= int(match.group(1)) <= 2100:
        raise SpecError(f"{name}: fiscal year {key!r} must look like 2026 or FY2026 (1990 to 2100)")
    return int(match.group(1))


def _amount(name: str, value: Any) -> float:
    return finite(name, _number(value), low=0.0, high=MAX_AMOUNT)


def _fiscal_years(p: Mapping[str, Any]) -> list[int]:
    """The run's fiscal years: as given, else every year named by a cost, a budget or a partner."""
    if "fiscal_years" in p:
        given = p["fiscal_years"]
        if not isinstance(given, Sequence) or isinstance(given, str) or not given:
            raise SpecError(f"fiscal_years: {given!r} must be a non-empty list of years such as [2026, 2027]")
        years = [_year(f"fiscal_years[{i}]", y) for i, y in enumerate(given)]
        if years != sorted(set(years)):
            raise SpecError(f"fiscal_years: {given!r} must be increasing, each year once")
        return years
    found: set[int] = set()
    for where, amounts in _dated_amounts(p):
        if isinstance(amounts, Mapping):
            found.update(_year(where, y) for y in amounts)
        elif amounts is not None:
            raise SpecError(f"{where}: {_short(amounts)} must map fiscal years to amounts, such as "
                            "{\"FY2026\": 1500000.0}, unless fiscal_years lists the years in order")
    if not found:
        raise SpecError("fiscal_years: none given and no cost, budget or partner names a fiscal year")
    return sorted(found)


def _dated_amounts(p: Mapping[str, Any]):
    """(parameter name, amounts) for every per-year amount in the raw parameters."""
    if isinstance(p.get("proposals"), Sequence):
        for i, prop in enumerate(p["proposals"]):
            if isinstance(prop, Mapping):
                yield f"proposals[{i}].cost", prop.get("cost")
    yield "budgets", p.get("budgets")
    if isinstance(p.get("partners"), Sequence):
        for i, partner in enumerate(p["partners"]):
            if isinstance(partner, Mapping):
                yield f"partners[{i}].amounts", partner.get("amounts")


def _per_year(name: str, amounts: Any, years: list[int], *, complete: bool = False) -> list[float]:
    """Amounts in the order of `years`, from a {year: amount} mapping or a list in that order."""
    if isinstance(amounts, Mapping):
        given: dict[int, float] = {}
        for key, value in amounts.items():
            year = _year(name, key)
            if year not in years:
                raise SpecError(f"{name}: fiscal year {key!r} is not one of fiscal_years {years}")
            given[year] = _amount(f"{name}.FY{year}", value)
        lacking = [f"FY{y}" for y in years if y not in given]
        if complete and lacking:
            raise SpecError(f"{name}: no amount for {', '.join(lacking)}; every fiscal year of the run "
                            f"({years[0]} to {years[-1]}) needs one (0 is an amount)")
        return [given.get(y, 0.0) for y in years]
    if isinstance(amounts, Sequence) and not isinstance(amounts, str) and len(amounts) == len(years):
        return [_amount(f"{name}[{i}]", v) for i, v in enumerate(amounts)]
    raise SpecError(f"{name}: {_short(amounts)} must map fiscal years to amounts or list {len(years)} amounts, "
                    f"one for each of fiscal_years {years}")


def _proposals(given: Any, years: list[int], run: Mapping[str, float]) -> list[dict[str, Any]]:
    if not isinstance(given, Sequence) or isinstance(given, str) or not given:
        raise SpecError(f"proposals: {_short(given)} must be a non-empty list of proposals")
    out, seen = [], set()
    for i, prop in enumerate(given):
        where = f"proposals[{i}]"
        if not isinstance(prop, Mapping):
            raise SpecError(f"{where}: {_short(prop)} must be a mapping with code, cost, value and "
                            "delivery_probability")
        unknown = sorted(set(prop) - set(PROPOSAL_KEYS))
        if unknown:
            raise SpecError(f"{where}: unknown keys {unknown}; known: {', '.join(PROPOSAL_KEYS)}")
        code = prop.get("code")
        if not isinstance(code, str) or not code.strip():
            raise SpecError(f"{where}.code: {code!r} must be a non-empty text")
        if code in seen:
            raise SpecError(f"{where}.code: {code!r} appears twice; each proposal once")
        seen.add(code)
        for key in ("cost", "value", "delivery_probability"):
            if key not in prop:
                raise SpecError(f"{where}.{key}: missing; a proposal needs code, cost, value and delivery_probability")
        one = {"code": code, "cost": _per_year(f"{where}.cost", prop["cost"], years),
               "value": _amount(f"{where}.value", prop["value"]),
               "delivery_probability": finite(f"{where}.delivery_probability",
                                              _number(prop["delivery_probability"]), low=0.0, high=1.0)}
        # Only the settings a proposal carries itself stay on it: the run's own apply to the rest, also
        # when they are changed on parameters that were prepared before.
        one.update({name: _setting(f"{where}.{name}", prop[name]) for name in OUTCOME_SETTINGS if name in prop})
        _mixture_fits(f"{where}.", {**run, **one})
        out.append(one)
    return out


def _fx(given: Any, reporting: str) -> dict[str, dict[str, float]]:
    if not isinstance(given, Mapping):
        raise SpecError(f"fx: {_short(given)} must map currencies to {{\"rate\": ..., \"sigma\": ...}}")
    out = {}
    for ccy in sorted(given):
        spec = given[ccy]
        _currency(f"fx.{ccy}", ccy)
        if ccy == reporting:
            raise SpecError(f"fx.{ccy}: the reporting currency needs no exchange rate")
        if not isinstance(spec, Mapping) or set(spec) != {"rate", "sigma"}:
            raise SpecError(f"fx.{ccy}: {_short(spec)} must be {{\"rate\": {ccy} per {reporting}, \"sigma\": log sd}}")
        rate = finite(f"fx.{ccy}.rate", _number(spec["rate"]), low=0.0, high=MAX_AMOUNT)
        if rate <= 0:
            raise SpecError(f"fx.{ccy}.rate: {rate!r} must be above 0 ({ccy} that one {reporting} buys)")
        out[ccy] = {"rate": rate, "sigma": finite(f"fx.{ccy}.sigma", _number(spec["sigma"]), low=0.0, high=MAX_SIGMA)}
    return out


def _partners(given: Any, years: list[int], reporting: str, fx: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(given, Sequence) or isinstance(given, str):
        raise SpecError(f"partners: {_short(given)} must be a list of contributions")
    out = []
    for i, c in enumerate(given):
        where = f"partners[{i}]"
        if not isinstance(c, Mapping) or set(c) != {"code", "currency", "amounts"}:
            raise SpecError(f"{where}: {_short(c)} must have exactly code, currency and amounts")
        if not isinstance(c["code"], str) or not c["code"].strip():
            raise SpecError(f"{where}.code: {c['code']!r} must be a non-empty text")
        ccy = _currency(f"{where}.currency", c["currency"])
        if ccy != reporting and ccy not in fx:
            raise SpecError(f"{where}.currency: {ccy!r} is neither the reporting currency {reporting} nor in fx; "
                            f"add fx.{ccy} = {{\"rate\": ..., \"sigma\": ...}}")
        out.append({"code": c["code"], "currency": ccy, "amounts": _per_year(f"{where}.amounts", c["amounts"], years)})
    return out


def _precision(value: Any) -> str:
    if not isinstance(value, str) or value not in PRECISIONS:
        raise SpecError(f"precision: {_short(value)} must be \"float32\" (the default, fastest) or \"float64\" "
                        "(double-precision arithmetic: the same estimates on a CPU and a GPU to about 1e-12)")
    return value


def _json_data(name: str, value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise SpecError(f"{name}: {_short(value)} must be plain JSON data ({err})") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
