"""The Standings view of a call's reviews, on the demo portfolio with real local compute jobs.

The fixture gives the call 45% of what its reviewed proposals ask for, whatever the demo's own budget,
so that the odds of funding spread over 0..1 and a grey zone forms.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select, update

from genesis_desktop.compute import service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, Reviewer, ReviewState
from genesis_desktop.review.job_inputs import calibration_params
from genesis_desktop.review.records import call_rubric

CALL = "DE-FOA-0003612"


@pytest.fixture
def demo_store(store):
    build_demo(store, proposals=400, seed=2026)
    params = calibration_params(store, CALL)
    reviewed = {code for code, _email, _total in params["reviews"]}
    asked = sum(cost for code, cost in params["costs"].items() if code in reviewed)
    with store.session() as s, s.begin():
        s.execute(update(Call).where(Call.number == CALL).values(total_budget_minor=int(asked * 0.45)))
    return store


def run_calibration(store, seed: int = 5, draws: int = 300) -> dict:
    """A calibration job run as `genesis run calibration` would: the service, the local backend."""
    jobs = JobStore(store.engine)
    spec = service.make_spec("calibration", calibration_params(store, CALL, draws=draws), seed=seed,
                             resources=Resources(workers=1))
    submitted = service.submit(jobs, spec)
    try:
        record = service.follow(jobs, submitted.backend, submitted.job_id)
    finally:
        submitted.backend.close()
    assert record.state is JobState.COMPLETED, record.error
    return record.result


@pytest.fixture
def open_page(open_view, demo_store):
    from genesis_desktop.ui.review_standings_page import StandingsPage

    return lambda: open_view(StandingsPage, demo_store, (1240, 780))


def shown(page, key: str) -> list:
    return page.model.raw_column(key)


def texts(page, key: str) -> list[str]:
    return page.model.text_column(key)


def test_before_any_calibration_the_view_shows_raw_totals_and_says_how_to_calibrate(open_page, demo_store):
    page = open_page()
    assert page.summary.text() == "Not calibrated yet: Calibrate… runs the calibration as a compute job"
    assert page.rank_chart.is_empty and "Not calibrated yet" in page.rank_chart.empty_label.text()
    assert page.leniency_chart.is_empty
    model, table = page.model, page.table
    for key in ("rank", "calibrated", "probability", "rank_low", "grey", "funded"):
        assert table.isColumnHidden(model.column_of(key)), key
    for key in ("code", "title", "reviews", "raw_total"):
        assert not table.isColumnHidden(model.column_of(key)), key
    # Each raw total is the mean rubric total of the proposal's submitted reviews, best (lowest) first.
    rubric = call_rubric(demo_store, CALL)
    with demo_store.session() as s:
        rows = s.execute(select(Proposal.code, Review.scores).join(Review, Review.proposal_id == Proposal.id)
                         .where(Review.state == ReviewState.SUBMITTED)).all()
    expected: dict[str, list[float]] = {}
    for code, scores in rows:
        expected.setdefault(code, []).append(rubric.total(scores))
    raw = dict(zip(shown(page, "code"), shown(page, "raw_total")))
    assert set(raw) == set(expected)  # unreviewed and draft-only proposals are filtered out
    assert all(raw[c] == pytest.approx(np.mean(v)) for c, v in expected.items())
    totals = shown(page, "raw_total")
    assert totals == sorted(totals)
    assert page.calibrate_button.isEnabled()


def test_calibrate_runs_a_compute_job_that_the_compute_view_lists_and_the_standings_follow(open_page, qtbot,
                                                                                         demo_store):
    from genesis_desktop.ui.compute_page import ComputePage

    page = open_page()
    compute = ComputePage(page.desk)
    qtbot.addWidget(compute)
    compute.reload()
    qtbot.waitUntil(lambda: compute.is_loaded, timeout=10_000)
    assert compute.jobs.model.total_rows == 0
    page.calibrate(draws=200, seed=11)
    qtbot.waitUntil(lambda: bool(page.calibrating), timeout=15_000)
    (job_id,) = page.calibrating
    assert page.calibrating[job_id] == CALL
    assert not page.calibrate_button.isEnabled()
    assert f"Calibration job {job_id} is running" in page.summary.text()
    qtbot.waitUntil(lambda: job_id in compute.jobs.model.raw_column("id"), timeout=10_000)
    qtbot.waitUntil(lambda: page.standings is not None and page.standings.calibrated, timeout=15_000)
    record = JobStore(demo_store.engine).get(job_id)
    assert record.state is JobState.COMPLETED and record.spec.params["call"] == CALL
    assert page.standings.job.id == job_id and page.summary.text().startswith(f"Calibrated by job {job_id} ")
    assert "200 draws, seed 11" in page.summary.text()
    assert page.calibrate_button.isEnabled() and not page.rank_chart.is_empty
    compute.shutdown()


def test_rows_match_the_job_result_and_grey_zone_rows_are_flagged(open_page, qtbot, demo_store):
    result = run_calibration(demo_store)
    page = open_page()
    ranked = [p for p in result["proposals"] if p["reviews"] > 0]
    assert shown(page, "code") == [p["code"] for p in ranked]  # in order of expected rank
    assert shown(page, "rank") == pytest.approx([p["expected_rank"] for p in ranked])
    assert texts(page, "probability") == [f"{p['probability_funded']:.0%}" for p in ranked]
    assert texts(page, "calibrated") == [f"{p['calibrated_total']:.2f} ± {p['calibrated_sd']:.2f}" for p in ranked]
    assert texts(page, "rank_low") == [f"{p['rank_low']:.0f} to {p['rank_high']:.0f}" for p in ranked]
    assert texts(page, "funded") == ["funded" if p["funded_at_mean"] else "" for p in ranked]
    grey = [p["code"] for p in ranked if 0.1 <= p["probability_funded"] <= 0.9]
    assert len(grey) >= 3, "the tightened budget should leave proposals to discuss"
    flagged = [c for c, t in zip(shown(page, "code"), texts(page, "grey")) if t == "discuss"]
    assert flagged == grey
    tint = [page.model.index(r, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
            for r in range(page.model.rowCount())]
    assert [c for c, t in zip(shown(page, "code"), tint) if t] == grey
    # The rank chart: the same proposals in the same order, the grey zone and the funding line.
    chart = page.rank_chart
    assert chart.codes == [p["code"] for p in ranked]
    assert list(np.array(chart.codes)[chart.grey]) == grey
    funded = sum(p["funded_at_mean"] for p in ranked)
    assert chart.line.value() == funded + 0.5 and f"{funded} funded at the mean" in chart.line_label.format
    low, high = chart.band.getRegion()
    positions = [chart.codes.index(c) + 1 for c in grey]
    assert low <= min(positions) and max(positions) <= high
    assert f"{len(grey)} in the grey zone" in page.summary.text()
    # Leniency: every reviewer of the result, most generous first.
    lenient = sorted(result["reviewers"], key=lambda r: (-r["leniency"], r["name"]))
    assert page.leniency_chart.names == [r["name"] for r in lenient]
    assert page.leniency_chart.leniency == pytest.approx([r["leniency"] for r in lenient])
    # A review written after the calibration: the standings say they are behind.
    assert "changed since" not in page.summary.text()
    with demo_store.session() as s, s.begin():
        review = s.scalars(select(Review).where(Review.state == ReviewState.SUBMITTED).limit(1)).one()
        review.comments = review.comments + " Revised after the panel."
    page.reload()
    qtbot.waitUntil(lambda: "changed since" in page.summary.text(), timeout=10_000)
    assert "1 review(s) changed since: Calibrate… again to include them." in page.summary.text()


def test_the_table_sorts_by_any_column(open_page, demo_store):
    run_calibration(demo_store)
    page = open_page()
    header = page.table.horizontalHeader()
    page.table.sortByColumn(page.model.column_of("probability"), Qt.SortOrder.DescendingOrder)
    p = shown(page, "probability")
    assert p == sorted(p, reverse=True) and p[0] > p[-1]
    assert header.sortIndicatorSection() == page.model.column_of("probability")
    page.table.sortByColumn(page.model.column_of("code"), Qt.SortOrder.AscendingOrder)
    assert shown(page, "code") == sorted(shown(page, "code"))
    page.table.sortByColumn(page.model.column_of("calibrated"), Qt.SortOrder.AscendingOrder)
    c = shown(page, "calibrated")
    assert c == sorted(c)
    before = len(shown(page, "code"))
    page.unreviewed.setChecked(True)  # the competing proposals without reviews: no rank, last by rank
    page.table.sortByColumn(page.model.column_of("rank"), Qt.SortOrder.AscendingOrder)
    assert len(shown(page, "code")) > before
    assert shown(page, "reviews")[before:] == [0] * (len(shown(page, "code")) - before)
    assert all(r != r for r in shown(page, "rank")[before:]) and texts(page, "rank")[-1] == ""


def test_side_by_side_shows_exactly_the_proposals_reviews_with_the_rubrics_criteria(open_page, qtbot, demo_store):
    store = demo_store
    page = open_page()
    with store.session() as s:
        counts = s.execute(select(Proposal.code, func.count(Review.id)).join(Review, Review.proposal_id == Proposal.id)
                           .group_by(Proposal.code).order_by(func.count(Review.id).desc(), Proposal.code)).all()
        code = next(c for c, n in counts if n >= 3 and c in shown(page, "code"))
        reviews = s.execute(select(Reviewer.name, Review.state, Review.scores, Review.comments)
                            .join(Reviewer, Reviewer.id == Review.reviewer_id)
                            .join(Proposal, Proposal.id == Review.proposal_id)
                            .where(Proposal.code == code).order_by(Reviewer.name)).all()
    page.table.selectRow(shown(page, "code").index(code))
    qtbot.waitUntil(lambda: page.side_by_side.shown is not None and page.side_by_side.shown.proposal == code,
                    timeout=10_000)
    side = page.side_by_side
    rubric = call_rubric(store, CALL)
    assert side.row_titles == [c.title for c in rubric.criteria] + ["Total", "Comments"]
    assert side.column_titles == [n + (" (draft)" if st is ReviewState.DRAFT else "") for n, st, _, _ in reviews]
    for col, (_name, state, scores, comments) in enumerate(reviews):
        for row, criterion in enumerate(rubric.criteria):
            value = scores.get(criterion.key)
            assert side.cell(row, col).split(" · ")[0] == ("—" if value is None else str(value))
        total = side.cell(len(rubric.criteria), col)
        assert total == (f"{rubric.total(scores):.2f}" if not rubric.problems(scores) else "incomplete draft")
        assert side.cell(len(rubric.criteria) + 1, col) == (comments or "(no comments)")
    assert side.heading.text().startswith(f"{code}: ")


def assignments(store) -> set[tuple[str, str]]:
    with store.session() as s:
        return set(s.execute(select(Proposal.code, Reviewer.email)
                             .join(ReviewAssignment, ReviewAssignment.proposal_id == Proposal.id)
                             .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)).all())


def run_in(dialog, qtbot) -> dict:
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.result_ready or "cannot run" in dialog.status.text(), timeout=15_000)
    assert dialog.result_ready, dialog.status.text()
    return dialog.record.result


def test_assign_dialog_discard_writes_nothing_and_save_writes_the_pairs(open_page, qtbot, demo_store):
    page = open_page()
    before = assignments(demo_store)  # the demo's reviews came with their assignments
    assert before
    dialog = page.open_assign_dialog()
    dialog.k.setValue(2)
    result = run_in(dialog, qtbot)
    assert dialog.record.spec.kernel == "assignment" and dialog.record.spec.params["k"] == 2
    text = dialog.summary.text()
    assert f"{len(result['pairs'])} pairs" in text and f"{result['objective']:.4f}" in text
    assert f"LP bound {result['lp_bound']:.4f}" in text and "gap" in text
    assert dialog.loads_table.rowCount() == len(result["loads"])
    assert dialog.pairs_table.rowCount() == len(result["pairs"]) == 2 * len({p["proposal"] for p in result["pairs"]})
    assert dialog.save_button.isEnabled()
    dialog.discard_button.click()
    assert not dialog.isVisible()
    assert assignments(demo_store) == before

    dialog = page.open_assign_dialog()
    pairs = {(p["proposal"], p["reviewer"]) for p in run_in(dialog, qtbot)["pairs"]}
    assert pairs != before
    dialog.save_button.click()  # refused: the call has assignments and "replace" is not ticked
    qtbot.waitUntil(lambda: "Not saved" in dialog.status.text(), timeout=10_000)
    assert f"already has {len(before)} review assignments" in dialog.status.text()
    assert assignments(demo_store) == before and dialog.save_button.isEnabled()
    dialog.replace.setChecked(True)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.saved is not None or "Not saved: " in dialog.status.text()
                    and "already" not in dialog.status.text(), timeout=10_000)
    assert dialog.saved is not None, dialog.status.text()
    assert dialog.status.text().startswith(f"Saved {len(pairs)} assignments")
    assert assignments(demo_store) == pairs
    dialog.close()


def test_charts_follow_the_dark_theme(open_page, qapp, demo_store):
    from genesis_desktop.ui.theme import choose_theme

    run_calibration(demo_store)
    page = open_page()
    light = page.rank_chart.theme.background.name()
    choose_theme(qapp, "dark")
    qapp.processEvents()
    assert page.rank_chart.theme.dark and page.leniency_chart.theme.dark
    assert page.rank_chart.plot.backgroundBrush().color().name() == page.rank_chart.theme.background.name() != light
