"""TensorBoard's debiased EMA: the whole-array form against the textbook loop, and the running form
that a live plot extends at each frame against the whole-array form."""
from __future__ import annotations

import numpy as np
import pytest

from genesis_desktop.ui.telemetry_series import Series
from genesis_desktop.ui.telemetry_smoothing import RunningEma, debiased_ema


def _reference_ema(values, weight):
    # TensorBoard's loop, sample by sample.
    last, count, out = 0.0, 0, []
    for v in values:
        if not np.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight ** count))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.1, 0.6, 0.9, 0.99, 0.999])
def test_debiased_ema_equals_the_reference_loop(weight):
    rng = np.random.default_rng(7)
    values = rng.normal(size=5000) + np.linspace(0, 3, 5000)
    values[[10, 400]] = np.nan
    np.testing.assert_allclose(debiased_ema(values, weight), _reference_ema(values, weight),
                               rtol=1e-12, atol=1e-12, equal_nan=True)


def test_debiased_ema_starts_at_the_first_value_not_at_zero():
    smoothed = debiased_ema(np.array([10.0, 10.5, 11.0]), 0.99)
    assert smoothed[0] == pytest.approx(10.0)
    assert 10.0 < smoothed[2] < 11.0
    np.testing.assert_array_equal(debiased_ema(np.full(5, 3.0), 0.9), np.full(5, 3.0))
    np.testing.assert_array_equal(debiased_ema(np.array([1.0, 4.0]), 0.0), [1.0, 4.0])



def _append(series, values, start):
    step = np.arange(start, start + len(values), dtype=float)
    series.append_batch(step, step, step, values)


@pytest.mark.parametrize("weight", [0.3, 0.9, 0.999])
def test_running_ema_extends_to_what_a_full_pass_gives(weight):
    rng = np.random.default_rng(3)
    series, running = Series(capacity=4096), RunningEma()
    done = 0
    for size in (1, 7, 300, 2, 1000):
        values = rng.normal(size=size) + 5.0
        if size == 300:
            values[[3, 50]] = np.nan
        _append(series, values, done)
        done += size
        np.testing.assert_allclose(running.of(series, weight), _reference_ema(series.value, weight),
                                   rtol=1e-12, atol=1e-12, equal_nan=True)
    assert series.compactions == 0  # the whole check ran on the extending path


def test_running_ema_starts_over_when_the_series_thins_or_the_weight_changes():
    rng = np.random.default_rng(4)
    series, running = Series(capacity=64), RunningEma()
    _append(series, rng.normal(size=60), 0)
    first = running.of(series, 0.9)
    _append(series, rng.normal(size=30), 60)  # past capacity: the history is thinned
    assert series.compactions >= 1
    np.testing.assert_allclose(running.of(series, 0.9), debiased_ema(series.value, 0.9), rtol=1e-12)
    np.testing.assert_allclose(running.of(series, 0.5), debiased_ema(series.value, 0.5), rtol=1e-12)
    assert len(first) == 60  # what was handed out before is the caller's, not overwritten


def test_running_ema_keeps_a_constant_series_exact_until_it_moves():
    series, running = Series(capacity=64), RunningEma()
    _append(series, np.full(10, 0.1), 0)
    np.testing.assert_array_equal(running.of(series, 0.9), np.full(10, 0.1))
    _append(series, [0.2], 10)
    np.testing.assert_allclose(running.of(series, 0.9), _reference_ema(series.value, 0.9), rtol=1e-12)
    with pytest.raises(ValueError, match="weight must be in"):
        running.of(series, 1.0)


def test_running_ema_says_how_much_of_its_last_answer_still_stands():
    series, running = Series(capacity=64), RunningEma()
    _append(series, [1.0, 2.0, 3.0], 0)
    running.of(series, 0.5)
    assert running.unchanged == 0
    _append(series, [4.0], 3)
    running.of(series, 0.5)
    assert running.unchanged == 3
    running.of(series, 0.6)  # a new weight changes every value
    assert running.unchanged == 0
