"""A call's rubric: the criteria a reviewer scores, each on its own whole-number scale.

A criterion's scale runs from `low` to `high` with `best` at one end: NIH scores 1 (exceptional) to
9 (poor), so `best="low"`; a 1-to-5 scale with 5 best is `best="high"`. Weights say how much a
criterion counts in the total, and a criterion can be scored without counting (NIH does not score
the budget). Scores on different scales are compared through `merit`, in [0, 1] with 1 best;
`total` reports the weighted merit on the scale of the first counting criterion, so a rubric on one
NIH scale gets the weighted mean of its scores, as NIH's overall impact does (without the x 10).

A rubric is stored with its call as JSON (`to_json`, `from_json`); `DEFAULT_RUBRIC` is the
programme's, editable per call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

Best = Literal["low", "high"]
NIH_LABELS = {1: "Exceptional", 2: "Outstanding", 3: "Excellent", 4: "Very good", 5: "Good",
              6: "Satisfactory", 7: "Fair", 8: "Marginal", 9: "Poor"}


class RubricError(ValueError):
    """A rubric or a set of scores that breaks a rule; the message names the criterion and value."""


@dataclass(frozen=True)
class Criterion:
    key: str
    title: str
    low: int = 1
    high: int = 9
    best: Best = "low"
    weight: float = 1.0
    counts: bool = True  # toward the total
    labels: Mapping[int, str] = field(default_factory=dict)
    guidance: str = ""

    def __post_init__(self) -> None:
        if not self.key or not self.key.replace("_", "").isalnum():
            raise RubricError(f"criterion key {self.key!r}: use letters, digits and underscores")
        if not self.title.strip():
            raise RubricError(f"criterion {self.key}: the title is empty")
        if not (isinstance(self.low, int) and isinstance(self.high, int) and self.low < self.high):
            raise RubricError(f"criterion {self.key}: the scale {self.low} to {self.high} must be two whole "
                              "numbers, the first smaller")
        if self.best not in ("low", "high"):
            raise RubricError(f"criterion {self.key}: best must be 'low' or 'high', not {self.best!r}")
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise RubricError(f"criterion {self.key}: weight {self.weight} must be a number of 0 or more")
        outside = [v for v in self.labels if not self.low <= v <= self.high]
        if outside:
            raise RubricError(f"criterion {self.key}: labels for {outside} lie outside {self.low} to {self.high}")

    def merit(self, value: int) -> float:
        """The score as a share of the way from worst to best: 1 best, 0 worst."""
        share = (value - self.low) / (self.high - self.low)
        return 1.0 - share if self.best == "low" else share

    def label(self, value: int) -> str:
        return self.labels.get(value, "")


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        if not self.criteria:
            raise RubricError("a rubric needs at least one criterion")
        keys = [c.key for c in self.criteria]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise RubricError(f"criteria {', '.join(twice)} appear more than once")
        counting = [c for c in self.criteria if c.counts]
        if not counting or sum(c.weight for c in counting) <= 0:
            raise RubricError("at least one criterion must count toward the total with a weight above 0")

    def criterion(self, key: str) -> Criterion:
        for c in self.criteria:
            if c.key == key:
                return c
        raise RubricError(f"no criterion {key!r}; the rubric has {', '.join(c.key for c in self.criteria)}")

    def problems(self, scores: Mapping[str, Any], complete: bool = True) -> list[str]:
        """What is wrong with `scores` (empty when nothing is); `complete`: every criterion scored,
        as a submitted review must be (a draft may leave some out)."""
        found = []
        known = {c.key for c in self.criteria}
        for key in scores:
            if key not in known:
                found.append(f"{key}: not a criterion of this rubric ({', '.join(sorted(known))})")
        for c in self.criteria:
            if c.key not in scores or scores[c.key] is None:
                if complete:
                    found.append(f"{c.key}: no score given; give a whole number from {c.low} to {c.high}")
                continue
            value = scores[c.key]
            if isinstance(value, bool) or not isinstance(value, int) and not (
                    isinstance(value, float) and value.is_integer()):
                found.append(f"{c.key}: {value!r} is not a whole number from {c.low} to {c.high}")
            elif not c.low <= value <= c.high:
                found.append(f"{c.key}: {value} is outside the scale {c.low} to {c.high}")
        return found

    def check(self, scores: Mapping[str, Any], complete: bool = True) -> dict[str, int]:
        """The scores as whole numbers, or RubricError listing every problem."""
        found = self.problems(scores, complete)
        if found:
            raise RubricError("; ".join(found))
        return {k: int(v) for k, v in scores.items() if v is not None}

    def merit(self, scores: Mapping[str, int]) -> float:
        """Weighted merit of the counting criteria, in [0, 1] with 1 best (what calibration uses)."""
        checked = self.check(scores)
        counting = [c for c in self.criteria if c.counts]
        weight = sum(c.weight for c in counting)
        return sum(c.weight * c.merit(checked[c.key]) for c in counting) / weight

    def total(self, scores: Mapping[str, int]) -> float:
        """The weighted merit on the scale of the first counting criterion (its best end is best)."""
        anchor = next(c for c in self.criteria if c.counts)
        m = self.merit(scores)
        span = anchor.high - anchor.low
        return anchor.high - m * span if anchor.best == "low" else anchor.low + m * span

    def to_json(self) -> dict[str, Any]:
        return {"criteria": [{"key": c.key, "title": c.title, "low": c.low, "high": c.high, "best": c.best,
                              "weight": c.weight, "counts": c.counts, "guidance": c.guidance,
                              "labels": {str(k): v for k, v in c.labels.items()}} for c in self.criteria]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Rubric":
        try:
            items = data["criteria"]
            return cls(tuple(Criterion(key=i["key"], title=i["title"], low=int(i.get("low", 1)),
                                       high=int(i.get("high", 9)), best=i.get("best", "low"),
                                       weight=float(i.get("weight", 1.0)), counts=bool(i.get("counts", True)),
                                       guidance=i.get("guidance", ""),
                                       labels={int(k): str(v) for k, v in i.get("labels", {}).items()})
                             for i in items))
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, RubricError):
                raise
            raise RubricError(f"a stored rubric cannot be read: {type(err).__name__}: {err}") from err


def _nih(key: str, title: str, weight: float, guidance: str, counts: bool = True) -> Criterion:
    return Criterion(key, title, 1, 9, "low", weight, counts, NIH_LABELS, guidance)


# The programme's call: NIH's 1 (exceptional) to 9 (poor) on every criterion. The budget is scored
# for the record and the panel's discussion but, as at NIH, does not count toward the total.
DEFAULT_RUBRIC = Rubric((
    _nih("merit", "Scientific merit", 3.0, "Significance, novelty and rigour of the research."),
    _nih("relevance", "Relevance to the challenge", 2.0, "How directly it advances the challenge it is filed under."),
    _nih("team", "Team and institutions", 1.5, "Expertise, track record and the multi-institution team."),
    _nih("feasibility", "Feasibility and plan", 1.5, "Milestones, risks and their mitigation, within the phase."),
    _nih("ai_platform", "Use of AI and the shared platform", 1.0,
         "Use of AI models, agents and the national platform's computing and data."),
    _nih("budget", "Budget realism", 0.0, "Whether the money asked matches the work.", counts=False),
))
