"""The risk kernel's parameters from a demo portfolio: selection, money at dated rates, values,
delivery probabilities, call budgets per year, partner commitments and the rates named."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from genesis_desktop.compute.kernel import SpecError
from genesis_desktop.compute.kernels.risk import RISK
from genesis_desktop.portfolio.api import open_portfolio
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.fiscal import JP, US
from genesis_desktop.portfolio.risk_inputs import DELIVERY_BY_PHASE, programme_years, risk_params_from_portfolio, split
from genesis_desktop.portfolio.store import open_store

ON = "2026-06-15"  # the demo's USD/JPY rate published on 2026-06-01 is 146.50


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(store, frames) of a 400-proposal demo portfolio, built once for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('risk') / 'demo.sqlite'}"
    store = open_store(url)
    build_demo(store, proposals=400, seed=2026)
    with open_portfolio(url) as p:
        frames = {"proposals": p.proposals(), "budgets": p.proposal_budgets(), "reviews": p.reviews(),
                  "calls": p.calls()}
    yield store, frames
    store.close()


@pytest.fixture(scope="module")
def params(demo):
    return risk_params_from_portfolio(demo[0].engine, rates_on=ON, scenarios=4000, block_size=2000)


def test_selection_defaults_to_recommended_and_awarded(demo, params):
    proposals = demo[1]["proposals"]
    chosen = proposals[proposals["status"].isin(["recommended", "awarded"])]
    assert 0 < len(chosen) < len(proposals)
    assert [p["code"] for p in params["proposals"]] == sorted(chosen["code"])
    assert params["sources"]["selection"] == "proposals recommended or awarded"
    assert RISK.prepare(params) == params


def test_costs_values_and_delivery_come_from_the_records(demo, params):
    budgets, reviews = demo[1]["budgets"], demo[1]["reviews"]
    years = params["fiscal_years"]
    phase = dict(zip(demo[1]["proposals"]["code"], demo[1]["proposals"]["phase"]))
    submitted = reviews[reviews["state"] == "submitted"].groupby("proposal")["mean_score"].mean()
    reviewed = 0
    for p in params["proposals"]:
        mine = budgets[budgets["proposal"] == p["code"]]
        expected = {int(y): a for y, a in zip(mine["fiscal_year"], mine["amount"])}
        assert p["cost"] == [expected.get(y, 0.0) for y in years]  # USD to USD: the amounts as they are
        assert p["delivery_probability"] == DELIVERY_BY_PHASE[phase[p["code"]]]
        weight = (10 - submitted[p["code"]]) / (10 - submitted.mean()) if p["code"] in submitted else 1.0
        reviewed += p["code"] in submitted
        assert p["value"] == pytest.approx(sum(expected.values()) * weight, rel=1e-12)
    assert reviewed > 0  # the demo reviews some of the selected proposals


def test_budgets_spread_the_call_budget_over_the_years_of_its_requests(demo, params):
    call = demo[1]["calls"].iloc[0]
    # The selection spends in every year the call's proposals ask for, so the whole budget is there, to the cent.
    assert round(sum(params["budgets"]) * 100) == call["total_budget_minor"]
    live = demo[1]["budgets"][~demo[1]["budgets"]["status"].isin(["declined", "withdrawn"])]
    demand = live.groupby("fiscal_year")["amount_minor"].sum()
    for year, budget in zip(params["fiscal_years"], params["budgets"]):
        assert budget == pytest.approx(call["total_budget"] * demand[year] / demand.sum(), abs=0.01)
    assert params["sources"]["calls"] == [call["number"]]


def test_partners_in_yen_stay_in_yen_with_the_dated_rate(params):
    codes = {p["code"]: p for p in params["partners"]}
    assert {"JP-MEXT-QUANTUM", "US-DOE-QUANTUM"} <= set(codes)  # "quantum" funds quantum information science
    assert "JP-METI-FUSION" not in codes  # no selected proposal works on fusion
    assert codes["JP-MEXT-QUANTUM"]["currency"] == "JPY"
    assert params["fx"] == {"JPY": {"rate": 146.5, "sigma": 0.1}}
    assert {"base": "USD", "quote": "JPY", "on": "2026-06-01", "rate": "146.5000000000", "source": "illustrative",
            "used_for": "partner money: median exchange rate"} in params["sources"]["rates"]
    # JP FY2026 (April 2026 to March 2027) is shared by US FY2026 (183 days) and FY2027 (182 days).
    yen = dict(zip(params["fiscal_years"], codes["JP-MEXT-QUANTUM"]["amounts"]))
    assert yen[2026] == 2_938_027_397
    assert yen[2027] == 2_921_972_603 + programme_years(2027, 5_860_000_000, JP, US)[0][1]


def test_programme_years_share_a_partner_year_by_days_exactly():
    assert programme_years(2026, 5_860_000_000, JP, US) == [(2026, 2_938_027_397), (2027, 2_921_972_603)]
    assert sum(a for _, a in programme_years(2026, 1_000_001, JP, US)) == 1_000_001
    assert programme_years(2027, 500, US, US) == [(2027, 500)]
    assert split(10, [1, 1, 1]) == [4, 3, 3] and split(7, [0, 0]) == [0, 0] and sum(split(99, [3, 5, 11])) == 99


def test_codes_reporting_currency_and_overrides(demo):
    engine = demo[0].engine
    two = risk_params_from_portfolio(engine, codes=["P-000002", "P-000001"], reporting_currency="JPY", rates_on=ON,
                                     tail=0.99, scenarios=1000)
    assert [p["code"] for p in two["proposals"]] == ["P-000001", "P-000002"]
    assert (two["currency"], two["tail"], two["scenarios"]) == ("JPY", 0.99, 1000)
    usd = risk_params_from_portfolio(engine, codes=["P-000001"], rates_on=ON)["proposals"][0]["cost"]
    assert two["proposals"][0]["cost"][: len(usd)] == [float((Decimal(str(c)) * Decimal("146.5")).to_integral_value())
                                                       for c in usd]
    assert "USD" in two["fx"] and two["fx"]["USD"]["rate"] == pytest.approx(1 / 146.5)
    assert any(r["used_for"] == "proposal budgets" for r in two["sources"]["rates"])


def test_bad_selection_or_override_is_a_spec_error(demo):
    engine = demo[0].engine
    with pytest.raises(SpecError, match=r"codes: \['NOPE'\] are not proposals of this portfolio"):
        risk_params_from_portfolio(engine, codes=["NOPE", "P-000001"])
    with pytest.raises(SpecError, match="tail: 2"):
        risk_params_from_portfolio(engine, tail=2)


def test_no_proposal_recommended_or_awarded(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        build_demo(store, proposals=0)
        with pytest.raises(SpecError, match="no proposal is recommended or awarded"):
            risk_params_from_portfolio(store.engine)
    finally:
        store.close()


def test_the_kernel_runs_on_the_portfolio_parameters(params):
    partials = [RISK.run_block(params, 1, b) for b in range(RISK.block_count(params))]
    result = RISK.combine(params, partials)
    assert result["scenarios"] == 4000 and result["currency"] == "USD"
    cost = result["expected_cost"]
    assert cost["low"] - 0.01 * cost["exact"] <= cost["exact"] <= cost["high"] + 0.01 * cost["exact"]
    assert sum(result["tail_contributions"].values()) == pytest.approx(result["conditional_value_at_risk"]["estimate"])
    assert date.fromisoformat(params["sources"]["rates_on"]) == date(2026, 6, 15)


def test_codes_and_dates_as_text_from_a_command_line(demo):
    params = risk_params_from_portfolio(demo[0].engine, codes="P-000002, P-000001", rates_on="2026-06-15")
    assert [p["code"] for p in params["proposals"]] == ["P-000001", "P-000002"]
    with pytest.raises(SpecError, match="rates_on: 'June' must be a date such as 2026-06-01"):
        risk_params_from_portfolio(demo[0].engine, rates_on="June")
