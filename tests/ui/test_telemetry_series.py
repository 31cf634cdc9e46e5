"""Telemetry series: bounded buffers that thin old samples, TensorBoard smoothing, job events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pytest

from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.ui.telemetry_series import RELATIVE, STEP, WALL, RunTelemetry, Series


def _feed(series: Series, total: int, batch: int) -> None:
    for start in range(0, total, batch):
        a = np.arange(start, min(start + batch, total), dtype=float)
        series.append_batch(a, a * 0.5, 1.7e9 + a, a * 2.0)


def test_series_memory_stays_bounded_and_keeps_first_last_and_order():
    series = Series(capacity=1024)
    nbytes = series.nbytes
    _feed(series, 200_000, 333)
    assert series.nbytes == nbytes
    assert len(series) <= 1024
    assert series.received == 200_000
    step = series.step
    assert step[0] == 0 and step[-1] == 199_999
    assert np.all(np.diff(step) > 0)
    # The columns of a sample stay together through thinning.
    np.testing.assert_array_equal(series.value, step * 2.0)
    np.testing.assert_array_equal(series.x(WALL), 1.7e9 + step)


def test_thinning_spreads_history_evenly_and_keeps_the_newest_at_full_rate():
    series = Series(capacity=1024)
    _feed(series, 200_000, 1000)
    step = series.step
    quarters = np.histogram(step, bins=4, range=(0, 200_000))[0]
    # The first three quarters of the time hold similar numbers of samples (an even stride) ...
    assert quarters[:3].min() >= 0.8 * quarters[:3].max() > 0
    # ... and the newest quarter of the buffer is every sample.
    np.testing.assert_array_equal(np.diff(step[-256:]), 1.0)


def test_one_batch_larger_than_the_buffer_is_taken_whole():
    series = Series(capacity=64)
    _feed(series, 1000, 1000)
    assert len(series) <= 64 and series.step[0] == 0 and series.step[-1] == 999
    assert np.all(np.diff(series.step) > 0)


def test_version_moves_on_every_change_only():
    series = Series(capacity=64)
    v0 = series.version
    series.append_batch([], [], [], [])
    assert series.version == v0
    series.append_batch([1], [0], [0], [5])
    assert series.version == v0 + 1


def test_band_series_needs_low_and_high():
    series = Series(capacity=16, band=True)
    with pytest.raises(ValueError, match="confidence band"):
        series.append_batch([1], [0], [0], [5])
    series.append_batch([1], [0], [0], [5], [4], [6])
    assert series.low.tolist() == [4] and series.high.tolist() == [6]


def _event(seq, seconds, kind, payload):
    return SimpleNamespace(seq=seq, at=datetime(2026, 5, 1, 12, 0) + timedelta(seconds=seconds), kind=kind,
                           payload=payload)


def test_run_telemetry_maps_events_to_series():
    run = RunTelemetry(capacity=64)
    events = [
        _event(1, 0, Kind.STATE, {"state": "running", "note": ""}),
        _event(2, 1, Kind.PROGRESS, {"done": 1, "total": 4}),
        _event(3, 1, Kind.THROUGHPUT, {"items_per_s": 2.5, "unit": "blocks"}),
        _event(4, 2, Kind.ESTIMATE, {"name": "mean", "value": 3.0, "low": 2.0, "high": 4.0, "samples": 10}),
        _event(5, 2, Kind.RESOURCE, {"cpu_percent": 90.0, "rss_mb": 120.0, "workers": 2,
                                     "gpu_util_percent": None, "gpu_memory_mb": None}),
        _event(6, 3, "progress", {"done": 2, "total": 4}),  # a plain string kind is read the same
        _event(7, 3, Kind.LOG, {"level": "info", "line": "block 2 done"}),
        _event(8, 4, Kind.METRIC, {"name": "loss", "value": 0.5, "step": 40}),
    ]
    changed = run.add_events(events)
    assert changed == {"progress", "throughput", "estimate: mean", "cpu_percent", "rss_mb", "metric: loss"}
    assert set(run.series) == changed  # no GPU series for a backend that reports none
    progress = run.series["progress"]
    assert progress.value.tolist() == [0.25, 0.5]
    assert progress.x(STEP).tolist() == [1, 2]
    assert progress.x(RELATIVE).tolist() == [1.0, 3.0]
    assert progress.x(WALL)[0] == datetime(2026, 5, 1, 12, 0, 1, tzinfo=timezone.utc).timestamp()
    estimate = run.series["estimate: mean"]
    assert estimate.band and estimate.value.tolist() == [3.0]
    assert estimate.low.tolist() == [2.0] and estimate.high.tolist() == [4.0]
    assert estimate.step.tolist() == [1]  # blocks done when it was sent
    assert run.series["throughput"].value.tolist() == [2.5]
    assert run.series["rss_mb"].value.tolist() == [120.0]
    assert run.series["metric: loss"].step.tolist() == [40]
    assert run.state == "running" and list(run.log) == [("info", "block 2 done")]
    assert run.last_seq == 8

    # Re-delivered events are skipped; new ones extend the same series objects.
    again = run.add_events(events + [_event(9, 5, Kind.PROGRESS, {"done": 3, "total": 4})])
    assert again == {"progress"}
    assert progress.value.tolist() == [0.25, 0.5, 0.75]


def test_events_decoded_elsewhere_are_applied_only_where_they_were_decoded_from():
    from genesis_desktop.ui.telemetry_series import Cursor, decode_events

    run = RunTelemetry(capacity=64)
    first = [_event(1, 0, Kind.PROGRESS, {"done": 1, "total": 4}), _event(2, 2, Kind.LOG, {"level": "info", "line": "hi"})]
    decoded = decode_events(first, run.cursor)  # as a poll's worker thread does
    assert run.apply(decoded) == {"progress"} and run.last_seq == 2 and list(run.log) == [("info", "hi")]
    assert run.apply(decoded) is None  # the same batch twice: the run has moved on, nothing appended
    assert len(run.series["progress"]) == 1
    later = decode_events([_event(3, 4, Kind.PROGRESS, {"done": 2, "total": 4})], run.cursor)
    assert later.since == Cursor(2, run.cursor.start, 1.0)
    run.apply(later)
    np.testing.assert_array_equal(run.series["progress"].relative, [0.0, 4.0])  # time still counts from event 1
