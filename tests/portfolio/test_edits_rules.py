"""A record typed by hand is accepted or refused exactly as the same row in an import file, in the
same words: each case puts one bad value in a record, validates it as an edit, then imports the same
row from a CSV file, and compares (column, value, rule) of every problem."""
from __future__ import annotations


import pandas as pd
import pytest

from genesis_desktop.portfolio import edits
from genesis_desktop.portfolio.io import ImportFailed, import_file
from genesis_desktop.portfolio.io.formats import write_table

CALL = "DE-FOA-0003612"
# (kind, code of the stored record to edit, field, bad text)
CASES = [
    ("institution", "MIT", "kind", "college"),
    ("institution", "MIT", "country", "us"),
    ("institution", "MIT", "name", " "),
    ("challenge", "GC-01", "lead_institution", "LBNL"),
    ("challenge", "GC-01", "status", "open"),
    ("challenge", "GC-01", "official", "yes"),
    ("call", CALL, "total_budget", "1.005"),
    ("call", CALL, "closes_on", "2026-01-01"),
    ("call", CALL, "award_ceiling", "I=400000.00; II=3750000.50"),
    ("call", CALL, "duration_months", "I=0; II=36"),
    ("call", CALL, "currency", "EUR"),  # conflicts with the proposals already filed under the call
    ("partner", "JP", "fiscal_calendar", "FY"),
    ("partner", "NVIDIA", "institution", "NOPE"),
    ("commitment", "JP-2026-Q", "obligated", "FY2026=20000000000"),
    ("commitment", "JP-2026-Q", "pledged", "FY2026=1.5; FY2027=15000000000"),
    ("commitment", "NV-2025-1", "disbursed_on", ""),
    ("proposal", "P-0001", "phase", "III"),
    ("proposal", "P-0001", "team", "ORNL; MIT"),
    ("proposal", "P-0001", "budget", "FY2026=300000.00; FY2028=400000.50"),
    ("proposal", "P-0001", "budget", "FY2026=800000.00"),
    ("proposal", "P-0002", "budget", "FY2027=2000000; FY2028=4000000; FY2029=3000000"),
    ("proposal", "P-0001", "status", "submitted"),
    ("proposal", "P-0001", "pi_email", "ada-at-ornl.gov"),
]


def _imported_problems(store, kind: str, row: dict[str, str], path) -> set[tuple[str, str, str]]:
    write_table(pd.DataFrame([row], dtype="str"), path)
    with pytest.raises(ImportFailed) as failed:
        import_file(store, edits.KINDS[kind].io_name, path)
    return {(p.column, p.value, p.rule) for p in failed.value.problems}


@pytest.mark.parametrize("kind, code, field, text", CASES)
def test_an_edit_is_refused_as_the_same_row_of_a_file(portfolio, snapshot, tmp_path, kind, code, field, text):
    row = {**edits.read(portfolio, kind, code), field: text}
    by_hand = {(p.field, p.value, p.rule) for p in edits.validate(portfolio, kind, row, code=code)}
    assert by_hand  # every case breaks a rule
    before = snapshot(portfolio)
    assert by_hand == _imported_problems(portfolio, kind, row, tmp_path / f"{kind}.csv")
    with pytest.raises(edits.EditRefused):
        edits.update(portfolio, kind, code, row)
    assert snapshot(portfolio) == before


def test_a_new_record_is_refused_as_a_new_row_of_a_file(portfolio, tmp_path):
    row = {**edits.blank("proposal"), "code": "P-0100", "call": CALL, "phase": "I", "title": "Too small",
           "lead_institution": "ANL", "team": "ANL", "principal_investigator": "Lin Wu", "challenges": "GC-01",
           "currency": "USD", "budget": "FY2026=1000.00; FY2027=abc"}
    by_hand = {(p.field, p.value, p.rule) for p in edits.validate(portfolio, "proposal", row)}
    assert {f for f, _, _ in by_hand} == {"team", "budget"}
    assert by_hand == _imported_problems(portfolio, "proposal", row, tmp_path / "proposals.csv")


def test_a_valid_edit_is_accepted_as_the_same_row_of_a_file(portfolio, snapshot, templates, copy_of, tmp_path):
    row = {**edits.read(portfolio, "proposal", "P-0001"), "title": "Grid forecasts", "budget": "FY2026=600000.00"}
    assert edits.validate(portfolio, "proposal", row, code="P-0001") == []
    edits.update(portfolio, "proposal", "P-0001", row)
    by_hand = snapshot(portfolio)
    # The same row imported into a fresh copy of the portfolio leaves the same records.
    other = copy_of(templates["portfolio"], "copy")
    write_table(pd.DataFrame([row], dtype="str"), tmp_path / "proposals.csv")
    import_file(other, "proposals", tmp_path / "proposals.csv")
    assert snapshot(other) == by_hand
