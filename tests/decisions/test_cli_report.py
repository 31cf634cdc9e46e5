"""`genesis report portfolio|decision`: the files it writes, its refusals (exit 2 with a message that says
what to do), and that it runs where Qt cannot be imported."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import openpyxl
import pytest

from genesis_desktop.cli import main

CALL = "DE-FOA-0003612"
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")


def solved(store) -> None:
    """Once a session: the call's default scenario solved, and a second one saved but not solved."""
    from genesis_desktop.decisions.scenarios import default_spec, save_scenario, solve_scenario

    spec = default_spec(store, CALL)
    save_scenario(store, "Baseline", spec, "A. Officer")
    save_scenario(store, "Draft", spec, "A. Officer")
    solve_scenario(store, "Baseline", "A. Officer")


@pytest.fixture
def db(demo_template, demo_copy):
    return f"sqlite:///{demo_copy(demo_template(400, then=solved))}"


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_portfolio_writes_a_pdf_or_a_workbook_by_the_extension(db, out, capsys):
    assert main(["--db", db, "report", "portfolio", "Baseline", "--out", str(out / "r.pdf")]) == 0
    assert (out / "r.pdf").read_bytes().startswith(b"%PDF-")
    assert f"wrote {out / 'r.pdf'}" in capsys.readouterr().err
    assert main(["--db", db, "report", "portfolio", "Baseline", "--out", str(out / "r.XLSX")]) == 0
    wb = openpyxl.load_workbook(out / "r.XLSX")
    assert wb["Summary"]["B1"].value == f"Portfolio report: Baseline — {CALL}"
    assert "Chosen proposals" in wb.sheetnames


@pytest.mark.parametrize("args, message", [
    (["portfolio", "Nope"], "genesis: no scenario named 'Nope'; known: Baseline, Draft"),
    (["portfolio", "Draft"], "solve it first: genesis scenario solve Draft"),
    (["decision", "P-9"], "genesis: no proposal with the code 'P-9'"),
])
def test_unknown_names_and_an_unsolved_scenario_exit_2_with_what_to_do(db, out, capsys, args, message):
    target = out / "r.pdf"
    assert main(["--db", db, "report", *args, "--out", str(target)]) == 2
    assert message in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.parametrize("args", [["portfolio", "Baseline"], ["decision", "P-000008"]])
def test_an_unknown_extension_exits_2_before_the_database_is_read(out, capsys, args):
    missing = f"sqlite:///{out / 'absent.sqlite'}"  # would be refused if it were opened
    assert main(["--db", missing, "report", *args, "--out", str(out / "r.docx")]) == 2
    assert "r.docx: unknown extension '.docx'; use .pdf or .xlsx" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_an_unwritable_file_exits_2(db, out, capsys):
    assert main(["--db", db, "report", "portfolio", "Baseline", "--out", str(out / "no" / "r.pdf")]) == 2
    assert f"cannot write {out / 'no' / 'r.pdf'}" in capsys.readouterr().err


def test_decision_writes_its_pdf_and_prints_its_data_as_json(db, out, capsys):
    assert main(["--db", db, "report", "decision", "P-000008", "--out", str(out / "d.pdf"), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["code"] == "P-000008" and data["title"] == "Decision file: P-000008"
    reviews = data["tables"]["reviews"]["frame"]
    assert reviews and all(r["State"] in ("submitted", "draft") for r in reviews)
    assert [h["Status"] for h in data["tables"]["history"]["frame"]][0] == "submitted"
    assert data["tables"]["scenarios"]["frame"][0]["Scenario"] == "Baseline"
    assert (out / "d.pdf").read_bytes().startswith(b"%PDF-")
    assert main(["--db", db, "report", "decision", "P-000008"]) == 2
    assert "give --out FILE.pdf|FILE.xlsx, --json, or both" in capsys.readouterr().err


def test_the_report_command_runs_where_qt_cannot_be_imported(db, out, tmp_path):
    for name in QT_MODULES:
        pkg = tmp_path / "no_qt" / name
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(f"raise ImportError('{name} is blocked: reports must not need Qt')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GENESIS_DB", "QT_QPA_PLATFORM", "DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path / "no_qt"), env.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "genesis_desktop", "--db", db, "report", "portfolio", "Baseline",
                          "--out", str(out / "r.pdf")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (out / "r.pdf").stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-l", "1", str(out / "r.pdf"), "-"], capture_output=True, text=True).stdout
        assert f"Portfolio report: Baseline — {CALL}" in text
