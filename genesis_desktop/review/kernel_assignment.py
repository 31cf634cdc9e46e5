"""Reviewer assignment as a compute job: one block that builds the affinities and solves `assign`.

Parameters (plain JSON, made from a call's records by job_inputs.assignment_params):

    call        the call's number, kept with the run (standings.latest_result finds runs by it)
    proposals   [{code, text}]: the text is title, abstract and keywords (affinity.proposal_text)
    reviewers   [{email, text, min_load?, max_load?}]: the text is the expertise; a reviewer's own
                loads replace the run's
    k           reviewers per proposal (3)
    max_load    proposals per reviewer at most; absent or null: ceil(k x proposals / reviewers) + 1,
                the balanced load with one to spare, so that conflicts leave the solver some room
    min_load    proposals per reviewer at least (0)
    bids        [[code, email, bid]], bid from -1 (not willing) to 2 (eager), or its label
    conflicts   [[code, email]]: pairs that may not be assigned (conflicted and not waived)
    bid_weight  0..1 (0.5): how much bids count. An eager bid moves the affinity bid_weight of the
                way to 1 (affinity.with_bids' eager_pull); a not-willing one multiplies it by
                0.1 ** (2 x bid_weight). 0 ignores bids; 0.5 is with_bids' own default.
    method      "auto", "full" or "column" (assignment.assign; every one is exact)
    notes       free JSON kept with the run (what job_inputs left out and why)

`prepare` refuses a request that cannot be met, with assignment_check's explanation in words, so
an impossible run never reaches a backend. The seed changes nothing: the optimum is deterministic.
While the block runs it reports the metric "assignment progress" (0..1) and, at the end,
"objective" and "lp_bound"; a cancel stops it between solver rounds (`checkpoint`).
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from genesis_desktop.compute.jobs import finite, whole_number
from genesis_desktop.compute.kernel import Estimate, Partial, SpecError, checkpoint, report_metric

from .affinity import bid_value, tfidf_affinity, with_bids
from .assignment import assign
from .assignment_check import InfeasibleAssignment, check_feasibility, make_request
from .kernel_params import with_defaults

PROGRESS_METRIC = "assignment progress"
METHODS = ("auto", "full", "column")
DEFAULTS: Mapping[str, Any] = {"k": 3, "max_load": None, "min_load": 0, "bids": [], "conflicts": [],
                               "bid_weight": 0.5, "method": "auto", "notes": []}
REQUIRED = ("call", "proposals", "reviewers")
MAX_ITEMS = 100_000  # proposals or reviewers: far above any call, low enough to catch a runaway list


@dataclass(frozen=True, eq=False)
class _Model:
    params: dict[str, Any]  # canonical
    codes: list[str]
    emails: list[str]
    max_load: np.ndarray
    min_load: np.ndarray
    conflicts: np.ndarray  # (m, 2) indices
    bids: list[tuple[int, int, float]]

    def affinity(self) -> np.ndarray:
        """TF-IDF affinity with the bids blended in, proposals x reviewers."""
        p = self.params
        base = tfidf_affinity([x["text"] for x in p["proposals"]], [r["text"] for r in p["reviewers"]])
        w = p["bid_weight"]
        return with_bids(base, self.bids, eager_pull=w, unwilling_factor=0.1 ** (2 * w))


def _text(name: str, value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        rule = "a text" if empty else "a text that is not empty"
        raise SpecError(f"{name}: {value!r} must be {rule}")
    return value


def _items(name: str, value: Any) -> list:
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        raise SpecError(f"{name}: must be a list of 1 to {MAX_ITEMS:,} entries, got "
                        f"{type(value).__name__} of {len(value) if isinstance(value, list) else '-'}")
    return value


def _entry(name: str, item: Any, keys: set[str], required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(item, Mapping) or set(item) - keys or any(k not in item for k in required):
        optional = sorted(keys - set(required))
        raise SpecError(f"{name}: {item!r} must be an object with {', '.join(required)}"
                        + (f" and optionally {', '.join(optional)}" if optional else ""))
    return item


def _index(name: str, values: list[str], what: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, v in enumerate(values):
        if v in index:
            raise SpecError(f"{name}[{i}]: {what} {v!r} appears twice (first at {index[v]}); each must be unique")
        index[v] = i
    return index


def _pair(name: str, item: Any, size: int, codes: dict[str, int], emails: dict[str, int]) -> tuple[int, int]:
    if not isinstance(item, (list, tuple)) or len(item) != size:
        raise SpecError(f"{name}: {item!r} must be a list of {size} ([code, email{', bid' if size == 3 else ''}])")
    code, email = item[0], item[1]
    if code not in codes:
        raise SpecError(f"{name}: proposal {code!r} is not among the proposals of the run")
    if email not in emails:
        raise SpecError(f"{name}: reviewer {email!r} is not among the reviewers of the run")
    return codes[code], emails[email]


def _canonical(params: Mapping[str, Any]) -> _Model:
    p = with_defaults("assignment", params, REQUIRED, DEFAULTS)
    call = _text("call", str(p["call"]) if isinstance(p["call"], int) and not isinstance(p["call"], bool)
                 else p["call"])
    proposals = [_entry(f"proposals[{i}]", x, {"code", "text"}, ("code", "text"))
                 for i, x in enumerate(_items("proposals", p["proposals"]))]
    proposals = [{"code": _text(f"proposals[{i}].code", x["code"]),
                  "text": _text(f"proposals[{i}].text", x["text"], empty=True)} for i, x in enumerate(proposals)]
    reviewers = []
    for i, x in enumerate(_items("reviewers", p["reviewers"])):
        x = _entry(f"reviewers[{i}]", x, {"email", "text", "min_load", "max_load"}, ("email", "text"))
        reviewers.append({"email": _text(f"reviewers[{i}].email", x["email"]),
                          "text": _text(f"reviewers[{i}].text", x["text"], empty=True),
                          "min_load": whole_number(f"reviewers[{i}].min_load", x.get("min_load"), minimum=0,
                                                   optional=True),
                          "max_load": whole_number(f"reviewers[{i}].max_load", x.get("max_load"), minimum=0,
                                                   optional=True)})
    codes = _index("proposals", [x["code"] for x in proposals], "code")
    emails = _index("reviewers", [r["email"] for r in reviewers], "email")
    k = whole_number("k", p["k"], minimum=1, maximum=1_000)
    max_load = whole_number("max_load", p["max_load"], minimum=0, optional=True)
    if max_load is None:
        max_load = math.ceil(k * len(proposals) / len(reviewers)) + 1
    min_load = whole_number("min_load", p["min_load"], minimum=0)
    if not isinstance(p["bids"], list) or not isinstance(p["conflicts"], list):
        raise SpecError("bids, conflicts: must be lists of [code, email, bid] and [code, email]")
    bids, bid_rows = [], []
    for i, item in enumerate(p["bids"]):
        pi, ri = _pair(f"bids[{i}]", item, 3, codes, emails)
        try:
            value = bid_value(item[2])
        except (TypeError, ValueError) as err:
            raise SpecError(f"bids[{i}]: {item[2]!r} for {item[0]} by {item[1]}: {err}") from None
        bids.append((pi, ri, value))
        bid_rows.append([item[0], item[1], value])
    conflict_idx = sorted({_pair(f"conflicts[{i}]", item, 2, codes, emails) for i, item in enumerate(p["conflicts"])})
    method = p["method"]
    if method not in METHODS:
        raise SpecError(f"method: {method!r} must be one of {', '.join(METHODS)}")
    canonical = {"call": call, "proposals": proposals, "reviewers": reviewers, "k": k, "max_load": max_load,
                 "min_load": min_load, "bids": bid_rows,
                 "conflicts": [[proposals[a]["code"], reviewers[b]["email"]] for a, b in conflict_idx],
                 "bid_weight": finite("bid_weight", p["bid_weight"], low=0.0, high=1.0), "method": method,
                 "notes": p["notes"]}
    own_max = np.array([max_load if r["max_load"] is None else r["max_load"] for r in reviewers], np.int64)
    own_min = np.array([min_load if r["min_load"] is None else r["min_load"] for r in reviewers], np.int64)
    return _Model(canonical, list(codes), list(emails), own_max, own_min,
                  np.array(conflict_idx, np.int64).reshape(-1, 2), bids)


def _model(params: Mapping[str, Any]) -> _Model:
    """Checked once per process for the same parameters: the engine asks several times a second."""
    try:
        key = json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return _canonical(params)  # not JSON: let the checks name what is wrong
    return _model_of_json(key)


@lru_cache(maxsize=4)
def _model_of_json(key: str) -> _Model:
    return _canonical(json.loads(key))


def _stop_requested() -> bool:
    checkpoint()  # raises Stopped when whoever runs the block asked it to stop
    return False


class AssignmentKernel:
    name = "assignment"
    version = "1"

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        m = _model(params)
        request = make_request((len(m.codes), len(m.emails)), m.params["k"], m.max_load, m.min_load,
                               m.conflicts, m.codes, m.emails)
        feasibility = check_feasibility(request)
        if not feasibility.feasible:
            raise SpecError(f"assignment for call {m.params['call']}: {InfeasibleAssignment(feasibility)}")
        return m.params

    def block_count(self, params: Mapping[str, Any]) -> int:
        return 1

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        m = _model(params)
        steps = itertools.count()
        affinity = m.affinity()
        done = assign(affinity, m.params["k"], m.max_load, min_load=m.min_load, conflicts=m.conflicts,
                      proposal_ids=m.codes, reviewer_ids=m.emails, method=m.params["method"],
                      should_stop=_stop_requested,
                      progress=lambda _message, fraction: report_metric(PROGRESS_METRIC, fraction, next(steps)))
        report_metric("objective", done.objective, done.rounds)
        report_metric("lp_bound", done.lp_bound, done.rounds)
        chosen = affinity[done.pairs[:, 0], done.pairs[:, 1]] if len(done.pairs) else np.zeros(0)
        return {"pairs": done.pairs.astype(np.int64).reshape(-1, 2), "affinity": chosen.astype(np.float64),
                "objective": np.array([done.objective]), "lp_bound": np.array([done.lp_bound]),
                "seconds": np.array([done.solve_seconds]), "rounds": np.array([done.rounds], np.int64),
                "eligible_pairs": np.array([done.eligible_pairs], np.int64),
                # Partials hold numbers only: the solver's description travels as its UTF-8 bytes.
                "solver": np.frombuffer(done.method.encode(), dtype=np.uint8).copy()}

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        m = _model(params)
        (part,) = partials
        pairs = part["pairs"]
        loads = np.bincount(pairs[:, 1], minlength=len(m.emails)) if len(pairs) else np.zeros(len(m.emails), int)
        objective, lp_bound = float(part["objective"][0]), float(part["lp_bound"][0])
        return {"call": m.params["call"],
                "pairs": [{"proposal": m.codes[p], "reviewer": m.emails[r], "affinity": float(a)}
                          for (p, r), a in zip(pairs.tolist(), part["affinity"].tolist())],
                "objective": objective, "lp_bound": lp_bound, "gap": lp_bound - objective,
                "loads": {e: int(n) for e, n in zip(m.emails, loads.tolist())},
                "solver": part["solver"].tobytes().decode(), "seconds": float(part["seconds"][0]),
                "rounds": int(part["rounds"][0]), "eligible_pairs": int(part["eligible_pairs"][0])}

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        """Once solved: the total affinity, with the interval [objective, lp_bound] that holds the
        true optimum (proved by LP duality, so it is a certain interval, not a 95% one)."""
        if not partials:
            return []
        part = partials[0]
        objective = float(part["objective"][0])
        return [Estimate("total affinity", objective, objective, float(part["lp_bound"][0]), len(part["pairs"]))]


ASSIGNMENT = AssignmentKernel()
