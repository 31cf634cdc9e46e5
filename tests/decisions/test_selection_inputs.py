"""A scenario's selection problem from the records: money in the reporting currency at the dated rate
(or the scenario's own assumption), checked by hand; who each coverage rule and cap is about; the
continuation reserve, committed money, Phase I -> II requirements and the rule that forces a Phase II
out; merit from reviews or from a calibration run; and errors that name the field and the value."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from sqlalchemy import select

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.decisions.scenario_spec import ScenarioError, ScenarioSpec
from genesis_desktop.decisions.selection_inputs import build_inputs
from genesis_desktop.portfolio.schema import (Challenge, ExchangeRate, Institution, InstitutionKind, Partner,
                                              PartnerKind, Proposal, ProposalBudget, ProposalChallenge,
                                              ProposalInstitution, ProposalStatus, Review, Reviewer, ReviewState)
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.job_inputs import calibration_params

CALL = "DE-FOA-0003612"  # the demo's call
SCORES = lambda v: {k: v for k in ("merit", "relevance", "team", "feasibility", "ai_platform", "budget")}  # noqa: E731


@pytest.fixture
def hand(one_call):
    """Call C-1 (USD 10,000,000) with seven proposals; P-2 asks in yen. Rates: 150 JPY per USD from
    2026-01-01, 146.5 from 2026-06-01. P-3 continues P-1 (in the pool), P-4 continues P-5 (declined),
    P-6 is an awarded Phase I, P-7 is only submitted. NVIDIA is the company CO."""
    store = one_call.store
    with store.session() as s, s.begin():
        uni = Institution(code="MIT", name="MIT", kind=InstitutionKind.UNIVERSITY, country="US")
        co = Institution(code="CO", name="Nvidia Corp", kind=InstitutionKind.COMPANY, country="US")
        ornl = Institution(code="ORNL", name="Oak Ridge", kind=InstitutionKind.NATIONAL_LAB, country="US")
        s.add_all([uni, co, ornl])
        s.flush()
        s.add_all([Partner(code="NVIDIA", name="NVIDIA", kind=PartnerKind.COMPANY, country="US", institution_id=co.id),
                   Partner(code="GMC", name="Genesis consortium", kind=PartnerKind.CONSORTIUM, country="US"),
                   ExchangeRate(base="USD", quote="JPY", on=date(2026, 1, 1), rate=Decimal("150.0")),
                   ExchangeRate(base="USD", quote="JPY", on=date(2026, 6, 1), rate=Decimal("146.5"))])
        challenges = [Challenge(programme_id=one_call.programme_id, code=f"CH-{i}", title=f"Challenge {i}", area=area)
                      for i, area in ((1, "quantum"), (2, "energy"), (3, "quantum"))]
        s.add_all(challenges)
        s.flush()
        ch = {c.code: c.id for c in challenges}
        lab = {"LAB": one_call.lab_id, "MIT": uni.id, "CO": co.id, "ORNL": ornl.id}
        specs = [  # code, phase, status, currency, lead, team, {year: minor}, challenges (primary first)
            ("P-1", "I", "under_review", "USD", "LAB", ["MIT"], {2026: 30_000_000, 2027: 20_000_000}, ["CH-1"]),
            ("P-2", "I", "recommended", "JPY", "MIT", ["CO"], {2026: 30_000_000, 2027: 45_000_007}, ["CH-2", "CH-3"]),
            ("P-3", "II", "under_review", "USD", "ORNL", ["LAB"], {2027: 100_000_000, 2028: 100_000_000,
                                                                   2029: 100_000_000}, ["CH-1"]),
            ("P-4", "II", "under_review", "USD", "MIT", ["ORNL"], {2027: 50_000_000}, ["CH-2"]),
            ("P-5", "I", "declined", "USD", "LAB", ["MIT"], {2026: 10_000_000}, ["CH-2"]),
            ("P-6", "I", "awarded", "USD", "LAB", ["CO"], {2026: 40_000_000, 2027: 10_000_000}, ["CH-3"]),
            ("P-7", "I", "submitted", "USD", "MIT", ["LAB"], {2026: 5_000_000}, ["CH-1"]),
        ]
        ids = {}
        for code, phase, status, ccy, lead, team, budget, topics in specs:
            p = Proposal(code=code, call_id=one_call.call_id, phase=phase, title=f"Title of {code}", currency=ccy,
                         status=ProposalStatus(status), lead_institution_id=lab[lead], principal_investigator="PI")
            s.add(p)
            s.flush()
            ids[code] = p.id
            s.add_all([ProposalInstitution(proposal_id=p.id, institution_id=lab[t]) for t in team])
            s.add_all([ProposalBudget(proposal_id=p.id, fiscal_year=y, amount_minor=a) for y, a in budget.items()])
            s.add_all([ProposalChallenge(proposal_id=p.id, challenge_id=ch[t], is_primary=k == 0)
                       for k, t in enumerate(topics)])
        s.flush()
        s.get(Proposal, ids["P-3"]).continues_id = ids["P-1"]
        s.get(Proposal, ids["P-4"]).continues_id = ids["P-5"]
        r1, r2 = Reviewer(email="r1@x.org", name="R1"), Reviewer(email="r2@x.org", name="R2")
        s.add_all([r1, r2])
        s.flush()
        for code, reviewer, v in (("P-1", r1, 2), ("P-1", r2, 3), ("P-2", r1, 5), ("P-4", r2, 1)):
            s.add(Review(proposal_id=ids[code], reviewer_id=reviewer.id, scores=SCORES(v),
                         state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 1)))
    return store


def spec(**over) -> ScenarioSpec:
    return ScenarioSpec.from_json({"call": "C-1", "rates": {"on": "2026-06-15"}, **over})


def row(inputs, code: str) -> int:
    return inputs.context.codes.index(code)


def test_money_is_converted_at_the_dated_rate_or_the_scenarios_assumption(hand):
    inputs = build_inputs(hand, spec(continuation={"share": 0}))
    c = inputs.context
    assert c.currency == "USD" and c.years == [2026, 2027, 2028, 2029]
    # By hand: yen x 100 cents / 146.5 (the rate of 2026-06-01, the latest on or before 2026-06-15), half-even.
    by_hand = [float(round(Fraction(yen * 100) / Fraction("146.5"))) / 100 for yen in (30_000_000, 45_000_007)]
    assert by_hand == [204778.16, 307167.28]
    assert c.requested[row(inputs, "P-2")].tolist() == [*by_hand, 0.0, 0.0]
    assert c.requested[row(inputs, "P-1")].tolist() == [300_000.0, 200_000.0, 0.0, 0.0]
    assert c.rates_used == {"JPY": {"rate": 146.5, "on": "2026-06-01", "source": ""}}
    assert build_inputs(hand, spec(rates={"on": "2026-02-01"})).context.requested[row(inputs, "P-2")][0] == 200_000.0
    assumed = build_inputs(hand, spec(rates={"on": "2026-06-15", "override": {"JPY": 150}}))
    assert assumed.context.requested[row(inputs, "P-2")][:2].tolist() == [200_000.0, 300_000.05]
    assert assumed.context.rates_used["JPY"] == {"rate": 150.0, "on": None, "source": "scenario assumption"}
    with pytest.raises(ScenarioError, match=r"rates: the budget of P-2 is in JPY and no JPY/USD exchange rate on or "
                                            r"before 2025-12-31.*rates.override.JPY"):
        build_inputs(hand, spec(rates={"on": "2025-12-31"}))
    # An assumption needs no published rate at all.
    build_inputs(hand, spec(rates={"on": "2025-12-31", "override": {"JPY": 150}}))


def test_pool_committed_money_and_the_continuation_reserve(hand):
    inputs = build_inputs(hand, spec(budgets={"2026": 1_000_000, "2027": 2_000_000}))
    p, c = inputs.problem, inputs.context
    assert c.codes == ["P-1", "P-2", "P-3", "P-4"], "under review and recommended; not declined, awarded, submitted"
    assert p.years == c.years == [2026, 2027, 2028, 2029, 2030]
    # P-1 asks 500,000 in all and ends in FY2027: 0.5 x 3 x 500,000 a year in FY2028 to FY2030.
    assert c.reserve[row(inputs, "P-1")].tolist() == [0, 0, 750_000, 750_000, 750_000]
    assert c.reserve[row(inputs, "P-3")].tolist() == [0] * 5, "Phase II reserves nothing"
    assert np.array_equal(p.cost, c.requested + c.reserve)
    # The awarded P-6 (500,000 over FY2026-27) is committed, and so is its reserve.
    assert c.committed == {2026: 400_000, 2027: 100_000, 2028: 750_000, 2029: 750_000, 2030: 750_000}
    assert c.committed_reserve == {2026: 0, 2027: 0, 2028: 750_000, 2029: 750_000, 2030: 750_000}
    assert p.committed.tolist() == [400_000, 100_000, 750_000, 750_000, 750_000]
    assert c.budget == {2026: 1_000_000, 2027: 2_000_000, 2028: None, 2029: None, 2030: None}
    unlimited = p.budget[2:]
    assert (unlimited > p.committed[2:] + p.cost[:, 2:].sum(axis=0)).all(), "years without a budget never bind"
    assert any("no budget for FY2028, FY2029, FY2030" in n for n in c.notes)
    other = build_inputs(hand, spec(continuation={"share": 0.2, "multiple": 4, "years": 1}, pool=["submitted"]))
    assert other.context.codes == ["P-7"]
    assert other.context.years == [2026, 2027, 2028], "P-7 reserves in FY2027, the awarded P-6 in FY2028"
    assert other.context.reserve.tolist() == [[0, 0.2 * 4 * 50_000, 0]]
    assert build_inputs(hand, spec(continuation={"share": 0})).context.reserve.sum() == 0


def test_budgets_default_to_the_calls_total_spread_like_its_live_requests(hand):
    c = build_inputs(hand, spec(continuation={"share": 0})).context
    # Live (not declined or withdrawn) requests: FY2026 300,000 + 204,778.16 + 400,000 + 50,000; FY2027 200,000 +
    # 307,167.28 + 1,000,000 + 500,000 + 100,000; FY2028 and FY2029 1,000,000 each. The call has 10,000,000.
    demand = [95477816, 210716728, 100000000, 100000000]
    shares = [Fraction(10**9 * d, sum(demand)) for d in demand]
    assert sum(c.budget.values()) == pytest.approx(10_000_000, abs=1e-6)
    assert [c.budget[y] for y in (2026, 2027, 2028, 2029)] == pytest.approx([float(x) / 100 for x in shares], abs=0.01)
    assert any("spread over fiscal years" in n for n in c.notes)


def test_coverage_and_caps_are_about_the_right_proposals(hand):
    inputs = build_inputs(hand, spec(
        coverage=[{"kind": "challenge", "key": "ch-1", "min_count": 1}, {"kind": "area", "key": "Quantum", "min_money": 5},
                  {"kind": "area", "key": "energy", "min_count": 1}],
        caps=[{"kind": "lab", "key": "LAB", "max_count": 1}, {"kind": "lab", "key": "ORNL", "max_money": 1e6},
              {"kind": "institution", "key": "MIT", "max_count": 2}, {"kind": "partner", "key": "nvidia", "max_count": 1}]))
    p = inputs.problem
    members = {r.name: [code for code, x in zip(p.codes, r.members) if x] for r in p.coverage + p.caps}
    assert members == {
        "challenge CH-1": ["P-1", "P-3"], "area quantum": ["P-1", "P-2", "P-3"], "area energy": ["P-2", "P-4"],
        "lab LAB": ["P-1", "P-3"],  # leads P-1, on P-3's team
        "lab ORNL": ["P-3", "P-4"], "institution MIT": ["P-1", "P-2", "P-4"], "partner NVIDIA": ["P-2"]}
    assert [(r.min_count, r.min_money) for r in p.coverage] == [(1, 0), (0, 5), (1, 0)]
    assert [(r.max_count, r.max_money) for r in p.caps] == [(1, None), (None, 1e6), (2, None), (1, None)]
    c = inputs.context
    assert c.areas == ["quantum", "energy", "quantum", "energy"] and c.challenges[1] == ["CH-2", "CH-3"]
    assert c.leads == ["LAB", "MIT", "ORNL", "MIT"] and c.phases == ["I", "I", "II", "II"]


@pytest.mark.parametrize("change, message", [
    ({"coverage": [{"kind": "challenge", "key": "CH-9", "min_count": 1}]},
     r"coverage\[0\].key: 'CH-9' is not a challenge of the programme; known: CH-1, CH-2, CH-3"),
    ({"coverage": [{"kind": "area", "key": "fusion", "min_count": 1}]}, r"coverage\[0\].key: 'fusion' is not an area"),
    ({"caps": [{"kind": "lab", "key": "MIT", "max_count": 1}]},
     r"caps\[0\].key: MIT is a university, not a national lab; use kind institution"),
    ({"caps": [{"kind": "institution", "key": "NOPE", "max_count": 1}]}, r"caps\[0\].key: 'NOPE' is not an institution"),
    ({"caps": [{"kind": "partner", "key": "GMC", "max_count": 1}]}, r"caps\[0\].key: partner GMC is not an institution"),
    ({"forced_in": ["P-99"]}, r"forced_in: 'P-99' is not a proposal of call C-1"),
    ({"forced_out": ["P-6"]}, r"forced_out: P-6 is awarded, not in this scenario's pool"),
    ({"forced_in": ["P-4"]}, r"forced_in: P-4 cannot be funded: its Phase I P-5 was declined"),
    ({"call": "C-404"}, r"call: no call numbered 'C-404'"),
    ({"pool": ["submitted"], "forced_in": ["P-1"]}, r"forced_in: P-1 is under_review, not in this scenario's pool"),
])
def test_what_the_records_do_not_have_is_named(hand, change, message):
    with pytest.raises(ScenarioError, match=message):
        build_inputs(hand, spec(**change))


def test_phase_two_requires_its_phase_one_or_is_forced_out_saying_why(hand):
    inputs = build_inputs(hand, spec(forced_in=["P-2"], forced_out=["P-1"]))
    p, c = inputs.problem, inputs.context
    assert p.requires == [(row(inputs, "P-3"), row(inputs, "P-1"))]
    assert c.forced_by_rule == {row(inputs, "P-4"): "its Phase I P-5 was declined"}
    assert p.forced_out == {row(inputs, "P-4"), row(inputs, "P-1")} and p.forced_in == {row(inputs, "P-2")}
    alone = build_inputs(hand, spec(pool=["under_review"], continuation={"share": 0}))
    assert alone.context.codes == ["P-1", "P-3", "P-4"] and alone.problem.requires == [(1, 0)]
    narrow = build_inputs(hand, spec(pool=["recommended"]))
    assert narrow.context.codes == ["P-2"] and narrow.context.forced_by_rule == {}
    # A Phase I outside the pool and not awarded: its Phase II cannot be funded here either.
    with hand.session() as s, s.begin():
        s.scalar(select(Proposal).where(Proposal.code == "P-4")).continues_id = \
            s.scalar(select(Proposal.id).where(Proposal.code == "P-7"))
    moved = build_inputs(hand, spec())
    assert moved.context.forced_by_rule[row(moved, "P-4")].startswith("its Phase I P-7 is submitted, outside")
    # An awarded Phase I is funded already: its Phase II needs nothing more.
    with hand.session() as s, s.begin():
        s.scalar(select(Proposal).where(Proposal.code == "P-4")).continues_id = \
            s.scalar(select(Proposal.id).where(Proposal.code == "P-6"))
    after_award = build_inputs(hand, spec())
    assert after_award.context.forced_by_rule == {} and after_award.problem.requires == [(2, 0)]


def test_merit_from_raw_reviews_then_from_the_latest_calibration_run(hand):
    inputs = build_inputs(hand, spec(objective="merit"))
    c = inputs.context
    # NIH 1 (best) to 9: P-1 reviewed 2 and 3, mean 2.5 -> (9 - 2.5) / 8; P-2 5 -> 0.5; P-3 none -> 0.
    assert c.merit.tolist() == [6.5 / 8, 0.5, 0.0, 1.0]
    assert c.merit_source == ["reviews", "reviews", "none", "reviews"] and c.calibration_job is None
    assert any("no completed calibration run" in n for n in c.notes)
    assert any("1 proposals have no submitted review, so merit 0: P-3" in n for n in c.notes)
    money = build_inputs(hand, spec(objective="merit_money", continuation={"share": 0}))
    assert money.problem.value.tolist() == pytest.approx((c.merit * money.context.requested.sum(axis=1)).tolist())
    assert build_inputs(hand, spec(objective="count")).problem.value.tolist() == [1.0] * 4

    jobs = JobStore(hand.engine)
    local = registry.load(registry.find("local"), jobs)
    try:
        job_spec = service.make_spec("calibration", {**calibration_params(hand, "C-1", rates_on=date(2026, 6, 15)),
                                                     "draws": 50, "draws_per_block": 50}, seed=1)
        job_id = jobs.create_job(job_spec, backend=local.name)
        local.submit(job_spec, job_id)
        record = service.follow(jobs, local, job_id, poll_s=0.05)
    finally:
        local.close()
    assert record.state is JobState.COMPLETED, record.error
    calibrated = build_inputs(hand, spec()).context
    by_code = {p["code"]: p["calibrated_total"] for p in record.result["proposals"]}
    assert calibrated.calibration_job == job_id
    assert calibrated.merit_source == ["calibration", "calibration", "none", "calibration"]
    for i, code in enumerate(calibrated.codes[:2]):
        assert calibrated.merit[i] == pytest.approx(min(1.0, max(0.0, (9 - by_code[code]) / 8)))
    assert calibrated.calibration["reviews"] == record.spec.params["reviews"], "the run's inputs, for robustness"


def test_on_the_demo_one_proposal_by_hand(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(150))}")
    try:
        inputs = build_inputs(store, ScenarioSpec.from_json({"call": CALL, "rates": {"on": "2026-06-15"}}))
        with store.session() as s:
            statuses = dict(s.execute(select(Proposal.code, Proposal.status)).all())
            first = s.scalar(select(Proposal).where(Proposal.code == inputs.context.codes[0]))
            rows = {b.fiscal_year: b.amount_minor / 100 for b in first.budget}
            awarded = s.execute(select(ProposalBudget.fiscal_year, ProposalBudget.amount_minor)
                                .join(Proposal, Proposal.id == ProposalBudget.proposal_id)
                                .where(Proposal.status == ProposalStatus.AWARDED, Proposal.phase == "II")).all()
    finally:
        store.close()
    c = inputs.context
    assert {statuses[code].value for code in c.codes} == {"under_review", "recommended"}
    assert len(c.codes) == sum(s.value in ("under_review", "recommended") for s in statuses.values())
    assert dict(zip(c.years, c.requested[0])) == {y: rows.get(y, 0.0) for y in c.years}
    if first.phase == "I":
        last = max(rows)
        assert c.reserve[0].tolist() == [1.5 * sum(rows.values()) if last < y <= last + 3 else 0 for y in c.years]
    # Awarded Phase II money is committed as asked (no reserve on a Phase II).
    phase_two = {y: 0.0 for y in c.years}
    for y, amount in awarded:
        phase_two[y] += amount / 100
    assert all(c.committed[y] - c.committed_reserve[y] >= phase_two[y] - 1e-6 for y in c.years)
