"""The synthetic proposals of the demo, drawn block by block as numpy columns.

A block's random numbers come from `default_rng([seed, stream, block])` and every block draws a
full BLOCK of them before keeping what it needs, so proposal P-000123 is the same in every demo with
the same seed, whatever the number of proposals asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .demo_bulk import JsonText
from .demo_facts import Facts, day, load
from .fiscal import US
from .money import minor_digits, parse_amount
from .proposals import ProposalStatus

BLOCK = 50_000
STREAM_PROPOSALS, STREAM_REVIEWERS, STREAM_REVIEWS, STREAM_ASSIGNMENTS = 1, 2, 3, 4

STATUSES = [s.value for s in ProposalStatus]
S, UR, REC, AW, DEC, WD = (STATUSES.index(s.value) for s in ProposalStatus)
# Every road through the workflow (NEXT_STATUSES) and how often the demo takes it.
PATHS = [(S,), (S, UR), (S, UR, REC), (S, UR, REC, AW), (S, DEC), (S, UR, DEC), (S, UR, REC, DEC),
         (S, WD), (S, UR, WD), (S, UR, REC, WD)]
PATH_P = np.array([0.15, 0.25, 0.08, 0.10, 0.05, 0.20, 0.03, 0.04, 0.07, 0.03])
PATH_LEN = np.array([len(p) for p in PATHS])
PATH_STATUS = np.array([p + (-1,) * (4 - len(p)) for p in PATHS])
PHASE_II_SHARE = 0.30
# Institution kinds that may lead a proposal, and how likely each kind is to be on a team.
LEAD_WEIGHT = {"national_lab": 3.0, "university": 3.0, "company": 0.3}
TEAM_WEIGHT = {"national_lab": 2.0, "university": 2.0, "foreign_institute": 0.6, "company": 1.0}


def rng_for(seed: int, stream: int, block: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, stream, block])


@dataclass
class Phase:
    name: str
    floor: int
    ceiling: int
    per_year: bool
    years: list[int]
    deadline: np.datetime64
    month_weights: np.ndarray


class Pools:
    """The fixed choices a proposal is drawn from, as arrays indexed by the draws."""

    def __init__(self, facts: Facts) -> None:
        self.vocab = vocab = load("vocabulary")
        codes = [c for c, k in facts.institution_kinds.items() if k in TEAM_WEIGHT]
        self.inst_codes = codes
        self.inst_ids = np.array([facts.institution_ids[c] for c in codes], dtype=np.int64)
        kinds = [facts.institution_kinds[c] for c in codes]
        lead_w = np.array([LEAD_WEIGHT.get(k, 0.0) for k in kinds])
        self.lead_p = lead_w / lead_w.sum()
        self.team_logw = np.log(np.array([TEAM_WEIGHT[k] for k in kinds]))
        self.ch_codes = list(facts.challenge_ids)
        self.ch_ids = np.array([facts.challenge_ids[c] for c in self.ch_codes], dtype=np.int64)
        self.ch_titles = [facts.challenge_titles[c] for c in self.ch_codes]
        # Official challenges draw twice the proposals of an illustrative one.
        self.ch_logw = np.log(np.array([2.0 if facts.challenge_official[c] else 1.0 for c in self.ch_codes]))
        self.areas = list(vocab["areas"])
        self.ch_area = np.array([self.areas.index(facts.challenge_areas[c]) for c in self.ch_codes])
        self.subjects = [s for a in self.areas for s in vocab["areas"][a]["subjects"]]
        self.area_keywords = [k for a in self.areas for k in vocab["areas"][a]["keywords"]]
        self.per_area = len(vocab["areas"][self.areas[0]]["subjects"])
        call = facts.call
        self.call_id, self.currency = facts.call_id, call["currency"]
        self.opens_on = np.datetime64(call["opens_on"])
        self.phases = [self._phase(p, call) for p in call["phases"]]

    def _phase(self, p: dict, call: dict) -> Phase:
        ccy = call["currency"]
        start, end = day(p["budget_period_start"]), day(p["budget_period_end"])
        if start and end:
            years = US.years_between(start, end)
            months = [_months_in(max(start, US.start(fy)), min(end, US.end(fy))) for fy in years]
        else:
            years = list(call["phase_ii_fiscal_years"])
            months = [12] * len(years)
        return Phase(p["phase"], parse_amount(p["award_floor"], ccy), parse_amount(p["award_ceiling"], ccy),
                     p["ceiling_per_year"], years, np.datetime64(p["deadline"]), np.array(months, dtype=float))


def _months_in(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _top_k(rng: np.random.Generator, logw: np.ndarray, n: int, k: int, exclude: np.ndarray | None = None):
    """k distinct indices per row, weighted, best first (Gumbel-top-k: sampling without replacement)."""
    keys = rng.gumbel(size=(n, logw.size)) + logw
    if exclude is not None:
        keys[np.arange(n), exclude] = -np.inf
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _budgets(rng: np.random.Generator, pools: Pools, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per phase: an (n, years) array of minor amounts that keeps the phase's award rules, in whole
    major units."""
    unit = 10 ** minor_digits(pools.currency)
    out = []
    for ph in pools.phases:
        lo, hi = -(-ph.floor // unit), ph.ceiling // unit
        k = len(ph.years)
        if ph.per_year:
            base = rng.integers(lo, hi + 1, size=(n, 1))
            amounts = np.clip(np.rint(base * rng.uniform(0.9, 1.1, size=(n, k))), lo, hi).astype(np.int64)
        else:
            total = rng.integers(lo, hi + 1, size=n)
            weights = ph.month_weights * rng.uniform(0.8, 1.2, size=(n, k))
            edges = np.floor(total[:, None] * np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True))
            edges[:, -1] = total
            amounts = np.diff(edges, axis=1, prepend=0).astype(np.int64)
        out.append(amounts * unit)
    return out


def _draw(rng: np.random.Generator, pools: Pools, n: int) -> dict[str, np.ndarray]:
    """Every random number of a block, always in this order and for n proposals."""
    v = pools.vocab
    d = {"phase_ix": (rng.random(n) < PHASE_II_SHARE).astype(np.int64)}
    d["lead"] = rng.choice(pools.inst_ids.size, size=n, p=pools.lead_p)
    d["team"] = _top_k(rng, pools.team_logw, n, 4, exclude=d["lead"])
    d["team_size"] = np.where(d["phase_ix"] == 1, rng.integers(2, 5, n), rng.integers(1, 3, n))
    d["chall"] = _top_k(rng, pools.ch_logw, n, 3)
    d["n_chall"] = rng.choice(3, size=n, p=[0.45, 0.40, 0.15]) + 1
    for k, amounts in enumerate(_budgets(rng, pools, n)):
        d[f"budget_{k}"] = amounts
    gpu = rng.lognormal(np.log(25_000), 0.9, n) * np.where(d["phase_ix"] == 1, 6, 1)
    d["gpu"] = np.clip(np.rint(gpu / 100) * 100, 100, 2_000_000_000).astype(np.int64)
    d["path"] = rng.choice(len(PATHS), size=n, p=PATH_P)
    d["rush"] = 1 - rng.random(n) ** 2  # submissions bunch up before the deadline
    d["seconds"] = rng.integers(8 * 3600, 24 * 3600, size=(n, 4))
    d["gaps"] = np.stack([rng.integers(3, 31, n), rng.integers(20, 61, n), rng.integers(10, 41, n)], axis=1)
    d["officer"] = rng.integers(0, len(v["program_officers"]), size=(n, 4))
    d["first"] = rng.integers(0, len(v["first_names"]), n)
    d["last"] = rng.integers(0, len(v["last_names"]), n)
    d["words"] = rng.integers(0, 1 << 30, size=(n, 6))
    d["area_kw"] = np.argsort(rng.random((n, pools.per_area)), axis=1)[:, :2]
    d["method_kw"] = np.argsort(rng.random((n, len(v["method_keywords"]))), axis=1)[:, :2]
    return d


def proposal_block(pools: Pools, seed: int, block: int, first_id: int, count: int) -> tuple[dict, dict]:
    """`count` proposals (at most BLOCK) of block `block`: ({table name: columns}, extras for reviews)."""
    d = {k: a[:count] for k, a in _draw(rng_for(seed, STREAM_PROPOSALS, block), pools, BLOCK).items()}
    phase_ix, lead, team, team_size, chall, n_chall, path, gaps = (
        d[k] for k in ("phase_ix", "lead", "team", "team_size", "chall", "n_chall", "path", "gaps"))
    ids = np.arange(first_id, first_id + count, dtype=np.int64)

    # Status history: one column per step; step 0 is the submission.
    deadline = np.array([ph.deadline for ph in pools.phases])[phase_ix]
    span = (deadline - pools.opens_on).astype(np.int64)
    days = np.empty((count, 4), dtype="datetime64[D]")
    days[:, 0] = pools.opens_on + np.floor(span * d["rush"]).astype(np.int64)
    review_starts = PATH_STATUS[path, 1] == UR
    days[:, 1] = np.where(review_starts, deadline, days[:, 0]) + gaps[:, 0]
    days[:, 2] = days[:, 1] + gaps[:, 1]
    days[:, 3] = days[:, 2] + gaps[:, 2]
    stamps = days.astype("datetime64[s]") + d["seconds"].astype("timedelta64[s]")
    steps = np.arange(4) < PATH_LEN[path][:, None]
    final = PATH_STATUS[path, PATH_LEN[path] - 1]

    area = pools.ch_area[chall[:, 0]]
    subject = area * pools.per_area + d["words"][:, 0] % pools.per_area
    status_names = np.array(STATUSES)
    officers = np.array(pools.vocab["program_officers"], dtype=object)
    tables = {
        "proposal": _proposal_columns(pools, d, ids, block * BLOCK, subject, area, status_names[final], days[:, 0]),
        "proposal_budget": _budget_columns(pools, ids, phase_ix, [d[f"budget_{k}"] for k in range(len(pools.phases))]),
        "proposal_challenge": {
            "proposal_id": np.repeat(ids, n_chall),
            "challenge_id": pools.ch_ids[chall[np.arange(3) < n_chall[:, None]]],
            "is_primary": (np.arange(3) == 0)[None, :].repeat(count, 0)[np.arange(3) < n_chall[:, None]],
        },
        "proposal_institution": {
            "proposal_id": np.repeat(ids, team_size),
            "institution_id": pools.inst_ids[team[np.arange(4) < team_size[:, None]]],
        },
        "proposal_status_change": {
            "proposal_id": np.repeat(ids, PATH_LEN[path]),
            "status": status_names[PATH_STATUS[path][steps]].tolist(),
            "changed_at": stamps[steps],
            "changed_by": officers[d["officer"][steps]].tolist(),
            "note": [""] * int(steps.sum()),
        },
    }
    extras = {"ids": ids, "path": path, "stamps": stamps, "lead": pools.inst_ids[lead],
              "team": np.where(np.arange(4) < team_size[:, None], pools.inst_ids[team], -1)}
    return tables, extras


def _proposal_columns(pools: Pools, d: dict, ids: np.ndarray, g0: int, subject: np.ndarray, area: np.ndarray,
                      status: np.ndarray, submitted: np.ndarray) -> dict:
    v = pools.vocab
    pre, meth = v["title_prefixes"], v["methods"]
    opening, goal, impact = v["abstract_openings"], v["abstract_goals"], v["abstract_impacts"]
    fn, ln = v["first_names"], v["last_names"]
    mkw, akw = v["method_keywords"], pools.area_keywords
    ch_title = pools.ch_titles
    w = d["words"].tolist()
    subj, ar, ch0 = subject.tolist(), (area * pools.per_area).tolist(), d["chall"][:, 0].tolist()
    titles = [f"{pre[x[1] % len(pre)]} {pools.subjects[s]} with {meth[x[2] % len(meth)]}" for x, s in zip(w, subj)]
    abstracts = [
        f"{opening[x[3] % len(opening)]} {meth[x[2] % len(meth)]} {goal[x[4] % len(goal)]} "
        f"{pools.subjects[s]}, under the challenge \"{ch_title[c]}\". {impact[x[5] % len(impact)]}"
        for x, s, c in zip(w, subj, ch0)
    ]
    keywords = JsonText(
        f'["{akw[a + k[0]]}", "{akw[a + k[1]]}", "{mkw[m[0]]}", "{mkw[m[1]]}"]'
        for a, k, m in zip(ar, d["area_kw"].tolist(), d["method_kw"].tolist())
    )
    codes = pools.inst_codes
    lead_l, first_l, last_l = d["lead"].tolist(), d["first"].tolist(), d["last"].tolist()
    pis = [f"{fn[f]} {ln[s]}" for f, s in zip(first_l, last_l)]
    emails = [f"{fn[f].lower()}.{ln[s].lower()}@{codes[i].lower()}.example.org"
              for f, s, i in zip(first_l, last_l, lead_l)]
    count = ids.size
    return {
        "id": ids,
        "code": [f"P-{g0 + i + 1:06d}" for i in range(count)],
        "call_id": np.full(count, pools.call_id, dtype=np.int64),
        "phase": [pools.phases[p].name for p in d["phase_ix"].tolist()],
        "title": titles, "abstract": abstracts, "keywords": keywords,
        "lead_institution_id": pools.inst_ids[d["lead"]],
        "principal_investigator": pis, "pi_email": emails,
        "currency": [pools.currency] * count,
        "requested_gpu_hours": d["gpu"],
        "status": status.tolist(),
        "submitted_on": submitted,
    }


def _budget_columns(pools: Pools, ids: np.ndarray, phase_ix: np.ndarray, budgets: list[np.ndarray]) -> dict:
    width = max(len(ph.years) for ph in pools.phases)
    years = np.zeros((ids.size, width), dtype=np.int64)
    amounts = np.zeros((ids.size, width), dtype=np.int64)
    used = np.zeros((ids.size, width), dtype=bool)
    for k, ph in enumerate(pools.phases):
        rows = phase_ix == k
        span = len(ph.years)
        years[rows, :span] = ph.years
        amounts[rows, :span] = budgets[k][rows]
        used[rows, :span] = True
    return {"proposal_id": np.repeat(ids, used.sum(axis=1)), "fiscal_year": years[used], "amount_minor": amounts[used]}
