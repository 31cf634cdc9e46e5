"""The calibration kernel: its blocks combine to exactly what ranking.funding_odds gives, the result
keeps the contract the Reviews view reads (names, scale, nulls), leniency means generosity on any
scale, bad parameters are named, and a real local job reports running estimates; standings finds
the newest completed run of a call."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.compute.kernel import SpecError
from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.compute.testing import reference_result
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.calibration import calibrate
from genesis_desktop.review.kernel_calibration import CALIBRATION
from genesis_desktop.review.ranking import funding_odds
from genesis_desktop.review.standings import latest_result

SCALE = {"low": 1, "high": 9, "best": "low"}
PROPOSAL_KEYS = {"code", "title", "reviews", "raw_total", "calibrated_total", "calibrated_sd", "probability_funded",
                 "expected_rank", "rank_low", "rank_high", "grey_zone", "funded_at_mean", "cost"}
RESULT_KEYS = {"call", "currency", "budget", "draws", "seed", "scale", "mu", "variances", "converged",
               "funding_line", "proposals", "reviewers"}


def panel(n_p=50, n_r=14, seed=3, generous=None, best="low"):
    """Reviews on a 1..9 scale: quality plus the reviewer's generosity plus noise. `generous` plants
    {reviewer: generosity}; on an NIH scale (best low) generosity lowers the numbers."""
    rng = np.random.default_rng(seed)
    quality, generosity = rng.normal(0, 1.2, n_p), rng.normal(0, 0.6, n_r)
    for j, g in (generous or {}).items():
        generosity[j] = g
    direction = -1 if best == "low" else 1
    reviews = []
    for p in range(n_p):
        for r in rng.choice(n_r, 3, replace=False):
            total = 5 + direction * (quality[p] + generosity[r]) + rng.normal(0, 0.4)
            reviews.append([f"P-{p:03d}", f"r{r:02d}@lab.org", float(np.clip(total, 1, 9))])
    return reviews


def params_of(reviews, **over):
    codes = sorted({r[0] for r in reviews})
    rng = np.random.default_rng(1)
    costs = {c: int(rng.integers(2, 9)) * 10_000_000 for c in codes[:-4]}  # the last 4 only measure reviewers
    costs["P-999"] = 30_000_000  # competes without any review
    params = {"call": "DE-FOA-1", "currency": "USD", "budget": 600_000_000, "costs": costs,
              "fit_only": codes[-4:], "scale": SCALE, "reviews": reviews,
              "titles": {c: f"Title of {c}" for c in costs}, "names": {"r00@lab.org": "Ada"},
              "draws": 230, "draws_per_block": 100}
    params.update(over)
    return CALIBRATION.prepare(params)


@pytest.fixture(scope="module")
def run():
    params = params_of(panel())
    blocks = CALIBRATION.block_count(params)
    partials = [CALIBRATION.run_block(params, 11, b) for b in range(blocks)]
    return params, partials, CALIBRATION.combine(params, partials)


def test_the_blocks_combine_to_exactly_what_funding_odds_gives(run):
    params, partials, result = run
    assert CALIBRATION.block_count(params) == 3 and [len(p["ranks"]) for p in partials] == [100, 100, 30]
    # The fit and the odds computed here directly, in the kernel's order: competing codes, then fit-only.
    codes = sorted(params["costs"]) + params["fit_only"]
    emails = sorted({r[1] for r in params["reviews"]})
    rows = params["reviews"]
    cal = calibrate(np.array([codes.index(r[0]) for r in rows]), np.array([emails.index(r[1]) for r in rows]),
                    -np.array([r[2] for r in rows]), len(codes), len(emails))
    cost = np.array([float(params["costs"].get(c, 0)) for c in codes])
    eligible = (cal.reviews_per_proposal > 0) & np.isin(codes, list(params["costs"]))
    odds = funding_odds(cal, cost, float(params["budget"]), draws=230, seed=11, eligible=eligible)
    by_code = {p["code"]: p for p in result["proposals"]}
    assert set(by_code) == set(params["costs"]), "fit-only proposals are not listed"
    for i, code in enumerate(codes[:len(params["costs"])]):
        p = by_code[code]
        assert p["probability_funded"] == odds.probability_funded[i]
        for name in ("expected_rank", "rank_low", "rank_high"):
            expected = getattr(odds, name)[i]
            assert p[name] == (None if math.isnan(expected) else expected), (code, name)
        assert p["funded_at_mean"] == odds.funded_at_mean[i] and p["grey_zone"] == odds.grey_zone[i]
        assert p["calibrated_total"] == -(cal.mu + cal.quality_mean[i])
    assert result["funding_line"] == -odds.funding_line
    assert 0 < sum(p["grey_zone"] for p in result["proposals"]), "the budget leaves some proposals in doubt"
    # Blocks computed in any order and combined in block order give the same bits.
    backwards = {b: CALIBRATION.run_block(params, 11, b) for b in reversed(range(3))}
    assert json.dumps(CALIBRATION.combine(params, [backwards[b] for b in range(3)])) == json.dumps(result)


def test_the_result_keeps_the_contract_of_the_reviews_view(run):
    params, _, result = run
    json.dumps(result, allow_nan=False)
    assert CALIBRATION.prepare(json.loads(json.dumps(params))) == params, "prepare is idempotent"
    assert set(result) == RESULT_KEYS
    assert result["scale"] == SCALE and result["seed"] == 11 and result["draws"] == 230
    assert result["budget"] == 6_000_000.0 and result["currency"] == "USD" and result["call"] == "DE-FOA-1"
    assert set(result["variances"]) == {"quality", "offset", "noise"} and result["converged"] is True
    assert all(set(p) == PROPOSAL_KEYS for p in result["proposals"])
    ranked = [p["expected_rank"] for p in result["proposals"] if p["expected_rank"] is not None]
    assert ranked == sorted(ranked), "proposals sorted by expected rank"
    unreviewed = result["proposals"][-1]
    assert unreviewed["code"] == "P-999" and unreviewed["reviews"] == 0 and unreviewed["raw_total"] is None
    assert unreviewed["expected_rank"] is None and unreviewed["probability_funded"] == 0.0
    assert unreviewed["cost"] == 300_000.0 and unreviewed["title"] == "Title of P-999"
    first = result["proposals"][0]
    mine = [r[2] for r in params["reviews"] if r[0] == first["code"]]
    assert first["raw_total"] == pytest.approx(np.mean(mine)) and first["reviews"] == len(mine)
    assert first["calibrated_total"] < result["mu"], "on an NIH scale the best proposals score below the mean"
    reviewers = {r["email"]: r for r in result["reviewers"]}
    assert reviewers["r00@lab.org"]["name"] == "Ada"
    assert sum(r["reviews"] for r in result["reviewers"]) == len(params["reviews"])


@pytest.mark.parametrize("best", ["low", "high"])
def test_leniency_is_generosity_whichever_end_of_the_scale_is_best(best):
    reviews = panel(generous={0: 1.5, 1: -1.5}, best=best)
    params = params_of(reviews, scale={"low": 1, "high": 9, "best": best}, draws=50, draws_per_block=50)
    result = CALIBRATION.combine(params, [CALIBRATION.run_block(params, 1, 0)])
    leniency = {r["email"]: r["leniency"] for r in result["reviewers"]}
    assert leniency["r00@lab.org"] > 0.8 and leniency["r01@lab.org"] < -0.8
    ranked = [p for p in result["proposals"] if p["expected_rank"] is not None]
    best_first = ranked[0]["calibrated_total"] < ranked[-1]["calibrated_total"]
    assert best_first == (best == "low"), "the best-ranked proposal is at the best end of the scale"


@pytest.mark.parametrize("change, message", [
    ({"draws_per_block": 70}, "draws_per_block: 70 must be a multiple of 50"),
    ({"draws": 0}, "draws: 0 must be a whole number >= 1"),
    ({"budget": -5}, "budget: -5 must be a whole number >= 0"),
    ({"currency": "EURO"}, "currency: currency must be an ISO 4217 code"),
    ({"scale": {"low": 1, "high": 9, "best": "middle"}}, "scale.best: 'middle' must be 'low' or 'high'"),
    ({"reviews": [["P-404", "a@b", 3.0]]}, r"reviews\[0\]: proposal 'P-404' is neither in costs nor in fit_only"),
    ({"reviews": [["P-000", "a@b", 12.0]]}, r"reviews\[0\]: total 12.0 of P-000 by a@b is outside the scale 1 to 9"),
    ({"reviews": [["P-000", "a@b", 3.0], ["P-001", "c@d", 3.0]]}, "the calibration cannot be fitted: all 2 scores"),
    ({"reviews": [["P-000", "a@b", 3.0], ["P-000", "a@b", 4.0]]}, r"a@b reviewed P-000 already at reviews\[0\]"),
    ({"costs": {"P-000": 1.5}}, "costs: must be an object of text keys and int values"),
])
def test_bad_parameters_are_named_with_their_value_and_rule(change, message):
    params = {"call": "C", "currency": "USD", "budget": 10, "costs": {"P-000": 1, "P-001": 1}, "scale": SCALE,
              "reviews": [["P-000", "a@b", 3.0], ["P-001", "a@b", 5.0]], **change}
    with pytest.raises(SpecError, match=message):
        CALIBRATION.prepare(params)


@pytest.fixture
def jobs(db_url):
    store = JobStore(open_store(db_url).engine, owns_engine=True)
    yield store
    store.close()


def test_a_job_reports_running_estimates_and_standings_finds_its_result(jobs):
    local = registry.load(registry.find("local"), jobs)
    try:
        params = params_of(panel(), draws=400)
        spec = service.make_spec("calibration", params, seed=4, resources=Resources(workers=2))
        job_id = jobs.create_job(spec, backend=local.name)
        local.submit(spec, job_id)
        record = service.follow(jobs, local, job_id, poll_s=0.05)
        # A failed run of the same call afterwards, and a run of another call: neither hides it.
        other = service.make_spec("calibration", {**params, "call": "OTHER"}, seed=4)
        jobs.create_job(other, backend=local.name)
        failed = jobs.create_job(spec, backend=local.name)
        jobs.transition(failed, JobState.FAILED, "on purpose", error="on purpose")
    finally:
        local.close()
    assert record.state is JobState.COMPLETED, record.error
    assert record.result == reference_result(spec)
    estimates = [e.payload for e in jobs.telemetry(job_id) if e.kind is Kind.ESTIMATE]
    assert estimates and all(e["name"] == "proposals funded" for e in estimates)
    assert estimates[-1]["samples"] == 400 and estimates[-1]["low"] <= estimates[-1]["value"] <= estimates[-1]["high"]
    expected = sum(p["probability_funded"] for p in record.result["proposals"])
    assert estimates[-1]["value"] == pytest.approx(expected)
    found, result = latest_result(jobs, "calibration", "DE-FOA-1")
    assert found.id == job_id and result == record.result
    assert latest_result(jobs, "assignment", "DE-FOA-1") is None
    assert latest_result(jobs, "calibration", "NO-SUCH-CALL") is None
    with pytest.raises(ValueError, match="'risk' is not a review kernel"):
        latest_result(jobs, "risk", "DE-FOA-1")
