"""The Compute view's live telemetry, following real local jobs (the pi kernel, paused per block so
that a run lasts long enough to be watched): plots that fill while the job runs, two runs overlaid,
a failed job's error beside its plots, pins, and the run form."""
from __future__ import annotations

import numpy as np

from genesis_desktop.ui.compute_run_dialog import RunJobDialog
from genesis_desktop.ui.telemetry_series import PROGRESS, THROUGHPUT

from .test_compute_page import job_states


def _compute_page(main_window):
    main_window.select_view("compute")
    return main_window.page("compute")


def _select(page, *job_ids) -> None:
    ids = list(page.jobs.model.raw_column("id"))
    selection = page.jobs.table.selectionModel()
    selection.clearSelection()
    flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
    for job_id in job_ids:
        selection.select(page.jobs.model.index(ids.index(job_id), 0), flags)


def _start_pi(page, qtbot, count_before: int, **params) -> int:
    page.run("pi", {"blocks": 6, "samples_per_block": 20_000, "sleep_s": 0.25, **params}, workers=1)
    qtbot.waitUntil(lambda: len(job_states(page)) == count_before + 1, timeout=30_000)
    return max(job_states(page))


def test_the_view_follows_a_local_job_from_start_to_end(main_window, qtbot):
    page = _compute_page(main_window)
    panel = page.telemetry
    job_id = _start_pi(page, qtbot, 0)
    _select(page, job_id)
    qtbot.waitUntil(lambda: PROGRESS in panel.plots, timeout=30_000)
    progress = panel.plots[PROGRESS]
    label = next(iter(progress.runs))
    assert label == f"#{job_id} pi on local"
    seen_partway = []

    def done() -> bool:
        series = progress.runs[label].series
        if len(series) and 0 < series.value[-1] < 1:
            seen_partway.append(series.value[-1])
        return job_states(page)[job_id] == "completed" and len(series) and series.value[-1] == 1.0

    qtbot.waitUntil(done, timeout=60_000)
    assert seen_partway, "the plot never showed the job part-way: it was not followed live"
    values = progress.runs[label].series.value
    assert np.all(np.diff(values) >= 0) and values[-1] == 1.0
    qtbot.waitUntil(lambda: progress.runs[label].drawn.get("value", np.empty(0)).size == len(values), timeout=5_000)

    assert THROUGHPUT in panel.plots
    estimate = panel.plots["estimate: pi"]
    series = estimate.runs[label].series
    assert series.band and abs(series.value[-1] - np.pi) < 0.05
    assert (series.high - series.low)[-1] < (series.high - series.low)[0]  # the band narrows as it converges
    log = panel.log.toPlainText()
    assert f"{label}  state: running" in log and f"{label}  state: completed" in log
    assert not panel.timer.isActive()  # nothing left to follow: polling stops
    assert panel.error.isHidden()


def test_two_runs_overlaid_and_a_failed_job_shows_its_error(main_window, qtbot):
    page = _compute_page(main_window)
    panel = page.telemetry
    first = _start_pi(page, qtbot, 0, sleep_s=0.0)
    second = _start_pi(page, qtbot, 1, sleep_s=0.0, fail_block=2)
    qtbot.waitUntil(lambda: job_states(page)[first] == "completed" and job_states(page)[second] == "failed",
                    timeout=60_000)
    _select(page, first, second)
    qtbot.waitUntil(lambda: PROGRESS in panel.plots and len(panel.plots[PROGRESS].runs) == 2, timeout=10_000)
    progress = panel.plots[PROGRESS]
    pens = [progress.curves.curves[name].line_pen for name in progress.runs]
    assert pens[0].color().name() != pens[1].color().name() and pens[0].style() != pens[1].style()
    qtbot.waitUntil(panel.error.isVisible, timeout=10_000)
    assert f"#{second} pi on local failed" in panel.error.text()
    assert "block 2 fails on purpose" in panel.error.text()

    # Pinned from one legend, the run stays in every plot when the selection moves on.
    label = f"#{first} pi on local"
    progress.set_pinned(label, True)
    assert first in panel.pinned and panel.plots[THROUGHPUT].runs[label].pinned
    _select(page, second)
    qtbot.waitUntil(lambda: len(panel.plots[PROGRESS].runs) == 2, timeout=5_000)
    panel.plots[PROGRESS].set_pinned(label, False)
    _select(page, second)
    page._show_details()
    assert set(panel.plots[PROGRESS].runs) == {f"#{second} pi on local"}


def test_the_shared_settings_reach_every_plot(main_window, qtbot):
    page = _compute_page(main_window)
    panel = page.telemetry
    job_id = _start_pi(page, qtbot, 0, sleep_s=0.0)
    qtbot.waitUntil(lambda: job_states(page)[job_id] == "completed", timeout=60_000)
    _select(page, job_id)
    qtbot.waitUntil(lambda: "estimate: pi" in panel.plots, timeout=10_000)
    panel.smoothing_slider.setValue(600)
    panel.x_box.setCurrentIndex(1)
    assert all(p.smoothing == 0.6 and p.x_mode == "relative" for p in panel.plots.values())
    panel.pause_button.click()
    assert all(p.paused and not p.timer.isActive() for p in panel.plots.values())


def test_the_run_form_offers_each_kernel_with_its_parameters(qtbot):
    dialog = RunJobDialog(["local", "slurm"])
    qtbot.addWidget(dialog)
    assert dialog.chosen_kernel() == "risk"
    assert dialog.params() == {"scenarios": 200_000, "precision": "float32"}
    dialog.kernel.setCurrentIndex(dialog.kernel.findData("pi"))
    dialog.editors["pi"]["blocks"].setValue(32)
    assert dialog.params() == {"blocks": 32, "samples_per_block": 100_000, "sleep_s": 0.0}
    assert [dialog.backend.itemText(i) for i in range(dialog.backend.count())] == ["local", "slurm"]
