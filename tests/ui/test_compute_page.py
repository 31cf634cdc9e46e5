"""The Compute view runs real local risk jobs on the fixture portfolio, cancels one, and says why."""
from __future__ import annotations

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobStore


def job_states(page) -> dict[int, str]:
    model = page.jobs.model
    return dict(zip(model.raw_column("id"), model.raw_column("state")))


def select_job(page, job_id: int) -> None:
    row = page.jobs.model.raw_column("id").index(job_id)
    page.jobs.table.selectRow(row)


def test_a_risk_run_started_from_the_view_completes_and_shows_its_estimates(main_window, qtbot, portfolio_store):
    main_window.select_view("compute")
    page = main_window.page("compute")
    assert page.jobs.model.total_rows == 0
    page.run_risk(seed=7, scenarios=20_000, workers=1)
    qtbot.waitUntil(lambda: "completed" in job_states(page).values() or "Could not" in page.details.toPlainText(), timeout=60_000)
    assert "Could not" not in page.details.toPlainText(), page.details.toPlainText()
    (job_id,) = job_states(page)
    record = JobStore(portfolio_store.engine).get(job_id)
    assert record.state is JobState.COMPLETED and record.backend == "local"
    assert record.spec.seed == 7 and record.spec.params["scenarios"] == 20_000
    assert page.jobs.model.text_column("progress")[0] == f"{record.spec.blocks}/{record.spec.blocks} blocks"

    select_job(page, job_id)
    qtbot.waitUntil(lambda: "Result:" in page.details.toPlainText(), timeout=10_000)
    text = page.details.toPlainText()
    assert f"Job {job_id}: risk" in text and "COMPLETED on local" in text
    assert "95%" in text  # the last estimate of each quantity, with its interval
    assert page.rerun_button.isEnabled() and not page.cancel_button.isEnabled()


def test_cancel_from_the_view_stops_a_running_job(main_window, qtbot, portfolio_store):
    main_window.select_view("compute")
    page = main_window.page("compute")
    page.run_risk(seed=1, scenarios=50_000_000, workers=1)
    qtbot.waitUntil(lambda: "running" in job_states(page).values(), timeout=60_000)
    (job_id,) = job_states(page)
    select_job(page, job_id)
    qtbot.waitUntil(page.cancel_button.isEnabled, timeout=5_000)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: job_states(page)[job_id] == "canceled", timeout=30_000)
    record = JobStore(portfolio_store.engine).get(job_id)
    assert record.state is JobState.CANCELED
    assert record.blocks_done < record.spec.blocks
    qtbot.waitUntil(page.resume_button.isEnabled, timeout=5_000)


def test_a_run_that_falls_back_says_so_above_the_jobs(main_window, qtbot, portfolio_store):
    main_window.select_view("compute")
    page = main_window.page("compute")
    assert page.notice.isHidden()
    page.run_risk(backend="no-such-queue", seed=3, scenarios=20_000, workers=1)
    qtbot.waitUntil(lambda: page.notice.isVisible() and bool(job_states(page)), timeout=30_000)
    (job_id,) = job_states(page)
    assert page.notice.text().startswith(f"⚠ Job {job_id} runs on local instead: backend 'no-such-queue' is "
                                         "not installed; installed: local")
    record = JobStore(portfolio_store.engine).get(job_id)
    assert (record.backend, record.requested_backend) == ("local", "no-such-queue")
    assert record.fallback_reason in page.notice.text()
    qtbot.waitUntil(lambda: job_states(page)[job_id] == "completed", timeout=60_000)
    page.run_risk(seed=4, scenarios=20_000, workers=1)
    qtbot.waitUntil(lambda: page.notice.isHidden(), timeout=30_000)
