"""`genesis ledger ...` end to end on a real SQLite demo portfolio, through cli.main as the command runs it:
show, history, record (exit 2 and nothing written when refused), rates and cofunding, text and JSON."""
from __future__ import annotations

import json
import sqlite3

import pytest

from genesis_desktop.decisions.cofunding import check_cofunding
from genesis_desktop.decisions.ledger import rate_differences
from genesis_desktop.portfolio.store import open_store, sqlite_path


@pytest.fixture
def db(demo_template, demo_copy):
    return f"sqlite:///{demo_copy(demo_template(0))}"


def _rows(db: str, table: str) -> list[tuple]:
    con = sqlite3.connect(sqlite_path(db))
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        con.close()


def test_show_lists_each_year_in_both_currencies(genesis, db):
    code, out, err = genesis("--db", db, "ledger", "show", "--json")
    assert code == 0, err
    rows = json.loads(out)
    row = next(r for r in rows if r["commitment"] == "JP-MEXT-QUANTUM" and r["fiscal_year"] == 2026)
    assert (row["disbursed_minor"], row["disbursed_reporting_minor"]) == (3_500_000_000, 23_890_784_98)
    assert (row["rate"], row["rate_on"], row["rate_value"]) == ("1 USD = 146.5 JPY (2026-06-01)", "2026-06-01", "146.5")
    assert len(rows) == 30 and {r["reporting_currency"] for r in rows} == {"USD"}
    code, out, _ = genesis("--db", db, "ledger", "show", "--partner", "MEXT")
    assert code == 0 and len(out.splitlines()) == 10 and all(line.startswith("MEXT") for line in out.splitlines())
    assert "disbursed 3,500,000,000 JPY" in out and "at 1 USD = 146.5 JPY (2026-06-01)" in out
    code, _, err = genesis("--db", db, "ledger", "show", "--partner", "NOPE")
    assert code == 2 and "partner 'NOPE': no such partner" in err


def test_record_then_history_and_a_refusal_that_writes_nothing(genesis, db):
    code, out, err = genesis("--db", db, "ledger", "record", "US-DOE-BIO", "FY2026", "obligated", "5000000.00",
                             "--on", "2026-12-01", "--by", "R. Alvarez", "--json")
    assert code == 0, err
    assert json.loads(out)["obligated_minor"] == 5_000_000_00
    code, out, _ = genesis("--db", db, "ledger", "history", "US-DOE-BIO", "--json")
    last = json.loads(out)[-1]
    assert (last["kind"], last["amount"], last["on"], last["recorded_by"], last["reason"]) == (
        "obligated", "5000000.00", "2026-12-01", "R. Alvarez", "")
    before = _rows(db, "commitment_entry"), _rows(db, "commitment_year")
    code, _, err = genesis("--db", db, "ledger", "record", "US-DOE-BIO", "FY2026", "obligated", "-1000000.00",
                           "--on", "2026-12-02", "--by", "R. Alvarez")
    assert code == 2
    assert err.strip() == ("genesis: commitment US-DOE-BIO, FY2026: reason '': an amendment (a negative amount, or "
                           "a change to a year that already has obligated money) needs a reason; nothing was recorded")
    code, _, err = genesis("--db", db, "ledger", "record", "US-DOE-BIO", "FY2026", "disbursed", "6000000",
                           "--on", "2026-12-02", "--by", "R. Alvarez")
    assert code == 2 and "more than the 5,000,000.00 USD obligated" in err
    code, _, err = genesis("--db", db, "ledger", "record", "US-DOE-BIO", "FY2026", "disbursed", "1",
                           "--on", "2 Dec", "--by", "R. Alvarez")
    assert code == 2 and "--on '2 Dec'" in err
    assert (_rows(db, "commitment_entry"), _rows(db, "commitment_year")) == before
    code, out, _ = genesis("--db", db, "ledger", "record", "US-DOE-BIO", "FY2026", "obligated", "-1000000.00",
                           "--on", "2026-12-02", "--by", "R. Alvarez", "--reason", "scope cut")
    assert code == 0 and "obligated 4,000,000.00" in out
    code, out, _ = genesis("--db", db, "ledger", "history", "US-DOE-BIO")
    last = out.splitlines()[-1]
    assert last.startswith("2026-12-02  FY2026 obligated") and "-1,000,000.00 USD  by R. Alvarez at " in last
    assert last.endswith(": scope cut")


def test_rates_and_cofunding_print_what_the_modules_compute(genesis, db):
    code, out, _ = genesis("--db", db, "ledger", "rates", "--json")
    store = open_store(db)
    try:
        assert code == 0 and json.loads(out) == rate_differences(store)
        code, cof, _ = genesis("--db", db, "ledger", "cofunding", "--json")
        assert code == 0 and json.loads(cof) == check_cofunding(store)
    finally:
        store.close()
    code, out, _ = genesis("--db", db, "ledger", "rates")
    assert ("JP-MEXT-QUANTUM    2026-11-10  1,500,000,000 JPY: 10,238,907.85 USD at the pledge day, 9,541,984.73 USD "
            "when paid, difference -696,923.12 USD") in out
    assert out.splitlines()[-1] == ("all disbursements: 43,581,911.26 USD at the pledge days, 41,587,128.36 USD when "
                                    "paid, difference -1,994,782.90 USD")
    code, out, _ = genesis("--db", db, "ledger", "cofunding")
    assert code == 0 and out.splitlines()[0] == (
        "US-Japan Genesis partnership 2026-06-04 (in USD, tolerance 1 percentage point):")
    assert "  Japan's pledges are 50.0% against an agreed 50% (tolerance 1 point): within." in out.splitlines()


def test_a_missing_rate_is_bad_input(genesis, db):
    code, _, err = genesis("--db", db, "ledger", "rates", "--currency", "EUR")
    assert code == 2 and err.strip() == "genesis: no USD/EUR exchange rate on or before 2026-06-04"
