"""Portfolio reports and decision files on the demo: a scenario solved after a real calibration run,
rendered to PDF (read back with poppler's pdftotext and pdftoppm) and to XLSX (read back with openpyxl).

The expected figures are taken from the stored result and the records, and formatted here, not by the
report's own helpers, so that a wrong total or a wrong format in the report fails.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select

from genesis_desktop.portfolio.store import open_store

CALL = "DE-FOA-0003612"
SCENARIO = "Baseline"
WAIVER = "The reviewer's co-authorship ended in 2019; the panel chair reviewed it and allows it."
REVISION = "Re-read the data management plan after the panel discussion."
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="pdftotext/pdftoppm are missing (Debian package poppler-utils)")


def run_job(store, kernel: str, params: dict):
    """A kernel run as `genesis run` runs it: the service and the local backend; its final record."""
    from genesis_desktop.compute import service
    from genesis_desktop.compute.jobs import JobState, Resources
    from genesis_desktop.compute.jobstore import JobStore

    jobs = JobStore(store.engine)
    submitted = service.submit(jobs, service.make_spec(kernel, params, seed=5, resources=Resources(workers=1)))
    try:
        record = service.follow(jobs, submitted.backend, submitted.job_id)
    finally:
        submitted.backend.close()
    assert record.state is JobState.COMPLETED, record.error
    return record


def prepare(store) -> None:
    """Once a session: a calibration run, the call's default scenario solved with its robustness and
    risk runs, one unsolved scenario, a conflict with its waiver, and a revised review."""
    from genesis_desktop.decisions.scenario_jobs import (record_risk, record_robustness, risk_params_for_scenario,
                                                         scenario_params)
    from genesis_desktop.decisions.scenarios import default_spec, save_scenario, solve_scenario
    from genesis_desktop.review.job_inputs import calibration_params
    from genesis_desktop.review.records import declare_conflict, waive_conflict
    from genesis_desktop.review.scoring import DatabaseReviewerDesk

    run_job(store, "calibration", calibration_params(store, CALL, draws=200))
    spec = default_spec(store, CALL)
    save_scenario(store, SCENARIO, spec, "A. Officer", note="the call as published")
    save_scenario(store, "Draft", spec, "A. Officer")
    result = solve_scenario(store, SCENARIO, "A. Officer")
    robustness = run_job(store, "robustness", {**scenario_params(store, SCENARIO, "robustness"), "draws": 50})
    record_robustness(store, SCENARIO, robustness.id, robustness.result)
    risk = run_job(store, "risk", risk_params_for_scenario(store, SCENARIO, scenarios=20_000))
    record_risk(store, SCENARIO, risk.id, risk.result)
    code, (first, second) = _reviewed(store, result["chosen"])
    declare_conflict(store, code, second, "personal", "Former co-author of the lead investigator", "B. Chair")
    waive_conflict(store, code, second, WAIVER, "B. Chair")
    desk = DatabaseReviewerDesk(store, first)
    mine = desk.my_review(code)
    desk.revise(code, {**mine.scores, "merit": 1 if mine.scores["merit"] != 1 else 2}, mine.comments, REVISION)


def _reviewed(store, codes: list[str]) -> tuple[str, list[str]]:
    """The first chosen proposal with three submitted reviews, and its first two reviewers' e-mails."""
    from genesis_desktop.portfolio.schema import Proposal, Review, Reviewer, ReviewState

    with store.session() as s:
        for code in codes:
            emails = s.scalars(select(Reviewer.email).join(Review, Review.reviewer_id == Reviewer.id)
                               .join(Proposal, Proposal.id == Review.proposal_id)
                               .where(Proposal.code == code, Review.state == ReviewState.SUBMITTED)
                               .order_by(Reviewer.email)).all()
            if len(emails) >= 3:
                return code, emails[:2]
    raise AssertionError("no chosen proposal has three submitted reviews")


@pytest.fixture
def demo(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(400, then=prepare))}", create=False)
    yield store
    store.close()


def stored_result(store) -> dict:
    from genesis_desktop.portfolio.schema import Scenario

    with store.session() as s:
        return s.scalar(select(Scenario.result).where(Scenario.name == SCENARIO))


def pdf_pages(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed (wrapped cells break lines anywhere)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [re.sub(r"\s+", " ", page) for page in text.split("\f")[:-1]]


def money(value: float) -> str:
    return f"{int(round(value)):,} USD"


@needs_poppler
def test_portfolio_pdf_title_page_states_the_title_and_the_results_totals(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    result = stored_result(demo)
    out = export_portfolio_report(demo, SCENARIO, tmp_path / "report.pdf")
    first = pdf_pages(out)[0]
    assert f"Portfolio report: {SCENARIO} — {CALL}" in first
    assert f"{len(result['chosen'])} of {len(result['proposals'])} competing" in first
    chosen = [p for p in result["proposals"] if p["chosen"]]
    assert money(sum(p["cost_total"] for p in chosen)) in first
    assert money(sum(p["reserve_total"] for p in chosen)) in first
    for year in result["years"]:
        y = str(year)
        budget = result["budget"][y]
        row = (f"FY{y} {'no limit' if budget is None else money(budget)} {money(result['committed'][y])} "
               f"{money(result['spend'][y] - result['committed'][y])} {money(result['spend'][y])}")
        assert row in first, row


@needs_poppler
def test_every_portfolio_page_renders_with_ink_in_its_body(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    out = export_portfolio_report(demo, SCENARIO, tmp_path / "report.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(pdf_pages(out)) >= 5
    for png in pngs:
        ink = np.asarray(Image.open(png).convert("L")) < 200
        body = ink[int(ink.shape[0] * 0.09):int(ink.shape[0] * 0.90)]  # without the header and footer bands
        assert body.mean() > 0.005, f"{png.name} has nothing between its header and footer"


@needs_poppler
def test_the_charts_and_every_section_are_in_the_pdf(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    text = " ".join(pdf_pages(export_portfolio_report(demo, SCENARIO, tmp_path / "report.pdf")))
    for heading in ("Spend against budget by fiscal year", "Money by area", "Chosen proposals", "Merit against cost",
                    "Coverage met", "Caps met", "Left out near the line", "Risk summary", "Partners' ledger",
                    "Co-funding shares", "Scenario settings"):
        assert heading in text, heading
    for label in ("USD millions", "merit (1 = best)", "Spend (committed + chosen)", "Chosen ("):
        assert label in text, label  # the charts' axes and legends are drawn as text


@needs_poppler
def test_the_chosen_table_repeats_its_header_on_every_page_it_reaches(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    result = stored_result(demo)
    pages = pdf_pages(export_portfolio_report(demo, SCENARIO, tmp_path / "report.pdf"))
    first = next(i for i, p in enumerate(pages) if "Chosen proposals" in p)
    last = next(i for i, p in enumerate(pages) if "Merit against cost" in p)  # the section after the table
    spans = [pages[first].split("Chosen proposals", 1)[1]] + pages[first + 1:last] + \
        [pages[last].split("Merit against cost", 1)[0]]
    holding = [p for p in spans if any(code in p for code in result["chosen"])]
    assert len(holding) >= 2, "the chosen proposals should need more than one page"
    for page in holding:
        assert re.search(r"Code Title Phase Area Lead FY\d{4}", page), page[:300]
    found = {code for page in spans for code in result["chosen"] if code in page}
    assert found == set(result["chosen"])


def test_the_report_data_carries_the_calibrated_interval_of_each_chosen_proposal(demo):
    from genesis_desktop.decisions.report_data import calibration_of, portfolio_report_data

    data = portfolio_report_data(demo, SCENARIO)
    chosen = data["tables"]["chosen"]["frame"]
    job, cal = calibration_of(demo, CALL)
    assert data["calibration_job"] == job
    assert list(chosen["Code"]) == [p["code"] for p in stored_result(demo)["proposals"] if p["chosen"]]
    for _, row in chosen.iterrows():
        c = cal[row["Code"]]
        assert row["Calibrated"] == pytest.approx(c["calibrated_total"])
        assert row["90% rank"] == f"{c['rank_low']:.0f}–{c['rank_high']:.0f}"
        assert row["P(funded)"] == pytest.approx(c["probability_funded"])


def test_the_workbook_has_one_sheet_per_table_and_money_as_numbers_that_add_up(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    result = stored_result(demo)
    wb = openpyxl.load_workbook(export_portfolio_report(demo, SCENARIO, tmp_path / "report.xlsx"))
    assert wb.sheetnames[:8] == ["Summary", "Scenario settings", "Spend by year", "Chosen proposals",
                                "Left out near the line", "Money by area", "Coverage met", "Caps met"]
    ws = wb["Chosen proposals"]
    header = [c.value for c in ws[1]]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["C"].width  # titles wider than phases
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result["chosen"])
    requested = header.index("Requested")
    assert isinstance(rows[0][requested], (int, float))
    assert ws.cell(2, requested + 1).number_format == '#,##0.00 "USD"'
    chosen = [p for p in result["proposals"] if p["chosen"]]
    assert sum(r[requested] for r in rows) == pytest.approx(sum(p["cost_total"] for p in chosen))
    for year in result["years"]:  # the chosen proposals' cost of each year is the year's spend beyond commitments
        column = header.index(f"FY{year}")
        assert sum(r[column] for r in rows) == pytest.approx(result["spend"][str(year)] - result["committed"][str(year)])
    years = {r[0]: r for r in wb["Spend by year"].iter_rows(min_row=2, values_only=True)}
    assert years[f"FY{result['years'][0]}"][1] == pytest.approx(result["budget"][str(result["years"][0])])


@needs_poppler
def test_a_decision_file_holds_the_reviews_their_totals_and_the_status_history(demo, tmp_path):
    from genesis_desktop.decisions.report_data import decision_file_data
    from genesis_desktop.decisions.reports import export_decision_file
    from genesis_desktop.portfolio.schema import Proposal, ProposalStatusChange, Review, Reviewer, ReviewState
    from genesis_desktop.review.rubric import DEFAULT_RUBRIC

    code, _ = _reviewed(demo, stored_result(demo)["chosen"])
    text = " ".join(pdf_pages(export_decision_file(demo, code, tmp_path / "decision.pdf")))
    assert f"Decision file: {code}" in text
    with demo.session() as s:
        reviews = s.execute(select(Reviewer.name, Review.scores).join(Review, Review.reviewer_id == Reviewer.id)
                            .join(Proposal, Proposal.id == Review.proposal_id)
                            .where(Proposal.code == code, Review.state == ReviewState.SUBMITTED)).all()
        history = s.execute(select(ProposalStatusChange.status, ProposalStatusChange.changed_by)
                            .join(Proposal, Proposal.id == ProposalStatusChange.proposal_id)
                            .where(Proposal.code == code)).all()
    assert len(reviews) >= 3 and history
    for name, scores in reviews:
        assert re.search(rf"{re.escape(name)} \S+ submitted( \d)+ {DEFAULT_RUBRIC.total(scores):.2f}", text), name
    for status, by in history:
        assert f"{status.value} " in text and by in text
    cal = decision_file_data(demo, code)["calibration"]
    assert f"{cal['calibrated_total']:.2f} ± {cal['calibrated_sd']:.2f}" in text
    assert f"{cal['rank_low']:.0f} to {cal['rank_high']:.0f}" in text and f"{cal['probability_funded']:.0%}" in text
    assert "Scenarios that chose it" in text and SCENARIO in text


@needs_poppler
def test_a_decision_file_shows_the_conflict_its_waiver_and_the_revision(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_decision_file

    code, (first, second) = _reviewed(demo, stored_result(demo)["chosen"])
    out = export_decision_file(demo, code, tmp_path / "decision.pdf")
    text = " ".join(pdf_pages(out))
    assert WAIVER in text and "B. Chair" in text and "Former co-author of the lead investigator" in text
    assert REVISION in text
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out), str(tmp_path / "page")], check=True)
    for png in sorted(tmp_path.glob("page-*.png")):
        body = (np.asarray(Image.open(png).convert("L")) < 200)[40:-40]
        assert body.mean() > 0.005, png.name


def test_an_unknown_or_unsolved_scenario_and_an_unknown_proposal_are_refused(demo, tmp_path):
    from genesis_desktop.decisions.report_data import ReportError
    from genesis_desktop.decisions.reports import export_decision_file, export_portfolio_report

    tmp_path = tmp_path / "out"  # beside the portfolio's copy: nothing may be written here
    tmp_path.mkdir()
    with pytest.raises(ReportError, match="no scenario named 'Nope'; known: Baseline, Draft"):
        export_portfolio_report(demo, "Nope", tmp_path / "r.pdf")
    with pytest.raises(ReportError, match="solve it first: genesis scenario solve Draft"):
        export_portfolio_report(demo, "Draft", tmp_path / "r.pdf")
    with pytest.raises(ReportError, match=r"unknown extension '\.docx'"):
        export_portfolio_report(demo, SCENARIO, tmp_path / "r.docx")
    with pytest.raises(ReportError, match="no proposal with the code 'P-9'"):
        export_decision_file(demo, "P-9", tmp_path / "d.pdf")
    assert not list(tmp_path.iterdir())


@needs_poppler
def test_the_robustness_shares_and_the_risk_summary_are_drawn_and_tabled(demo, tmp_path):
    from genesis_desktop.decisions.reports import export_portfolio_report

    result = stored_result(demo)
    rob, risk = result["robustness"], result["risk"]["summary"]
    text = " ".join(pdf_pages(export_portfolio_report(demo, SCENARIO, tmp_path / "report.pdf")))
    assert "Robustness: share of optimal portfolios" in text and "proposals, most robust first" in text
    assert f"Expected cost {int(round(risk['expected_cost'])):,}" in text
    assert f"Within all budgets (probability) {risk['p_within_all_budgets']:.1%}" in text
    wb = openpyxl.load_workbook(export_portfolio_report(demo, SCENARIO, tmp_path / "report.xlsx"))
    listed = {r[0]: r for r in wb["Robustness"].iter_rows(min_row=2, values_only=True)}
    assert set(listed) == set(rob["core"]) | set(rob["borderline"]) | set(result["chosen"])
    for code, row in listed.items():
        assert row[2] == pytest.approx(rob["share"][code])
        assert row[3] == ("core" if code in rob["core"] else "borderline" if code in rob["borderline"] else "exterior")
    amounts = {r[0]: r[1] for r in wb["Risk"].iter_rows(min_row=2, values_only=True)}
    assert amounts["Expected cost"] == pytest.approx(risk["expected_cost"])


def test_the_partners_ledger_and_the_cofunding_shares_come_from_their_modules(demo, tmp_path):
    from genesis_desktop.decisions.cofunding import check_cofunding
    from genesis_desktop.decisions.ledger import ledger
    from genesis_desktop.decisions.reports import export_portfolio_report

    wb = openpyxl.load_workbook(export_portfolio_report(demo, SCENARIO, tmp_path / "report.xlsx"))
    rows = ledger(demo, reporting_currency="USD")
    live = rows[rows["state"] != "cancelled"]
    partners = {r[0]: r for r in wb["Partners"].iter_rows(min_row=2, values_only=True)}
    assert set(partners) == set(live["partner"])
    assert sum(r[2] for r in partners.values()) == pytest.approx(live["pledged_reporting_minor"].sum() / 100)
    assert wb["Partners"].cell(2, 3).number_format == '#,##0.00 "USD"'
    checked = check_cofunding(demo)
    assert checked, "the demo records a co-funding agreement"
    sides = [(r[0], r[1], r[4]) for r in wb["Co-funding"].iter_rows(min_row=2, values_only=True)]
    assert sides == [(a["agreement"], side["name"], pytest.approx(float(side["shares"]["pledged"]["share"]) / 100))
                     for a in checked for side in a["sides"]]
