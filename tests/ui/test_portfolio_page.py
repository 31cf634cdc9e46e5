"""The Portfolio view on a copy of the demo portfolio: solving on the writer, forcing, infeasible
constraints in words, comparing scenarios, risk and robustness through the real local runner, exports."""
from __future__ import annotations

import html
import shutil
import subprocess
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.decisions import scenarios
from genesis_desktop.decisions.report_data import portfolio_report_data
from genesis_desktop.decisions.selection import Infeasible
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.ui.app import save_png

CALL = "DE-FOA-0003612"
DEFAULT = f"{CALL} default"
RISK_OPTIONS = {"scenarios": 65_536, "block_size": 16_384}  # a quick run: four blocks


@pytest.fixture
def demo_store(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(400))}")
    yield store
    store.close()


@pytest.fixture
def open_page(open_view, demo_store):
    from genesis_desktop.ui.portfolio_page import PortfolioPage

    return lambda: open_view(PortfolioPage, demo_store, (1240, 800))


def read_again(page, qtbot, act, timeout=20_000):
    """Do `act()`, then wait until the page has read the records again and its writes are done."""
    before = page.state
    act()
    qtbot.waitUntil(lambda: page.state is not before and not page.desk.writing and not page.desk.busy,
                    timeout=timeout)
    return page.state


def solved(page, qtbot, spec=None) -> dict:
    state = read_again(page, qtbot, lambda: page.solve(spec))
    assert state.result is not None, page.summary.text()
    return state.result


def test_the_page_shows_the_calls_default_scenario_and_solve_fills_the_table_and_charts(open_page, qtbot,
                                                                                       demo_store, monkeypatch):
    page = open_page()
    st = page.state
    assert (st.call, st.name, st.saved, st.result) == (CALL, DEFAULT, False, None)
    assert st.spec["budgets"] == scenarios.default_spec(demo_store, CALL).to_json()["budgets"]
    assert page.model.rowCount() == 0 and page.spend_chart.is_empty and page.merit_chart.is_empty
    assert "not solved yet" in page.summary.text()
    assert not page.buttons["risk"].isEnabled() and not page.buttons["export"].isEnabled()
    # The solve runs on the desk's one writer thread, never on the GUI thread.
    threads = []
    real = scenarios.solve_scenario
    monkeypatch.setattr(scenarios, "solve_scenario",
                        lambda *a, **k: threads.append(threading.get_ident()) or real(*a, **k))
    result = solved(page, qtbot)
    assert threads == [page.desk.writer.thread_ident] != [threading.get_ident()]
    assert page.state.saved and scenarios.load_scenario(demo_store, DEFAULT)[1]["chosen"] == result["chosen"]
    assert page.model.rowCount() == len(result["proposals"])
    assert sorted(page.model.chosen_codes()) == sorted(result["chosen"]) and result["chosen"]
    merit = page.merit_chart
    assert int(merit.chosen.sum()) == len(result["chosen"]) and len(merit.codes) == len(result["proposals"])
    lowest = min(p["merit"] for p in result["proposals"] if p["chosen"])
    assert merit.marginal == pytest.approx(lowest) and merit.line.value() == pytest.approx(lowest)
    spend = page.spend_chart
    assert spend.years == result["years"] and not spend.is_empty
    assert spend.chosen + spend.committed == pytest.approx([result["spend"][str(y)] for y in result["years"]])
    assert f"{len(result['chosen'])} of {len(result['proposals'])} proposals chosen" in page.summary.text()
    assert page.buttons["risk"].isEnabled() and page.buttons["export"].isEnabled()
    # Chosen rows are tinted; the table sorts by any column.
    tinted = [page.model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
              for r in range(page.model.rowCount())]
    assert tinted == page.model.raw_column("chosen")
    page.table.sortByColumn(page.model.column_of("cost_total"), Qt.SortOrder.AscendingOrder)
    costs = page.model.raw_column("cost_total")
    assert costs == sorted(costs)


def test_forcing_a_chosen_proposal_out_and_solving_again_drops_it(open_page, qtbot, demo_store):
    page = open_page()
    first = solved(page, qtbot)
    code = first["chosen"][0]
    row = page.model.row_of(code)
    page.table.selectRow(row)
    assert page.detail.text().startswith(f"{code} — ") and page.detail.text().endswith(": chosen")
    result = read_again(page, qtbot, lambda: page.force(code, "out")).result
    assert result is not None and code not in result["chosen"]
    spec, stored = scenarios.load_scenario(demo_store, DEFAULT)
    assert spec.forced_out == [code] and stored["chosen"] == result["chosen"]
    row = page.model.row_of(code)
    assert page.model.raw_column("forced")[row] == "out" and not page.model.raw_column("chosen")[row]
    index = page.model.index(row, page.model.column_of("title"))
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Not chosen: forced out by the scenario"
    result = read_again(page, qtbot, lambda: page.force(code, None)).result
    assert scenarios.load_scenario(demo_store, DEFAULT)[0].forced_out == [] and code in result["chosen"]


def test_a_budget_below_the_committed_money_shows_why_in_words(open_page, qtbot, demo_store):
    page = open_page()
    editor = page.constraints
    editor.budgets.set_rows([["2026", "-5"]])
    editor.apply_button.click()  # refused by the spec's own check, next to the budgets
    assert editor.error_text()["budgets"] == "budgets.2026: -5 must be a number >= 0"
    assert set(editor.error_text()) == {"budgets"} and page.state.result is None and not page.desk.writing
    editor.budgets.set_rows([[str(y), "1"] for y in (2026, 2027, 2028, 2029)])
    read_again(page, qtbot, editor.apply_button.click)
    assert editor.error_text() == {}
    spec, stored = scenarios.load_scenario(demo_store, DEFAULT)
    assert stored is None and spec.budgets == {2026: 1.0, 2027: 1.0, 2028: 1.0, 2029: 1.0}
    with pytest.raises(Infeasible) as refused:
        scenarios.solve_scenario(demo_store, DEFAULT, "test")
    shown = page.summary.text()
    assert "No selection meets these constraints" in shown and "Traceback" not in shown
    assert refused.value.reasons and all(html.escape(r) in shown for r in refused.value.reasons)
    assert page.spend_chart.is_empty and page.buttons["solve"].isEnabled()


def test_a_code_the_records_do_not_know_is_refused_next_to_its_field(open_page, qtbot, demo_store):
    page = open_page()
    page.constraints.caps.set_rows([["lab", "NOPE", "5000000", ""]])
    read_again(page, qtbot, page.buttons["solve"].click)  # Solve takes the form as it is
    shown = page.constraints.error_text()
    assert list(shown) == ["caps"] and shown["caps"].startswith("caps[0].key: 'NOPE' is not an institution code")
    assert "Could not solve:" in page.summary.text() and page.state.result is None
    assert scenarios.list_scenarios(demo_store, CALL) == []  # refused before anything was written


def test_a_second_scenario_saved_and_compared_lists_the_proposals_that_differ(open_page, qtbot, demo_store):
    page = open_page()
    solved(page, qtbot)
    tight = {year: 0.7 * amount for year, amount in page.state.spec["budgets"].items()}
    page.constraints.budgets.set_rows([[y, a] for y, a in tight.items()])
    state = read_again(page, qtbot, lambda: page.save_as("tight"))
    assert state.name == "tight" and state.saved and state.result is None
    assert page.bar.scenario == "tight" and {s["name"] for s in state.scenarios} == {DEFAULT, "tight"}
    solved(page, qtbot)
    compare = page.compare
    assert compare.checked() == [DEFAULT, "tight"] and compare.compare_button.isEnabled()
    compare.compare_button.click()
    qtbot.waitUntil(lambda: compare.result is not None, timeout=10_000)
    expected = scenarios.compare_scenarios(demo_store, [DEFAULT, "tight"])
    codes = [d["code"] for d in expected["differing"]]
    assert codes and [compare.differing_table.item(r, 0).text() for r in range(compare.differing_table.rowCount())] \
        == codes
    first = expected["differing"][0]
    cells = [compare.differing_table.item(0, 2 + i).text() for i in range(2)]
    assert cells == ["chosen" if n in first["chosen_in"] else "" for n in (DEFAULT, "tight")]
    assert [compare.scenarios_table.item(r, 2).text() for r in range(2)] == \
        [str(s["count"]) for s in expected["scenarios"]]
    assert f"{len(codes)} chosen in some but not all" in compare.message.text()
    # Deleting the second scenario shows the call's first again.
    state = read_again(page, qtbot, lambda: page.delete_scenario("tight"))
    assert state.name == DEFAULT and [s["name"] for s in state.scenarios] == [DEFAULT]


def test_run_risk_is_a_compute_job_the_compute_view_lists_and_its_summary_is_shown(open_page, qtbot, demo_store):
    from genesis_desktop.ui.compute_page import ComputePage

    page = open_page()
    compute = ComputePage(page.desk)
    qtbot.addWidget(compute)
    compute.reload()
    qtbot.waitUntil(lambda: compute.is_loaded, timeout=10_000)
    solved(page, qtbot)
    page.run_risk(**RISK_OPTIONS)
    qtbot.waitUntil(lambda: bool(page.runs.jobs), timeout=15_000)
    (job_id,) = page.runs.jobs
    assert f"Risk job {job_id} running" in page.summary.text() and not page.buttons["risk"].isEnabled()
    qtbot.waitUntil(lambda: job_id in compute.jobs.model.raw_column("id"), timeout=10_000)
    qtbot.waitUntil(lambda: page.risk_label.isVisible(), timeout=60_000)
    record = JobStore(demo_store.engine).get(job_id)
    assert record.state is JobState.COMPLETED and record.spec.kernel == "risk"
    risk = scenarios.load_scenario(demo_store, DEFAULT)[1]["risk"]
    assert risk["job"] == job_id and risk["summary"]["scenarios"] == RISK_OPTIONS["scenarios"]
    text = page.risk_label.text()
    assert text.startswith(f"Risk (job {job_id}, 65,536 scenarios): expected cost USD ")
    assert "expected shortfall (CVaR 95%) USD " in text and "chance of staying within every year's budget" in text
    assert f"{risk['summary']['p_within_all_budgets']:.0%}" in text and page.buttons["risk"].isEnabled()
    compute.shutdown()


def test_robustness_runs_as_a_job_and_fills_the_robustness_column(open_page, qtbot, demo_store):
    page = open_page()
    solved(page, qtbot)
    column = page.model.column_of("robustness")
    assert page.table.isColumnHidden(column)
    page.run_robustness(draws=50)
    qtbot.waitUntil(lambda: bool((page.state.result or {}).get("robustness")), timeout=90_000)
    stored = scenarios.load_scenario(demo_store, DEFAULT)[1]["robustness"]
    assert stored["draws"] == 50 and not page.table.isColumnHidden(column)
    shares = dict(zip(page.model.raw_column("code"), page.model.raw_column("robustness")))
    assert all(shares[c] == pytest.approx(s) for c, s in stored["share"].items())
    texts = dict(zip(page.model.raw_column("code"), page.model.text_column("robustness")))
    assert all(texts[c].endswith(" core") for c in stored["core"])


def test_export_writes_the_report_and_a_decision_file(open_page, qtbot, demo_store, tmp_path):
    page = open_page()
    result = solved(page, qtbot)
    with qtbot.waitSignal(page.runs.exported, timeout=30_000) as written:
        page.runs.export_report(DEFAULT, str(tmp_path / "report.pdf"))
    assert written.args == [str(tmp_path / "report.pdf")] and "Written to" in page.summary.text()
    with qtbot.waitSignal(page.runs.exported, timeout=30_000):
        page.runs.export_decision_file(result["chosen"][0], str(tmp_path / "decision.xlsx"))
    assert (tmp_path / "decision.xlsx").stat().st_size > 0
    with qtbot.waitSignal(page.runs.said, timeout=10_000) as said:  # a format the reports do not know
        page.runs.export_report(DEFAULT, str(tmp_path / "report.docx"))
    assert said.args[0].startswith("<b>Not exported:</b>") and ".docx" in said.args[0]
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed: the PDF's text is not checked")
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    title = portfolio_report_data(demo_store, DEFAULT)["title"]
    assert " ".join(title.split()) in " ".join(text.split())


def test_the_page_renders_readably_in_light_and_dark(open_page, qtbot, qapp, tmp_path):
    from genesis_desktop.ui.theme import choose_theme

    page = open_page()
    solved(page, qtbot)
    shots = {}
    for scheme in ("light", "dark"):
        choose_theme(qapp, scheme)
        qapp.processEvents()
        assert page.spend_chart.theme.dark == (scheme == "dark") == page.merit_chart.theme.dark
        image = QImage(str(save_png(page, tmp_path / f"{scheme}.png")))
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
        assert len(colours) > 20, f"the {scheme} rendering is (nearly) one colour"
        shots[scheme] = image.pixelColor(5, image.height() // 2).lightness()
    assert shots["dark"] < shots["light"]
