"""A run's samples reduced to what a plot can show: two points per pixel column. Qt-free.

The view [x0, x1] is cut into one column per pixel. A column with samples gives its minimum and
maximum (the peak rule: a spike one sample wide still shows); a band gives its lowest low and
highest high. Samples just outside the view are kept as they are, so lines run to the edges.

A live run only grows between two frames while the view holds still, so `reduce_run` redoes only
the columns from the last one it reduced before: the tail of a run, not its whole history.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("line", "raw", "low", "high")
# How a pixel column of each kind is summarised: extremes of lines, the outer edge of a band.
_REDUCE = {"line": (np.fmin, np.fmax), "raw": (np.fmin, np.fmax), "low": (np.fmin, np.fmin),
           "high": (np.fmax, np.fmax)}


@dataclass(frozen=True)
class Columns:
    """The view [x0, x1] cut into `count` equal pixel columns; made once per rebuild, shared by runs."""

    x0: float
    x1: float
    count: int

    @property
    def edges(self) -> np.ndarray:
        return self.x0 + (self.x1 - self.x0) / self.count * np.arange(self.count + 1)

    @property
    def centres(self) -> np.ndarray:
        """Centre of each column, with a slot before and after for the samples outside the view."""
        e = self.edges
        out = np.empty(self.count + 2)
        out[1:-1] = 0.5 * (e[:-1] + e[1:])
        return out


def in_view(x: np.ndarray, x0: float, x1: float) -> tuple[int, int]:
    """[lo, hi): the samples within [x0, x1] and one more on each side."""
    lo = max(int(np.searchsorted(x, x0, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(x, x1, side="right")) + 1, len(x))
    return lo, hi


def reduce_by_column(x: np.ndarray, ys: dict[str, np.ndarray], columns: Columns,
                     edges: np.ndarray | None = None, centres: np.ndarray | None = None,
                     first: int = 0, last: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """(x, ys, groups): two points per non-empty group of sorted `x`.

    Group 0 holds the samples left of the view, groups 1..count the columns, count+1 the samples
    right of it; the outside groups keep their sample's own x, a column its centre. Each group
    gives (centre, first reducer) and (centre, second reducer) for every kind; fmin and fmax skip
    NaN and a column of NaN stays NaN, so gaps survive. `groups` are the groups' numbers.
    With `first` and `last`, `x` lies within those groups, and only they are looked at: the cost
    then follows the samples, not the width of the plot.
    """
    edges = columns.edges if edges is None else edges
    centres = columns.centres if centres is None else centres
    last = columns.count + 1 if last is None else last
    # Group g (1..count+1) starts at edges[g-1]; group 0 at the first sample.
    lefts = np.searchsorted(x, edges[max(first, 1) - 1:last])
    starts = np.concatenate([[0], lefts]) if first == 0 else lefts
    filled = np.diff(starts, append=len(x)) > 0
    groups = np.arange(first, last + 1)[filled]
    starts = starts[filled]
    centre = centres[groups]
    if len(groups) and groups[0] == 0:
        centre[0] = x[0]
    if len(groups) and groups[-1] == columns.count + 1:
        centre[-1] = x[-1]
    out = {}
    for kind, y in ys.items():
        low, high = _REDUCE[kind]
        pair = np.empty(2 * len(starts))
        pair[0::2] = low.reduceat(y, starts)
        pair[1::2] = pair[0::2] if low is high else high.reduceat(y, starts)
        out[kind] = pair
    return np.repeat(centre, 2), out, groups


@dataclass(frozen=True)
class Reduced:
    """A run as last reduced: for which columns, which samples [lo, hi), and the result."""

    columns: Columns
    lo: int
    hi: int
    x: np.ndarray
    ys: dict[str, np.ndarray]
    groups: np.ndarray
    extended: bool = False  # made by extending the reduction before it, not from scratch


def reduce_run(x: np.ndarray, ys: dict[str, np.ndarray], columns: Columns, lo: int, hi: int,
               edges: np.ndarray, centres: np.ndarray, before: Reduced | None = None,
               unchanged: int = 0) -> Reduced:
    """Reduce x[lo:hi]; with `before` (the last reduction) and `unchanged` (how many leading samples
    are the same as then), only the groups from the one that held the last sample reduced on."""
    if (before is not None and before.columns == columns and before.lo == lo and before.hi > lo
            and unchanged >= before.hi and hi >= before.hi and set(before.ys) == set(ys)):
        group = int(np.searchsorted(edges, x[before.hi - 1], side="right"))
        start = lo if group == 0 else max(lo, int(np.searchsorted(x, edges[group - 1], side="left")))
        kept = int(np.searchsorted(before.groups, group))
        last = int(np.searchsorted(edges, x[hi - 1], side="right"))
        tx, tys, tgroups = reduce_by_column(x[start:hi], {k: v[start:hi] for k, v in ys.items()},
                                            columns, edges, centres, first=group, last=last)
        return Reduced(columns, lo, hi, np.concatenate([before.x[:2 * kept], tx]),
                       {k: np.concatenate([before.ys[k][:2 * kept], tys[k]]) for k in ys},
                       np.concatenate([before.groups[:kept], tgroups]), extended=True)
    rx, rys, groups = reduce_by_column(x[lo:hi], {k: v[lo:hi] for k, v in ys.items()}, columns, edges, centres)
    return Reduced(columns, lo, hi, rx, rys, groups)
