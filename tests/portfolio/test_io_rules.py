"""Every import rule, broken once: the problem names the row, column, value and rule, and nothing is written.

Each case edits one cell of an exported file of the realistic portfolio (tests/portfolio/conftest.py)
and imports it back. Files are sorted by natural key, so row 2 is the first key in order.
"""
from __future__ import annotations

import pandas as pd
import pytest

from genesis_desktop.portfolio.io import ImportFailed, export_frame, import_all, import_file
from genesis_desktop.portfolio.io.formats import write_table

KEYS = {"institutions": "code", "challenges": "code", "calls": "number", "partners": "code", "rates": "quote",
        "commitments": "code", "proposals": "code", "reviewers": "email", "reviews": "reviewer"}
CALL = "DE-FOA-0003612"

# (kind, key of the row to edit, column, new text, value the problem shows, column it names, words of the rule)
CASES = [
    # institutions
    ("institutions", "MIT", "kind", "college", "college", "kind", "must be one of: national_lab, university"),
    ("institutions", "MIT", "country", "us", "us", "country", "ISO 3166 alpha-2 country code"),
    ("institutions", "MIT", "country", "USA", "USA", "country", "ISO 3166 alpha-2 country code"),
    ("institutions", "MIT", "name", " ", "", "name", "a value is required"),
    ("institutions", "MIT", "code", "X" * 33, "X" * 33, "code", "longer than 32 characters"),
    ("institutions", "MIT", "code", "MIT;CSAIL", "MIT;CSAIL", "code", "a code cannot contain ';' or '='"),
    # challenges
    ("challenges", "GC-01", "lead_institution", "LBNL", "LBNL", "lead_institution",
     "unknown institution code: not in the database or in this import"),
    ("challenges", "GC-01", "status", "open", "open", "status", "must be one of: proposed, active, paused, closed"),
    ("challenges", "GC-01", "official", "yes", "yes", "official", "must be true or false"),
    ("challenges", "GC-01", "programme", "APOLLO", "APOLLO", "programme", "unknown programme code"),
    ("challenges", "GC-01", "code", "GC=01", "GC=01", "code", "a code cannot contain ';' or '='"),
    # calls
    ("calls", CALL, "currency", "USDD", "USDD", "currency", "must be an ISO 4217 currency code"),
    ("calls", CALL, "total_budget", "-5", "-5", "total_budget", "amount must not be negative"),
    ("calls", CALL, "total_budget", "12abc", "12abc", "total_budget", "amount must be a number"),
    ("calls", CALL, "total_budget", "1.005", "1.005", "total_budget", "USD has 2 decimal places"),
    ("calls", CALL, "opens_on", "2026-02-30", "2026-02-30", "opens_on", "must be a real date written YYYY-MM-DD"),
    ("calls", CALL, "opens_on", "03/17/2026", "03/17/2026", "opens_on", "must be a date written YYYY-MM-DD"),
    ("calls", CALL, "closes_on", "2026-01-01", "2026-01-01", "closes_on", "the call closes before it opens"),
    ("calls", CALL, "phases", "", "", "phases", "a value is required"),
    ("calls", CALL, "phases", "I; II; III=3", "III=3", "phases", "a phase name cannot contain '='"),
    ("calls", CALL, "phases", "I; II; PHASE-III", "PHASE-III", "phases", "a phase name has at most 8 characters"),
    ("calls", CALL, "award_floor", "I=500000.00", "II", "award_floor", "has no entry for this phase"),
    ("calls", CALL, "award_ceiling", "I=750000.00; II=3750000.50; III=1", "III=1", "award_ceiling",
     "names a phase that is not in this call's phases"),
    ("calls", CALL, "award_ceiling", "I=400000.00; II=3750000.50", "I", "award_ceiling",
     "this phase's award ceiling is below its award floor"),
    ("calls", CALL, "ceiling_per_year", "I=false; II=maybe", "II=maybe", "ceiling_per_year", "must be true or false"),
    ("calls", CALL, "duration_months", "I=0; II=36", "I=0", "duration_months", "must be a whole number of at least 1"),
    ("calls", CALL, "duration_months", "I=nine; II=36", "I=nine", "duration_months", "must be a whole number"),
    ("calls", CALL, "budget_period_end", "I=2026-06-30", "I", "budget_period_end", "ends before it starts"),
    ("calls", CALL, "deadline", "I=2026-04-28; I=2026-05-01", "I=2026-04-28", "deadline",
     "the same key is given more than once"),
    # a call changed under the proposals already stored
    ("calls", CALL, "currency", "EUR", "EUR", "currency", "conflicts with stored proposals in USD: 007-A, P-0001, P-0002"),
    ("calls", CALL, "phases", "I", "I", "phases", "conflicts with stored proposals in phase II, which this row leaves out: P-0002"),
    ("calls", CALL, "award_ceiling", "I=700000.00; II=3750000.50", "I=700000.00; II=3750000.50", "award_ceiling",
     "conflicts with stored phase I proposals that ask for more than this ceiling: 007-A, P-0001"),
    # partners
    ("partners", "JP", "kind", "government", "government", "kind", "must be one of: country, agency"),
    ("partners", "JP", "fiscal_calendar", "FY", "FY", "fiscal_calendar", "must be one of: US, JP, CAL"),
    ("partners", "NVIDIA", "institution", "NOPE", "NOPE", "institution", "unknown institution code"),
    ("partners", "NVIDIA", "code", "", "", "code", "a value is required"),
    # rates
    ("rates", "JPY", "rate", "0", "0", "rate", "must be a number above 0"),
    ("rates", "JPY", "rate", "-1.5", "-1.5", "rate", "must be a number above 0"),
    ("rates", "JPY", "rate", "abc", "abc", "rate", "must be a decimal number"),
    ("rates", "JPY", "rate", "1.00000000001", "1.00000000001", "rate", "at most 10 digits before and 10 after"),
    ("rates", "JPY", "quote", "USD", "USD", "quote", "the quote currency must differ from the base currency"),
    ("rates", "JPY", "base", "XXX", "XXX", "base", "ISO 4217"),
    ("rates", "JPY", "on", "2026-13-01", "2026-13-01", "on", "real date"),
    # commitments (JP-2026-Q is in yen, in Japan's fiscal years)
    ("commitments", "JP-2026-Q", "partner", "KR", "KR", "partner", "unknown partner code"),
    ("commitments", "JP-2026-Q", "state", "promised", "promised", "state", "must be one of: pledged, obligated"),
    ("commitments", "JP-2026-Q", "obligated", "FY2026=20000000000", "FY2026=20000000000", "obligated",
     "more is obligated than pledged in this fiscal year"),
    ("commitments", "JP-2026-Q", "obligated", "FY2026=5000000000; FY2028=1", "FY2028=1", "obligated",
     "nothing is pledged in this fiscal year"),
    ("commitments", "NV-2025-1", "disbursed", "FY2026=2000000.00", "FY2026=2000000.00", "disbursed",
     "more is disbursed than obligated in this fiscal year"),
    ("commitments", "JP-2026-Q", "obligated_on", "", "", "obligated_on",
     "a commitment in state obligated or disbursed needs obligated_on"),
    ("commitments", "NV-2025-1", "disbursed_on", "", "", "disbursed_on", "a commitment in state disbursed needs disbursed_on"),
    ("commitments", "JP-2026-Q", "obligated_on", "2026-01-01", "2026-01-01", "obligated_on", "obligated before it was pledged"),
    ("commitments", "NV-2025-1", "disbursed_on", "2026-01-01", "2026-01-01", "disbursed_on",
     "disbursed before it was obligated"),
    ("commitments", "JP-2026-Q", "pledged", "FY2026=1.5; FY2027=15000000000", "FY2026=1.5", "pledged",
     "JPY has 0 decimal places"),
    ("commitments", "JP-2026-Q", "pledged", "FY26=1", "FY26=1", "pledged", "fiscal year must look like FY2026"),
    ("commitments", "JP-2026-Q", "pledged", "", "", "pledged", "a value is required"),
    # proposals (row 2: 007-A, phase I; row 3: P-0001, phase I, lead ORNL; row 4: P-0002, phase II per year)
    ("proposals", "P-0001", "call", "DE-FOA-9", "DE-FOA-9", "call", "unknown call number"),
    ("proposals", "P-0001", "phase", "III", "III", "phase", f"not a phase of call {CALL} (its phases: I; II)"),
    ("proposals", "P-0001", "currency", "EUR", "EUR", "currency", f"must be the currency of call {CALL} (USD)"),
    ("proposals", "P-0001", "currency", "EURO", "EURO", "currency", "ISO 4217"),
    ("proposals", "P-0001", "team", "ORNL; MIT", "ORNL", "team", "the lead institution is not listed again in the team"),
    ("proposals", "P-0001", "team", "", "", "team", "a team spans at least 2 institutions"),
    ("proposals", "P-0001", "team", "MIT; MIT; ANL", "MIT", "team", "listed more than once"),
    ("proposals", "P-0001", "team", "LBNL", "LBNL", "team", "unknown institution code"),
    ("proposals", "P-0001", "lead_institution", "LBNL", "LBNL", "lead_institution", "unknown institution code"),
    ("proposals", "P-0001", "challenges", "GC-01; GC-99", "GC-99", "challenges", "unknown challenge code"),
    ("proposals", "P-0001", "challenges", "", "", "challenges", "a value is required"),
    ("proposals", "P-0001", "budget", "FY2026=300000.00; FY2028=400000.50", "FY2026=300000.00; FY2028=400000.50",
     "budget", "budget years must be consecutive fiscal years"),
    ("proposals", "P-0001", "budget", "FY2026=0; FY2027=700000", "FY2026=0", "budget", "budget amounts must be above 0"),
    ("proposals", "P-0001", "budget", "FY2026=800000.00", "FY2026=800000.00", "budget",
     "the budget's total 800000.00 USD is above the phase I award ceiling 750000.00 USD"),
    ("proposals", "P-0001", "budget", "FY2026=400000", "FY2026=400000", "budget",
     "the budget's total 400000.00 USD is below the phase I award floor 500000.00 USD"),
    ("proposals", "P-0002", "budget", "FY2027=2000000; FY2028=4000000; FY2029=3000000", "FY2028=4000000", "budget",
     "this year's amount 4000000.00 USD is above the phase II award ceiling 3750000.50 USD"),
    ("proposals", "P-0002", "budget", "FY2027=2000000; FY2028=1000000; FY2029=3000000", "FY2028=1000000", "budget",
     "this year's amount 1000000.00 USD is below the phase II award floor 1500000.00 USD"),
    ("proposals", "P-0001", "budget", "FY2026=abc", "FY2026=abc", "budget", "amount must be a number"),
    ("proposals", "P-0001", "budget", "FY2026=700000.001", "FY2026=700000.001", "budget", "USD has 2 decimal places"),
    ("proposals", "P-0001", "budget", "FY2026=-700000", "FY2026=-700000", "budget", "amount must not be negative"),
    ("proposals", "P-0001", "budget", "FY2026 700000", "FY2026 700000", "budget", "expected key=value entries"),
    ("proposals", "P-0001", "budget", "FY2026=1; FY2026=2", "FY2026=1", "budget", "the same key is given more than once"),
    ("proposals", "P-0001", "budget", "FY2026=", "FY2026=", "budget", "an entry has no value after '='"),
    ("proposals", "P-0001", "pi_email", "ada-at-ornl.gov", "ada-at-ornl.gov", "pi_email", "must be an email address"),
    ("proposals", "P-0001", "requested_gpu_hours", "1.5", "1.5", "requested_gpu_hours", "must be a whole number (0 or more)"),
    ("proposals", "P-0001", "requested_gpu_hours", "-3", "-3", "requested_gpu_hours", "must be a whole number"),
    ("proposals", "P-0001", "status", "accepted", "accepted", "status", "must be one of: submitted, under_review"),
    ("proposals", "P-0001", "status", "submitted", "submitted", "status", "cannot change from under_review to submitted"),
    ("proposals", "007-A", "status", "declined", "declined", "status", "cannot change from awarded to declined"),
    ("proposals", "P-0001", "submitted_on", "2026-4-20", "2026-4-20", "submitted_on", "must be a date written YYYY-MM-DD"),
    ("proposals", "P-0001", "status_changed_on", "yesterday", "yesterday", "status_changed_on", "YYYY-MM-DD"),
    ("proposals", "P-0001", "title", "", "", "title", "a value is required"),
    # reviewers
    ("reviewers", "grace@anl.gov", "email", "grace(at)anl.gov", "grace(at)anl.gov", "email", "must be an email address"),
    ("reviewers", "grace@anl.gov", "institution", "LBNL", "LBNL", "institution", "unknown institution code"),
    ("reviewers", "ken@u-tokyo.ac.jp", "partner_ties", "JP; KR", "KR", "partner_ties", "unknown partner code"),
    # reviews (row 2: grace's submitted review; row 3: ken's draft)
    ("reviews", "ken@u-tokyo.ac.jp", "proposal", "P-9999", "P-9999", "proposal", "unknown proposal code"),
    ("reviews", "ken@u-tokyo.ac.jp", "reviewer", "x@example.org", "x@example.org", "reviewer", "unknown reviewer email"),
    ("reviews", "ken@u-tokyo.ac.jp", "scores", "merit=4.5", "merit=4.5", "scores", "must be a whole number"),
    ("reviews", "ken@u-tokyo.ac.jp", "scores", "merit=-1", "merit=-1", "scores", "must be a whole number"),
    ("reviews", "ken@u-tokyo.ac.jp", "scores", "merit", "merit", "scores", "expected key=value entries"),
    ("reviews", "ken@u-tokyo.ac.jp", "scores", "=4", "=4", "scores", "an entry has no key before '='"),
    ("reviews", "ken@u-tokyo.ac.jp", "state", "final", "final", "state", "must be one of: draft, submitted"),
    ("reviews", "ken@u-tokyo.ac.jp", "state", "submitted", "", "submitted_at", "a submitted review needs submitted_at"),
    ("reviews", "ken@u-tokyo.ac.jp", "submitted_at", "2026-05-10T13:45:00", "2026-05-10T13:45:00", "submitted_at",
     "a draft review has no submitted_at"),
    ("reviews", "grace@anl.gov", "comments", "Changed my mind.", "submitted", "state", "submitted reviews are locked"),
    ("reviews", "grace@anl.gov", "submitted_at", "10/05/2026 13:45", "10/05/2026 13:45", "submitted_at",
     "must be a date and time written YYYY-MM-DDTHH:MM:SS"),
]


def _id(case):
    kind, key, column, new = case[:4]
    return f"{kind}-{column}-{new or 'blank'}"[:60]


def edited(store, kind, key, column, new) -> tuple[pd.DataFrame, int]:
    frame = export_frame(store, kind)
    at = frame.index[frame[KEYS[kind]] == key]
    assert len(at) == 1, (kind, key)
    frame.loc[at[0], column] = new
    return frame, int(at[0]) + 2  # CSV: the header is row 1


def failing(store, kind, frame, path, snapshot) -> list:
    before = snapshot(store)
    write_table(frame, path)
    with pytest.raises(ImportFailed) as e:
        import_file(store, kind, path)
    assert snapshot(store) == before, "a failed import changed the database"
    return e.value.problems


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rule(portfolio, tmp_path, snapshot, case):
    kind, key, column, new, shown, named, rule = case
    frame, row = edited(portfolio, kind, key, column, new)
    path = tmp_path / f"{kind}.csv"
    problems = failing(portfolio, kind, frame, path, snapshot)
    hits = [p for p in problems if p.column == named and rule in p.rule]
    assert hits, "\n".join(map(str, problems))
    p = hits[0]
    assert (p.file, p.row, p.value) == (str(path), row, shown), str(p)
    assert str(p) == f"{path}:{row}: column {named}: value {shown!r}: {p.rule}"


def test_missing_required_column_is_one_problem_on_the_header(portfolio, tmp_path, snapshot):
    frame = export_frame(portfolio, "proposals").drop(columns=["budget"])
    problems = failing(portfolio, "proposals", frame, tmp_path / "p.csv", snapshot)
    assert [(p.row, p.column, p.value, p.rule) for p in problems] == [
        (1, "budget", "", "required column is missing")]


def test_unknown_and_repeated_columns(portfolio, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_text("code,name,kind,country,Citty,name\nX1,X,university,US,Paris,Y\n")
    before = snapshot(portfolio)
    with pytest.raises(ImportFailed) as e:
        import_file(portfolio, "institutions", path)
    assert snapshot(portfolio) == before
    got = {(p.row, p.column, p.rule) for p in e.value.problems}
    assert got == {(1, "name", "this column appears more than once"),
                   (1, "Citty", "unknown column (did you mean city?)")}


def test_duplicate_keys_report_both_rows(portfolio, tmp_path, snapshot):
    frame = export_frame(portfolio, "proposals")
    frame.loc[2, "code"] = "P-0001"  # rows 3 and 4 now share a code
    problems = failing(portfolio, "proposals", frame, tmp_path / "p.csv", snapshot)
    dup = [(p.row, p.value, p.rule) for p in problems if p.column == "code"]
    assert dup == [(3, "P-0001", "proposal code given more than once in this file (rows 3, 4)"),
                   (4, "P-0001", "proposal code given more than once in this file (rows 3, 4)")]


def test_duplicate_composite_keys(portfolio, tmp_path, snapshot):
    frame = export_frame(portfolio, "rates")
    frame.loc[0, ["base", "quote"]] = ["USD", "JPY"]
    problems = failing(portfolio, "rates", frame, tmp_path / "r.csv", snapshot)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "base, quote, on", "USD / JPY / 2026-06-04"), (3, "base, quote, on", "USD / JPY / 2026-06-04")]


def test_every_problem_is_reported_not_only_the_first(portfolio, tmp_path, snapshot):
    frame = export_frame(portfolio, "proposals")
    frame["currency"] = "XYZ"
    frame["requested_gpu_hours"] = "many"
    problems = failing(portfolio, "proposals", frame, tmp_path / "p.csv", snapshot)
    assert sorted((p.row, p.column) for p in problems) == [
        (r, c) for r in (2, 3, 4) for c in ("currency", "requested_gpu_hours")]


def test_programme_defaults_and_must_exist(store, tmp_path, portfolio):
    """With no programme row, a challenge must name one; with one, a blank programme means that one."""
    import_file(store, "institutions", _export(portfolio, "institutions", tmp_path))
    path = _export(portfolio, "challenges", tmp_path, drop="programme")
    with pytest.raises(ImportFailed) as e:
        import_file(store, "challenges", path)
    assert {p.rule for p in e.value.problems} == {
        "there is no programme in the database: create it first (genesis init)"}
    assert len(e.value.problems) == 4


def test_partner_calendar_defaults_from_country(programme_store, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_text("code,name,kind,country\nJP,Japan,country,JP\nUS-DOE,DOE,agency,US\nDE,Germany,country,DE\n")
    import_file(programme_store, "partners", path)
    got = export_frame(programme_store, "partners").set_index("code")["fiscal_calendar"].to_dict()
    assert got == {"DE": "CAL", "JP": "JP", "US-DOE": "US"}


def test_references_may_come_from_the_same_import(programme_store, portfolio, tmp_path, snapshot):
    folder = tmp_path / "in"
    folder.mkdir()
    for kind in ("institutions", "calls", "challenges", "proposals"):
        _export(portfolio, kind, folder)
    reports = import_all(programme_store, folder)
    assert [(r.kind, r.created) for r in reports] == [
        ("institutions", 7), ("challenges", 4), ("calls", 1), ("proposals", 3)]


def test_call_and_its_proposals_change_together(portfolio, tmp_path):
    """Dropping phase II is fine when the same import moves the phase II proposal to phase I."""
    folder = tmp_path / "in"
    folder.mkdir()
    calls = export_frame(portfolio, "calls")
    calls.loc[0, ["phases", "award_floor", "award_ceiling", "ceiling_per_year", "duration_months", "deadline"]] = [
        "I", "I=500000.00", "I=750000.00", "I=false", "I=9", "I=2026-04-28"]
    write_table(calls, folder / "calls.csv")
    props = export_frame(portfolio, "proposals")
    props.loc[props["code"] == "P-0002", ["phase", "budget"]] = ["I", "FY2027=600000.00"]
    write_table(props, folder / "proposals.json")
    import_all(portfolio, folder)
    assert export_frame(portfolio, "calls").loc[0, "phases"] == "I"


@pytest.mark.parametrize("fmt,row", [("xlsx", 3), ("json", 2), ("parquet", 2)])
def test_row_numbers_per_format(portfolio, tmp_path, snapshot, fmt, row):
    """CSV and XLSX count the header as row 1; JSON and Parquet number records from 1."""
    frame, _ = edited(portfolio, "proposals", "P-0001", "currency", "YEN")
    problems = failing(portfolio, "proposals", frame, tmp_path / f"proposals.{fmt}", snapshot)
    assert [(p.row, p.column, p.value) for p in problems] == [(row, "currency", "YEN")]


def test_missing_column_in_json_names_the_header(portfolio, tmp_path, snapshot):
    frame = export_frame(portfolio, "institutions").drop(columns=["kind"])
    problems = failing(portfolio, "institutions", frame, tmp_path / "institutions.json", snapshot)
    assert [(p.row, p.column) for p in problems] == [(None, "kind")]
    assert str(problems[0]).endswith(":header: column kind: value '': required column is missing")


def _export(store, kind, folder, drop=None):
    frame = export_frame(store, kind)
    if drop:
        frame = frame.drop(columns=[drop])
    path = folder / f"{kind}.csv"
    write_table(frame, path)
    return path
