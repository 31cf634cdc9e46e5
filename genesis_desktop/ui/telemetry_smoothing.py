"""TensorBoard's smoothing of a live series: a debiased exponential moving average, kept up to date.

TensorBoard starts the average at 0 and divides by 1 - w**k (k: finite values seen so far), so the
first points are not dragged toward zero; non-finite values pass through and do not count; a
constant series is returned as it is, without rounding noise. The recurrence runs in C (scipy's
lfilter). A live plot redraws 30 times a second while samples arrive at a thousand a second, so
`RunningEma` extends the average over the new samples only, and starts over only when the series
thinned its history (`Series.compactions`) or the weight changed.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .telemetry_series import Series


def _check(weight: float) -> None:
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")


def _debias(first_k: int, count: int, weight: float) -> np.ndarray:
    """1 - w**k for k = first_k .. first_k+count-1, exact for small w**k."""
    return -np.expm1(np.arange(first_k, first_k + count) * np.log(weight))


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    _check(weight)
    out = values.copy()
    if weight == 0.0 or values.size == 0:
        return out
    finite = np.isfinite(values)
    v = values[finite]
    if v.size == 0 or np.all(v == v[0]):
        return out
    out[finite] = lfilter([1.0 - weight], [1.0, -weight], v) / _debias(1, v.size, weight)
    return out


class RunningEma:
    """debiased_ema(series.value, weight), extended at each call by what was appended since."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._out = np.empty(0)
        self._n = 0  # samples smoothed so far
        self._last = 0.0  # the biased average after them
        self._count = 0  # finite values among them
        self._first: float | None = None  # the first finite value, while all were equal to it
        self.unchanged = 0  # leading values the last call returned as the call before it did

    def of(self, series: Series, weight: float) -> np.ndarray:
        """The smoothed values (a fresh array: the caller may keep it while the series moves on)."""
        _check(weight)
        values = series.value
        if weight == 0.0:
            return values.copy()
        key = (id(series), series.compactions, weight)
        if key != self._key or len(values) < self._n:
            self._key, self._n, self._last, self._count, self._first = key, 0, 0.0, 0, None
            self._out = np.empty(series.capacity)
        self.unchanged = self._n
        was_constant = self._first is not None
        self._extend(values[self._n:], weight)
        if was_constant and self._first is None:
            self.unchanged = 0  # the values shown exact until now become smoothed ones
        if self._first is not None:
            # Constant so far: TensorBoard shows a constant series unsmoothed.
            self._out[:self._n] = values[:self._n]
        return self._out[:self._n].copy()

    def _extend(self, new: np.ndarray, weight: float) -> None:
        start = self._n
        self._out[start:start + len(new)] = new
        self._n += len(new)
        finite = np.isfinite(new)
        v = new[finite]
        if not v.size:
            return
        if self._count == 0:
            self._first = float(v[0])
        if self._first is not None and not np.all(v == self._first):
            self._first = None
        biased, state = lfilter([1.0 - weight], [1.0, -weight], v, zi=[weight * self._last])
        self._last = float(biased[-1])
        smoothed = biased / _debias(self._count + 1, v.size, weight)
        self._count += v.size
        block = self._out[start:start + len(new)]
        block[finite] = smoothed
