"""The risk block written once against the array API that numpy and CuPy share: for a GPU
(arrays.xp() is cupy) and for precision "float64". It draws the same numbers on the host in the same
order as risk_block.chunks, so only the arithmetic's rounding can differ from risk_block.run_block.
"""
from __future__ import annotations

import threading
from types import ModuleType
from typing import Iterator

import numpy as np

from ..kernel import Partial, block_rng, checkpoint
from .risk_block import CHUNK, STREAM_FX, STREAM_OUTCOME, STREAM_OVERRUN, Columns, _TailKeeper, tail_rows
from .risk_model import Model

# Proposal-scenarios a GPU pass takes at once: each pass costs a host-to-device copy and a handful of
# kernel launches, so a default block (300 x 65,536) goes in one pass; about 1.3 GB of device memory
# at float64.
GPU_ELEMENTS = 1 << 25


def to_host(a) -> np.ndarray:
    return a.get() if hasattr(a, "get") else np.asarray(a)  # CuPy's arrays copy to the host with get()


def passes(m: Model, seed: int, block: int, per_pass: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """The numbers of chunks(), up to `per_pass` whole chunks at a time: (first scenario, U (g, p, w),
    Z (g, p, w), fx normals (g * w, currencies)) for g chunks of w scenarios. A generator fills an
    array in C order, so one call that fills g chunks draws what g calls of chunks() draw, with no
    copy on the host; the block's short last chunk comes alone. U and Z are reused by the next pass
    of the same shape, in this block or the next."""
    _, size = m.block_span(block)
    p = len(m.codes)
    outcome, overrun, fx = (block_rng(seed, s, block) for s in (STREAM_OUTCOME, STREAM_OVERRUN, STREAM_FX))
    start = 0
    while start < size:
        g, w = min(per_pass, (size - start) // CHUNK), CHUNK
        if g == 0:
            g, w = 1, size - start
        u, z = _host_buffers((g, p, w))
        outcome.random(out=u, dtype=np.float32)
        overrun.standard_normal(out=z, dtype=np.float32)
        yield start, u, z, fx.standard_normal((g * w, len(m.fx_rate)))
        start += g * w


_held = threading.local()


def _host_buffers(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Two float32 arrays of `shape`, the same ones again for the same shape in this thread: a GPU
    pass fills some 80 MB each, and fresh pages for them cost a third of the drawing's time on the
    development machine. The caller is done with them before it asks again: CuPy's copy to the
    device is asynchronous, but run_block_xp copies each pass's totals back (which waits for the
    stream, that copy included) before the next pass draws."""
    if getattr(_held, "shape", None) != shape:
        _held.shape, _held.arrays = shape, (np.empty(shape, np.float32), np.empty(shape, np.float32))
    return _held.arrays


def side_by_side(a):
    """(g, p, w) chunks as one (p, g * w) array, scenarios in order (a copy unless g is 1)."""
    return a[0] if a.shape[0] == 1 else a.transpose(1, 0, 2).reshape(a.shape[1], -1)


def chunks_per_pass(xp: ModuleType, p: int) -> int:
    # numpy keeps run_block's cache-sized chunks (and so its order of summation); a GPU wants wide passes.
    return 1 if xp is np else max(1, GPU_ELEMENTS // (p * CHUNK))


def run_block_xp(m: Model, seed: int, block: int, xp: ModuleType = np, per_pass: int | None = None) -> Partial:
    """run_block's partial computed with the array module `xp` at the model's precision: float32
    draws, arithmetic in float32 or float64. numexpr has no GPU, so the outcome factor is plain
    array arithmetic in the same order of operations: with numpy at float32 the bits are
    run_block's. The partial is numpy arrays whatever `xp` is."""
    _, size = m.block_span(block)
    p, years = len(m.codes), len(m.years)
    dtype = np.float64 if m.params["precision"] == "float64" else np.float32
    one = dtype(1.0)  # a scalar of the arithmetic's type, so float32 work stays float32
    cols = Columns.of(m, dtype).on(xp)
    cost = xp.asarray(m.cost if dtype is np.float64 else m.cost32)
    budget, fixed = xp.asarray(m.budget)[:, None], xp.asarray(m.partner_fixed)[:, None]
    fx_sigma, fx_rate, foreign = xp.asarray(m.fx_sigma), xp.asarray(m.fx_rate), xp.asarray(m.partner_foreign)
    total = np.empty(size)
    delivered, within_year = xp.zeros(p, dtype=np.int64), xp.zeros(years, dtype=np.int64)
    year_sum, year_sumsq, partner_sum = xp.zeros(years), xp.zeros(years), xp.zeros(years)
    within_all = xp.zeros((), dtype=np.int64)
    tail = _TailKeeper(tail_rows(m, size))
    for first, u_host, z_host, fx_host in passes(m, seed, block, per_pass or chunks_per_pass(xp, p)):
        checkpoint()
        u, fx_z = side_by_side(xp.asarray(u_host)), xp.asarray(fx_host)
        z = side_by_side(xp.asarray(z_host)).astype(dtype, copy=False)  # moved as float32: half the bytes
        n = u.shape[1]
        cancelled, reduced = u < cols.cancel, u < cols.cancel_or_under
        k = xp.exp(z * cols.sigma)
        k *= (one + cols.under_step * reduced) + cols.cancel_step * cancelled
        delivered += xp.count_nonzero(cancelled ^ (u < cols.under_delivers) ^ reduced ^ (u < cols.plan_delivers),
                                      axis=1)
        spend = xp.einsum("yp,pm->ym", cost, k)
        total[first:first + n] = to_host(spend.sum(axis=0, dtype=np.float64))
        if foreign.shape[0]:
            partner = xp.einsum("mc,cy->ym", xp.exp(-fx_sigma * fx_z) / fx_rate, foreign) + fixed
        else:  # no foreign money: what run_block's empty product gives, without an empty einsum
            partner = xp.zeros((years, n)) + fixed
        fits = spend <= budget + partner
        within_year += xp.count_nonzero(fits, axis=1)
        within_all += xp.count_nonzero(fits.all(axis=0))
        year_sum += spend.sum(axis=1, dtype=np.float64)
        year_sumsq += xp.square(spend.astype(np.float64, copy=False)).sum(axis=1)
        partner_sum += partner.sum(axis=1)
        _offer(tail, first, total[first:first + n], k, xp)
    return {
        "total_cost": total, "delivered": to_host(delivered), "year_cost_sum": to_host(year_sum),
        "year_cost_sumsq": to_host(year_sumsq), "partner_money_sum": to_host(partner_sum),
        "within_year": to_host(within_year), "within_all": to_host(within_all).reshape(1), **tail.arrays(p),
    }


def _offer(tail: _TailKeeper, first: int, total: np.ndarray, k, xp: ModuleType) -> None:
    """Hand the tail keeper a pass's candidates, at most `keep` of them (the pass's own highest, ties
    to the earlier scenario), so that only their columns leave the device."""
    picked = np.flatnonzero(total > tail.floor)
    if picked.size > tail.keep:
        picked = np.sort(picked[np.lexsort((picked, -total[picked]))[:tail.keep]])
    if picked.size:
        tail.hold(total[picked], first + picked, to_host(xp.take(k, xp.asarray(picked), axis=1)))
