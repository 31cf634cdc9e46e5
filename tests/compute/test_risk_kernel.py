"""The portfolio risk kernel: determinism across block order, processes and seeds; estimates against
closed forms; exact degenerate cases; tail measures and contributions; parameter errors."""
from __future__ import annotations

import json
import math
import multiprocessing
import random
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from statistics import NormalDist

import numpy as np
import pytest

from genesis_desktop.compute.kernel import SpecError
from genesis_desktop.compute.kernels import risk_block
from genesis_desktop.compute.kernels.risk import RISK
from genesis_desktop.compute.kernels.risk_model import Model

N = NormalDist()


def make_params(proposals: int = 12, **over) -> dict:
    """A small portfolio over FY2026-2028 with a JPY partner; costs and values vary by proposal."""
    props = []
    for i in range(proposals):
        props.append({"code": f"P-{i:03d}",
                      "cost": {"FY2026": 100_000.0 * (1 + i % 4), "FY2027": 250_000.0 + 10_000 * i,
                               2028: 50_000.0 * (i % 3)},
                      "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.04 * (i % 12)})
    props[0]["overrun_sigma"] = 0.6  # one proposal with settings of its own
    props[1]["cancel_probability"] = 0.3
    params = {"currency": "USD", "proposals": props,
              "budgets": {2026: 800_000.0, 2027: 4_100_000.0, 2028: 500_000.0},
              "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 30_000_000.0, 2028: 10_000_000.0}},
                           {"code": "US-1", "currency": "USD", "amounts": {2027: 100_000.0}}],
              "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": 20_000, "block_size": 4096}
    params.update(over)
    return RISK.prepare(params)


def run(params: dict, seed: int = 7, order: list[int] | None = None) -> list[dict]:
    """Every block's partial, computed in `order`, returned in block order."""
    blocks = RISK.block_count(params)
    done = {b: RISK.run_block(params, seed, b) for b in (order if order is not None else range(blocks))}
    return [done[b] for b in range(blocks)]


def same_partials(a: list[dict], b: list[dict]) -> bool:
    return all(x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x) and
               all(x[k].dtype == y[k].dtype for k in x) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def base():
    params = make_params()
    partials = run(params)
    return params, partials, RISK.combine(params, partials)


def test_blocks_are_fixed_by_the_parameters(base):
    params, partials, result = base
    assert RISK.block_count(params) == 5  # 4 x 4096 + 3616
    assert [p["total_cost"].size for p in partials] == [4096] * 4 + [3616]
    assert result["scenarios"] == 20_000
    assert RISK.prepare(params) == params  # prepare is idempotent: the engine calls it again
    json.dumps(params, allow_nan=False)
    json.dumps(result, allow_nan=False)


def test_shuffled_block_order_gives_the_same_bits(base):
    params, partials, result = base
    order = list(range(RISK.block_count(params)))
    random.Random(3).shuffle(order)
    shuffled = run(params, order=order)
    assert same_partials(shuffled, partials)
    assert json.dumps(RISK.combine(params, shuffled)) == json.dumps(result)


def test_blocks_in_two_spawned_processes_give_the_same_bits(base):
    params, partials, result = base
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(RISK.run_block, params, 7, b) for b in reversed(range(len(partials)))]
        remote = [f.result() for f in reversed(futures)]
    assert same_partials(remote, partials)
    assert json.dumps(RISK.combine(params, remote)) == json.dumps(result)


def test_same_seed_same_result_other_seed_other_result(base):
    params, partials, result = base
    assert same_partials(run(params, seed=7), partials)
    other = RISK.combine(params, run(params, seed=8))
    assert other["expected_cost"]["estimate"] != result["expected_cost"]["estimate"]
    assert other["value_at_risk"]["estimate"] != result["value_at_risk"]["estimate"]


def closed_forms(params: dict) -> dict:
    """Expected cost per year, value and partner money, worked out here from the parameters alone."""
    cost = np.zeros(len(params["fiscal_years"]))
    value = 0.0
    run_settings = {k: params[k] for k in ("overrun_sigma", "cancel_probability", "cancel_spend",
                                            "underspend_probability", "underspend_spend")}
    for p in params["proposals"]:
        p = {**run_settings, **p}  # a proposal's own settings win
        plan = 1 - p["cancel_probability"] - p["underspend_probability"]
        outcome = (p["cancel_probability"] * p["cancel_spend"] + p["underspend_probability"] * p["underspend_spend"]
                   + plan)
        cost += np.array(p["cost"]) * outcome * math.exp(p["overrun_sigma"] ** 2 / 2)
        value += p["value"] * (1 - p["cancel_probability"]) * p["delivery_probability"]
    partner = np.zeros_like(cost)
    for c in params["partners"]:
        fx = params["fx"].get(c["currency"])
        per_unit = 1.0 if fx is None else math.exp(fx["sigma"] ** 2 / 2) / fx["rate"]
        partner += np.array(c["amounts"]) * per_unit
    return {"cost": cost, "value": value, "partner": partner}


def within(estimate: dict, exact: float, stderrs: float = 4.0) -> bool:
    stderr = (estimate["high"] - estimate["estimate"]) / 1.959963984540054
    return abs(estimate["estimate"] - exact) <= stderrs * stderr


def test_expectations_lie_within_the_monte_carlo_error_of_the_closed_forms(base):
    params, _, result = base
    exact = closed_forms(params)
    assert within(result["expected_value"], exact["value"])
    assert within(result["expected_cost"], exact["cost"].sum())
    for i, year in enumerate(result["fiscal_years"]):
        assert within(result["expected_cost_by_year"][year], exact["cost"][i])
        assert result["expected_cost_by_year"][year]["exact"] == pytest.approx(exact["cost"][i], rel=1e-12)
        partner = result["expected_partner_money_by_year"][year]
        assert partner["exact"] == pytest.approx(exact["partner"][i], rel=1e-12)
        assert partner["estimate"] == pytest.approx(exact["partner"][i], rel=0.01)
    assert result["expected_value"]["exact"] == pytest.approx(exact["value"], rel=1e-12)
    assert result["expected_cost"]["exact"] == pytest.approx(exact["cost"].sum(), rel=1e-12)


def test_tail_contributions_are_exact_and_sum_to_cvar(base):
    params, partials, result = base
    contributions = result["tail_contributions"]
    assert list(contributions) == [p["code"] for p in params["proposals"]]
    assert result["tail_contributions_exact"] is True
    assert sum(contributions.values()) == pytest.approx(result["conditional_value_at_risk"]["estimate"], rel=1e-12)
    assert all(v >= 0 for v in contributions.values())
    var, cvar = result["value_at_risk"], result["conditional_value_at_risk"]
    assert var["low"] <= var["estimate"] <= var["high"] and var["estimate"] <= cvar["estimate"]
    # CVaR from its definition over all totals: the mean of the worst 5%, here 1000 whole scenarios.
    totals = np.sort(np.concatenate([p["total_cost"] for p in partials]))
    assert cvar["estimate"] == pytest.approx(totals[-1000:].mean(), rel=1e-12)
    assert var["estimate"] == totals[19_000 - 1]


def test_tail_contributions_when_a_block_kept_too_few_rows(base, monkeypatch):
    """A block that missed some of its tail scenarios: the split is estimated, still sums to CVaR."""
    params, _, result = base
    monkeypatch.setattr(risk_block, "TAIL_SIGMAS", -4.0)  # keep fewer rows than the tail holds
    short = RISK.combine(params, run(params))
    assert short["tail_contributions_exact"] is False
    assert short["conditional_value_at_risk"] == result["conditional_value_at_risk"]
    assert sum(short["tail_contributions"].values()) == pytest.approx(short["conditional_value_at_risk"]["estimate"],
                                                                        rel=1e-12)
    for code, exact in result["tail_contributions"].items():
        assert short["tail_contributions"][code] == pytest.approx(exact, rel=0.15, abs=2_000)


def certain(**over) -> dict:
    """No uncertainty at all: every scenario spends the plan; 250k + 400k in FY2026, 300k in FY2027."""
    return RISK.prepare({
        "currency": "USD", "overrun_sigma": 0.0, "cancel_probability": 0.0, "underspend_probability": 0.0,
        "proposals": [{"code": "A", "cost": {2026: 250_000.0, 2027: 300_000.0}, "value": 1e6,
                       "delivery_probability": 1},
                      {"code": "B", "cost": {2026: 400_000.0}, "value": 2e6, "delivery_probability": 0}],
        "scenarios": 3000, "block_size": 1000, **over})


def test_no_uncertainty_gives_exact_probabilities_and_tail():
    params = certain(budgets={2026: 650_000.0, 2027: 299_999.0})
    result = RISK.combine(params, run(params))
    assert result["p_within_budget_by_year"]["FY2026"]["estimate"] == 1.0  # spending equal to the budget fits
    assert result["p_within_budget_by_year"]["FY2027"]["estimate"] == 0.0
    assert result["p_within_all_budgets"]["estimate"] == 0.0
    assert result["expected_value"]["estimate"] == 1e6
    assert result["value_at_risk"]["estimate"] == result["conditional_value_at_risk"]["estimate"] == 950_000.0
    assert result["tail_contributions"] == pytest.approx({"A": 550_000.0, "B": 400_000.0}, rel=1e-12)
    roomy = certain(budgets={2026: 1e6, 2027: 1e6})
    assert RISK.combine(roomy, run(roomy))["p_within_all_budgets"]["estimate"] == 1.0


def test_partner_money_in_yen_raises_the_budget_at_a_lognormal_rate():
    """FY2027 is 100k short without the partner; 15M yen covers it when the rate is at most 150
    yen per dollar: P = Phi(ln(150 / 140) / 0.1)."""
    params = certain(budgets={2026: 1e6, 2027: 200_000.0}, scenarios=20_000, block_size=4096,
                     partners=[{"code": "JP", "currency": "JPY", "amounts": {2027: 15_000_000.0}}],
                     fx={"JPY": {"rate": 140.0, "sigma": 0.1}})
    result = RISK.combine(params, run(params))
    expected = N.cdf(math.log(150 / 140) / 0.1)
    got = result["p_within_budget_by_year"]["FY2027"]
    assert abs(got["estimate"] - expected) <= 4 * math.sqrt(expected * (1 - expected) / 20_000)
    assert got["low"] <= got["estimate"] <= got["high"]
    assert result["p_within_budget_by_year"]["FY2026"]["estimate"] == 1.0


def test_value_at_risk_of_one_proposal_is_its_lognormal_quantile():
    sigma, cost, tail = 0.3, 1_000_000.0, 0.95
    params = RISK.prepare({
        "currency": "USD", "overrun_sigma": sigma, "cancel_probability": 0, "underspend_probability": 0,
        "proposals": [{"code": "ONLY", "cost": {2026: cost}, "value": 1.0, "delivery_probability": 0.5}],
        "budgets": {2026: 2e6}, "scenarios": 40_000, "block_size": 8192, "tail": tail})
    result = RISK.combine(params, run(params, seed=11))
    z = N.inv_cdf(tail)
    var = result["value_at_risk"]
    assert var["low"] <= cost * math.exp(sigma * z) <= var["high"]
    # E[X | X >= VaR] of a lognormal: cost exp(sigma^2 / 2) Phi(sigma - z) / (1 - tail).
    cvar = result["conditional_value_at_risk"]
    assert cvar["low"] <= cost * math.exp(sigma**2 / 2) * N.cdf(sigma - z) / (1 - tail) <= cvar["high"]
    assert result["tail_contributions"]["ONLY"] == pytest.approx(cvar["estimate"], rel=1e-12)


def test_running_estimates_have_intervals_around_them(base):
    params, partials, result = base
    assert RISK.estimates(params, []) == []
    first = RISK.estimates(params, partials[:1])
    assert {e.name for e in first} == {"expected_value", "expected_cost", "p_within_all_budgets", "value_at_risk",
                                       "conditional_value_at_risk"}
    assert all(e.low <= e.value <= e.high and e.samples == 4096 for e in first)
    final = {e.name: e for e in RISK.estimates(params, partials)}
    assert final["value_at_risk"].value == result["value_at_risk"]["estimate"]
    width = {e.name: e.high - e.low for e in first}
    assert final["expected_cost"].high - final["expected_cost"].low < width["expected_cost"]  # more blocks, narrower


def test_a_block_of_65536_scenarios_and_300_proposals_stays_small():
    params = make_params(proposals=300, scenarios=65_536, block_size=65_536,
                         budgets={2026: 1e8, 2027: 1e8, 2028: 1e8})
    tracemalloc.start()
    try:
        partial = RISK.run_block(params, 1, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert sum(a.nbytes for a in partial.values()) < 10 * 2**20


BAD = [
    ({"tail": 1.5}, "tail: 1.5"),
    ({"tail": 1}, "tail: 1.0 must lie strictly between 0 and 1"),
    ({"scenarios": 0}, "scenarios: 0 must be a whole number >= 2"),
    ({"block_size": "many"}, "block_size: 'many' must be a whole number"),
    ({"overrun_sigma": -0.1}, "overrun_sigma: -0.1 must be a finite number in [0.0, 3.0]"),
    ({"cancel_probability": 0.6, "underspend_probability": 0.5}, "cancel_probability + underspend_probability"),
    ({"budgets": {2026: 1.0, 2027: 1.0}}, "budgets: no amount for FY2028"),
    ({"budgets": {2026: 1.0, 2027: 1.0, 2028: -5}}, "budgets.FY2028: -5 must be a finite number"),
    ({"fx": {}}, "partners[0].currency: 'JPY' is neither the reporting currency USD nor in fx"),
    ({"fx": {"JPY": {"rate": 0, "sigma": 0.1}}}, "fx.JPY.rate: 0.0 must be above 0"),
    ({"currency": "usd"}, "currency: 'usd' must be an ISO 4217 currency code"),
    ({"colour": "red"}, "risk: unknown parameters ['colour']"),
    ({"fiscal_years": [2027, 2026]}, "fiscal_years: [2027, 2026] must be increasing"),
    ({"proposals": []}, "proposals: [] must be a non-empty list"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_parameters_name_the_parameter_value_and_rule(change, message):
    params = {**make_params(), **change}
    with pytest.raises(SpecError) as err:
        RISK.prepare(params)
    assert message in str(err.value)


@pytest.mark.parametrize(("change", "message"), [
    ({"delivery_probability": 1.2}, "proposals[3].delivery_probability: 1.2 must be a finite number in [0.0, 1.0]"),
    ({"cost": {"FY2031": 5.0}}, "proposals[3].cost: fiscal year 'FY2031' is not one of fiscal_years"),
    ({"cost": {"next year": 5.0}}, "proposals[3].cost: fiscal year 'next year' must look like 2026 or FY2026"),
    ({"code": "P-000"}, "proposals[3].code: 'P-000' appears twice"),
    ({"value": float("nan")}, "proposals[3].value: nan must be a finite number"),
    ({"size": 3}, "proposals[3]: unknown keys ['size']"),
])
def test_bad_proposals_name_the_proposal_and_field(change, message):
    params = make_params()
    params["proposals"][3] = {**params["proposals"][3], **change}
    with pytest.raises(SpecError) as err:
        RISK.prepare(params)
    assert message in str(err.value)


def test_numbers_from_a_command_line_are_read():
    params = make_params(scenarios="1e4", tail="0.9", block_size=2048.0)
    assert (params["scenarios"], params["tail"], params["block_size"]) == (10_000, 0.9, 2048)


def test_run_settings_apply_to_every_proposal_without_its_own():
    params = make_params()
    changed = RISK.prepare({**params, "overrun_sigma": 0.4})
    assert "overrun_sigma" not in changed["proposals"][2] and changed["proposals"][0]["overrun_sigma"] == 0.6
    assert Model.of(changed).sigma.tolist() == [0.6] + [0.4] * 11
