"""One block of the risk Monte Carlo: its random numbers, its arithmetic and its partial result.

A block walks its scenarios in chunks of CHUNK so that the (proposals x scenarios) arrays stay in
the processor's cache (300 proposals x 2,048 scenarios: 2.5 MB a float32 array) and memory stays
bounded whatever the block size. The random numbers of a chunk come from three streams of
block_rng(seed, stream, block), drawn in a fixed order, so a block's numbers depend on (seed,
block) and on the kernel version only: CHUNK is part of that version, since it sets the order in
which draws fill the arrays.

`run_block` is the CPU path (numpy, numexpr, float32); risk_block_xp.py has the same model for
numpy and CuPy alike (a GPU, and precision "float64").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Callable, Iterator

import numexpr as ne
import numpy as np

from ..kernel import Partial, block_rng, checkpoint
from .risk_model import Model

CHUNK = 2048
STREAM_OUTCOME, STREAM_OVERRUN, STREAM_FX = 0, 1, 2
# The tail rows a block keeps: its expected share of the tail plus six standard deviations, so the
# global tail is inside the rows kept but for odds of about 1e-9 a block; at most this many values.
TAIL_SIGMAS, TAIL_SLACK, TAIL_VALUES_MAX = 6.0, 16, 4_000_000


@dataclass(frozen=True)
class Columns:
    """Per-proposal settings as (p, 1) float32 columns that broadcast over a (p, m) chunk.

    One uniform U per proposal and scenario picks the outcome by where it falls (inverse CDF):
    [0, cancel) cancelled; [cancel, cancel_or_under) underspent; the rest as planned. Within the
    underspent and the planned bands, the lower `deliver` share of the band delivers, so delivery is
    independent of underspending and one uniform does the work of two:
    delivered = [cancel <= U < under_delivers) or [cancel_or_under <= U < plan_delivers).
    """

    sigma: np.ndarray
    cancel: np.ndarray
    cancel_or_under: np.ndarray
    under_delivers: np.ndarray
    plan_delivers: np.ndarray
    under_step: np.ndarray  # underspend_spend - 1
    cancel_step: np.ndarray  # cancel_spend - underspend_spend

    @classmethod
    def of(cls, m: Model, dtype: type = np.float32) -> "Columns":
        col = lambda x: np.asarray(x, dtype=dtype).reshape(-1, 1)  # noqa: E731
        cancel_or_under = m.p_cancel + m.p_under
        return cls(
            sigma=col(m.sigma), cancel=col(m.p_cancel), cancel_or_under=col(cancel_or_under),
            under_delivers=col(m.p_cancel + m.p_under * m.deliver),
            plan_delivers=col(cancel_or_under + (1.0 - cancel_or_under) * m.deliver),
            under_step=col(m.f_under - 1.0), cancel_step=col(m.f_cancel - m.f_under),
        )

    def on(self, xp: ModuleType) -> "Columns":
        """The same columns as arrays of `xp` (on the GPU for CuPy)."""
        return Columns(**{f.name: xp.asarray(getattr(self, f.name)) for f in fields(self)})


ONE = np.float32(1.0)  # a float32 constant: a Python float would make numexpr compute in double


def multipliers(u: np.ndarray, z: np.ndarray, c: Columns, out: np.ndarray) -> np.ndarray:
    """Fill `out` with each proposal's cost multiplier, outcome factor x lognormal overrun, and
    return how many of the chunk's scenarios each proposal delivers in, (p,) uint16."""
    cancelled = u < c.cancel
    reduced = u < c.cancel_or_under  # cancelled or underspent
    # numpy's exp is vectorised with SIMD, numexpr's is not (no VML here): numexpr fuses the rest.
    np.multiply(z, c.sigma, out=out)
    np.exp(out, out=out)
    # The outcome factor as 1 + (under - 1)[reduced] + (cancel - under)[cancelled]: arithmetic on the
    # comparisons runs faster in numexpr than a nested where, and is exact to float32 rounding.
    ne.evaluate("overrun * (one + under_step * reduced + cancel_step * cancelled)",
                local_dict={"overrun": out, "reduced": reduced, "cancelled": cancelled, "one": ONE,
                            "under_step": c.under_step, "cancel_step": c.cancel_step}, out=out)
    # The two delivering bands [cancel, under_delivers) and [cancel_or_under, plan_delivers) are
    # disjoint and their ends ordered, so membership is the parity of the four comparisons.
    delivered = cancelled ^ (u < c.under_delivers) ^ reduced ^ (u < c.plan_delivers)
    # Summing the bytes in uint16 is four times faster than count_nonzero; a chunk has at most
    # CHUNK (< 65,536) scenarios, so the counts fit.
    return delivered.view(np.uint8).sum(axis=1, dtype=np.uint16)


Multipliers = Callable[[np.ndarray, np.ndarray, Columns, np.ndarray], np.ndarray]


def chunks(m: Model, seed: int, block: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(first scenario in the block, U, Z, fx normals) for each chunk: U (p, m) float32 uniforms
    from stream 0, Z (p, m) float32 standard normals from stream 1, and (m, currencies) float64
    standard normals from stream 2. The arrays are reused from one chunk to the next."""
    _, size = m.block_span(block)
    p = len(m.codes)
    outcome, overrun, fx = (block_rng(seed, s, block) for s in (STREAM_OUTCOME, STREAM_OVERRUN, STREAM_FX))
    u_buf = np.empty((p, CHUNK), dtype=np.float32)
    z_buf = np.empty((p, CHUNK), dtype=np.float32)
    for start in range(0, size, CHUNK):
        n = min(CHUNK, size - start)
        # A short last chunk gets arrays of its own: `out=` needs a contiguous array of the exact shape.
        u = u_buf if n == CHUNK else np.empty((p, n), dtype=np.float32)
        z = z_buf if n == CHUNK else np.empty((p, n), dtype=np.float32)
        outcome.random(out=u, dtype=np.float32)
        overrun.standard_normal(out=z, dtype=np.float32)
        yield start, u, z, fx.standard_normal((n, len(m.fx_rate)))


def tail_rows(m: Model, size: int) -> int:
    """How many of a block's highest-cost scenarios it keeps, proposal by proposal."""
    share = 1.0 - m.tail
    wanted = math.ceil(share * size + TAIL_SIGMAS * math.sqrt(size * share * m.tail) + TAIL_SLACK)
    return max(1, min(size, wanted, TAIL_VALUES_MAX // len(m.codes)))


class _TailKeeper:
    """The block's `keep` highest-cost scenarios (ties: the earlier scenario) with their multipliers,
    collected while the chunks go by. Once `keep` are held, only a scenario costlier than the
    keep-th highest so far can still make it, so later chunks hand over a few columns each."""

    def __init__(self, keep: int):
        self.keep = keep
        self.total: list[np.ndarray] = []
        self.index: list[np.ndarray] = []
        self.columns: list[np.ndarray] = []  # (p, k) multipliers of the scenarios held
        self.held = 0
        self.floor = -np.inf

    def offer(self, first: int, total: np.ndarray, multipliers: np.ndarray) -> None:
        picked = np.flatnonzero(total > self.floor)
        if picked.size == 0:
            return
        every = picked.size == total.size
        self.hold(total.copy() if every else total[picked], first + picked,
                  multipliers.copy() if every else np.take(multipliers, picked, axis=1))

    def hold(self, total: np.ndarray, index: np.ndarray, columns: np.ndarray) -> None:
        """Keep these candidates (host arrays): every scenario that can still be among the highest
        `keep` must be handed over once, in any grouping."""
        self.total.append(total)
        self.index.append(index)
        self.columns.append(columns)
        self.held += total.size
        if self.held > 2 * self.keep:
            self._prune()
        elif self.held >= self.keep:
            held = np.concatenate(self.total)
            self.floor = float(np.partition(held, held.size - self.keep)[held.size - self.keep])

    def _prune(self) -> None:
        total, index = np.concatenate(self.total), np.concatenate(self.index)
        top = np.lexsort((index, -total))[: self.keep]  # highest cost first; ties by scenario
        self.total, self.index = [total[top]], [index[top]]
        self.columns = [np.take(np.concatenate(self.columns, axis=1), top, axis=1)]
        self.held = top.size
        if self.held >= self.keep:
            self.floor = float(total[top[-1]])

    def arrays(self, p: int) -> dict[str, np.ndarray]:
        """tail_total (k,) highest first, tail_index (k,) scenario within the block, tail_multiplier (p, k)."""
        if not self.total:
            return {"tail_total": np.zeros(0), "tail_index": np.zeros(0, np.int64),
                    "tail_multiplier": np.zeros((p, 0), np.float32)}
        self._prune()
        return {"tail_total": self.total[0], "tail_index": self.index[0].astype(np.int64),
                "tail_multiplier": self.columns[0]}


def run_block(m: Model, seed: int, block: int, arithmetic: Multipliers = multipliers) -> Partial:
    """The partial of one block: every scenario's total cost, the highest-cost scenarios' multipliers,
    and sums for the expectations and the budget probabilities."""
    _, size = m.block_span(block)
    p, years = len(m.codes), len(m.years)
    cols = Columns.of(m)
    k_buf = np.empty((p, CHUNK), dtype=np.float32)
    total = np.empty(size)
    delivered = np.zeros(p, dtype=np.int64)
    year_sum, year_sumsq, partner_sum = np.zeros(years), np.zeros(years), np.zeros(years)
    within_year, within_all = np.zeros(years, dtype=np.int64), 0
    tail = _TailKeeper(tail_rows(m, size))
    threads = ne.set_num_threads(1)  # the engine runs one block per process and core
    try:
        for first, u, z, fx_z in chunks(m, seed, block):
            checkpoint()
            n = u.shape[1]
            k = k_buf if n == CHUNK else np.empty((p, n), dtype=np.float32)
            delivered += arithmetic(u, z, cols, k)
            # Spending per year and scenario: single precision, summed proposal by proposal (einsum,
            # not BLAS: the same order on any number of threads, and no thread pool per process).
            spend = np.einsum("yp,pm->ym", m.cost32, k)
            total[first:first + n] = spend.sum(axis=0, dtype=np.float64)
            # Partner money in the reporting currency: foreign amounts at each scenario's rate.
            per_unit = np.exp(-m.fx_sigma * fx_z) / m.fx_rate  # reporting units one foreign unit buys
            partner = np.einsum("mc,cy->ym", per_unit, m.partner_foreign) + m.partner_fixed[:, None]
            fits = spend <= m.budget[:, None] + partner
            within_year += np.count_nonzero(fits, axis=1)
            within_all += int(np.count_nonzero(fits.all(axis=0)))
            year_sum += spend.sum(axis=1, dtype=np.float64)
            year_sumsq += np.square(spend, dtype=np.float64).sum(axis=1)
            partner_sum += partner.sum(axis=1)
            tail.offer(first, total[first:first + n], k)
    finally:
        ne.set_num_threads(threads)
    return {
        "total_cost": total, "delivered": delivered, "year_cost_sum": year_sum, "year_cost_sumsq": year_sumsq,
        "partner_money_sum": partner_sum, "within_year": within_year,
        "within_all": np.array([within_all], dtype=np.int64), **tail.arrays(p),
    }
