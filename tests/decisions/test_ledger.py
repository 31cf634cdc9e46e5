"""The investments ledger (decisions/ledger.py) on real SQLite files: totals in both currencies at dated
rates, to the minor unit; amendments kept with who, when and why; refusals that leave every table as it
was; the rate difference of a disbursement worked out by hand; and the entries still adding up to the
totals after each path that writes totals (opening entries, the demo, the import, the record editor)."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlalchemy import text

from genesis_desktop.decisions import ledger as L
from genesis_desktop.decisions.ledger import LedgerError, check_ledger, history, ledger, rate_differences, record_entry
from genesis_desktop.portfolio import demo_ledger, edits
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.demo_facts import load
from genesis_desktop.portfolio.io import import_file
from genesis_desktop.portfolio.money import Money
from genesis_desktop.portfolio.schema import (
    Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner, PartnerKind, Programme, metadata,
)
from genesis_desktop.portfolio.store import open_store, sqlite_path

PLEDGED_ON = date(2026, 6, 4)
RATES = {date(2026, 6, 1): "146.50", date(2026, 10, 1): "154.90", date(2026, 11, 1): "157.20"}


def dump(store) -> dict[str, list]:
    """Every value of every row by primary key, read with sqlite3 (what is on disk), without the records'
    versions: an undo writes the old values back under a new version (tests/portfolio/test_versions.py)."""
    con = sqlite3.connect(sqlite_path(store.url))
    try:
        return {t.name: con.execute(
                    f'SELECT {", ".join(chr(34) + c.name + chr(34) for c in t.c if c.name != "version")} '
                    f'FROM "{t.name}" ORDER BY {", ".join(chr(34) + c.name + chr(34) for c in t.primary_key.columns)}'
                ).fetchall() for t in metadata.sorted_tables}
    finally:
        con.close()


def usd(major: str) -> int:
    return int(Decimal(major) * 100)


def by_hand(jpy: int, rate: str) -> int:
    """JPY to USD cents at `rate` yen per dollar, rounded half-even: the arithmetic written out."""
    return int((Decimal(jpy) / Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) * 100)


def build(store, *, with_entries: bool = True) -> None:
    """DOE pledges USD, MEXT pledges JPY (both on 4 June 2026), a cancelled USD commitment, three rates."""
    with store.session() as s, s.begin():
        s.add(Programme(code="GENESIS", name="Genesis", reporting_currency="USD"))
        doe = Partner(code="DOE", name="DOE", kind=PartnerKind.AGENCY, country="US", fiscal_calendar="US",
                      agreement="A")
        mext = Partner(code="MEXT", name="MEXT", kind=PartnerKind.AGENCY, country="JP", fiscal_calendar="JP",
                       agreement="A")
        s.add_all([ExchangeRate(base="USD", quote="JPY", on=d, rate=Decimal(r), source="test")
                   for d, r in RATES.items()])
        us = Commitment(code="US-Q", partner=doe, title="Quantum", currency="USD", state=CommitmentState.DISBURSED,
                        pledged_on=PLEDGED_ON, obligated_on=date(2026, 8, 14), disbursed_on=date(2026, 9, 30))
        us.years = [CommitmentYear(fiscal_year=2026, pledged_minor=usd("40000000"), obligated_minor=usd("40000000"),
                                   disbursed_minor=usd("12000000")),
                    CommitmentYear(fiscal_year=2027, pledged_minor=usd("40000000.01"))]
        jp = Commitment(code="JP-Q", partner=mext, title="Quantum", currency="JPY", state=CommitmentState.OBLIGATED,
                        pledged_on=PLEDGED_ON, obligated_on=date(2026, 7, 1))
        jp.years = [CommitmentYear(fiscal_year=2026, pledged_minor=5_860_000_000, obligated_minor=5_860_000_000)]
        gone = Commitment(code="US-X", partner=doe, title="Dropped", currency="USD", state=CommitmentState.CANCELLED,
                          pledged_on=PLEDGED_ON)
        gone.years = [CommitmentYear(fiscal_year=2026, pledged_minor=usd("1000"))]
        s.add_all([us, jp, gone])
        if with_entries:
            for c in (us, jp, gone):
                L.opening_entries(s, c, "setup", at=datetime(2026, 6, 4, 9))


@pytest.fixture
def small(store):
    build(store)
    return store


def test_opening_entries_match_the_totals_once(small):
    assert check_ledger(small) == []
    entries = dump(small)["commitment_entry"]
    assert len(entries) == 7  # US-Q FY2026 x3 and FY2027 pledged, JP-Q pledged and obligated, US-X pledged
    assert {(e[3], e[5]) for e in entries if e[1] == 1} == {("pledged", "2026-06-04"), ("obligated", "2026-08-14"),
                                                          ("disbursed", "2026-09-30")}
    with small.session() as s, s.begin():
        again = L.opening_entries(s, s.get(Commitment, 1), "setup")
    assert again == 0 and len(dump(small)["commitment_entry"]) == 7


def test_ledger_in_both_currencies_at_the_pledge_day_rate(small):
    record_entry(small, "JP-Q", 2026, "disbursed", "1500000000", date(2026, 11, 10), "H. Sato")
    df = ledger(small).set_index(["commitment", "fiscal_year"])
    jp = df.loc[("JP-Q", 2026)]
    assert (jp["pledged_minor"], jp["obligated_minor"], jp["disbursed_minor"]) == (5_860_000_000, 5_860_000_000,
                                                                                   1_500_000_000)
    # Every JPY figure at the pledge day's rate (4 June: the 1 June rate), whatever day it was paid.
    assert jp["pledged_reporting_minor"] == by_hand(5_860_000_000, "146.50") == 40_000_000_00
    assert jp["disbursed_reporting_minor"] == by_hand(1_500_000_000, "146.50") == 10_238_907_85
    assert (jp["rate"], jp["rate_on"], jp["rate_value"]) == ("1 USD = 146.5 JPY (2026-06-01)", date(2026, 6, 1),
                                                             Decimal("146.5"))
    us = df.loc[("US-Q", 2027)]
    assert us["pledged_minor"] == us["pledged_reporting_minor"] == 40_000_000_01 and us["rate"] == ""
    assert df.loc[("US-X", 2026)]["state"] == "cancelled"  # listed, with its state
    in_yen = ledger(small, reporting_currency="JPY").set_index(["commitment", "fiscal_year"])
    assert in_yen.loc[("US-Q", 2027)]["pledged_reporting_minor"] == 5_860_000_001  # 40,000,000.01 x 146.5, half-even
    assert list(ledger(small, partner_code="MEXT")["commitment"]) == ["JP-Q"]
    with pytest.raises(LedgerError, match="no such partner"):
        ledger(small, partner_code="NOPE")


def test_a_pledge_creates_its_year_and_the_totals_come_back(small):
    t = record_entry(small, "US-Q", "FY2028", "pledged", Money(usd("25000000.50"), "USD"), date(2026, 12, 1), "DOE")
    assert (t.fiscal_year, t.pledged_minor, t.obligated_minor, t.disbursed_minor) == (2028, 25_000_000_50, 0, 0)
    assert (1, 2028, 25_000_000_50, 0, 0) in dump(small)["commitment_year"]
    assert check_ledger(small) == []


def test_amendments_keep_who_when_and_why_in_order(small):
    record_entry(small, "US-Q", 2026, "disbursed", "-500000.00", date(2026, 10, 20), "M. Chen",
                 "duplicate payment credited back", at=datetime(2026, 10, 20, 15, 30))
    record_entry(small, "US-Q", 2026, "obligated", "-1000000", date(2026, 10, 21), "R. Alvarez",
                 "scope reduced", at=datetime(2026, 10, 21, 9, 0))
    got = [(e["fiscal_year"], e["kind"], e["amount_minor"], e["on"], e["recorded_at"], e["recorded_by"], e["reason"],
            e["balance_minor"]) for e in history(small, "US-Q")]
    assert got[-2:] == [
        (2026, "disbursed", -500_000_00, "2026-10-20", "2026-10-20 15:30:00", "M. Chen",
         "duplicate payment credited back", 11_500_000_00),
        (2026, "obligated", -1_000_000_00, "2026-10-21", "2026-10-21 09:00:00", "R. Alvarez", "scope reduced",
         39_000_000_00),
    ]
    assert [e["id"] for e in history(small, "US-Q")] == sorted(e["id"] for e in history(small, "US-Q"))
    assert (1, 2026, 40_000_000_00, 39_000_000_00, 11_500_000_00) in dump(small)["commitment_year"]
    with pytest.raises(LedgerError, match="no such commitment"):
        history(small, "NOPE")


@pytest.mark.parametrize("args, field, rule", [
    (("NOPE", 2026, "pledged", "1", date(2026, 7, 1), "me"), "commitment", "no such commitment"),
    (("US-X", 2026, "pledged", "1", date(2026, 7, 1), "me", "more"), "state", "cancelled"),
    (("US-Q", 2026, "disbursed", "1", date(2026, 6, 3), "me", "early"), "on", "before the commitment was pledged"),
    (("US-Q", 2026, "disbursed", "28000000.01", date(2026, 11, 1), "me", "x"), "disbursed",
     "more than the 40,000,000.00 USD obligated"),
    (("US-Q", 2027, "obligated", "40000000.02", date(2026, 11, 1), "me"), "obligated",
     "more than the 40,000,000.01 USD pledged"),
    (("US-Q", 2026, "pledged", "-0.01", date(2026, 11, 1), "me", "cut"), "pledged",
     "obligated would be 40,000,000.00 USD, more than the 39,999,999.99 USD pledged"),
    (("US-Q", 2026, "disbursed", "-12000000.01", date(2026, 11, 1), "me", "x"), "disbursed", "below zero"),
    (("US-Q", 2026, "disbursed", "-1", date(2026, 11, 1), "me"), "reason", "needs a reason"),
    (("US-Q", 2026, "disbursed", "1", date(2026, 11, 1), "me", "  "), "reason", "needs a reason"),
    (("US-Q", 2027, "pledged", "1", date(2026, 11, 1), "me"), "reason", "needs a reason"),
    (("JP-Q", 2027, "obligated", "1", date(2026, 11, 1), "me"), "obligated", "nothing is pledged in FY2027"),
    (("JP-Q", 2026, "disbursed", "0", date(2026, 11, 1), "me"), "disbursed", "zero changes nothing"),
    (("JP-Q", 2026, "disbursed", "1.5", date(2026, 11, 1), "me"), "disbursed", "JPY has 0 decimal places"),
    (("JP-Q", 2026, "disbursed", Money(100, "USD"), date(2026, 11, 1), "me"), "disbursed", "record it in JPY"),
    (("JP-Q", 2026, "disbursed", "1", date(2026, 11, 1), " "), "who", "must be named"),
    (("JP-Q", 2026, "refunded", "1", date(2026, 11, 1), "me"), "kind", "one of pledged, obligated, disbursed"),
    (("JP-Q", "2026/27", "disbursed", "1", date(2026, 11, 1), "me"), "fiscal_year", "fiscal year must look like"),
])
def test_refusals_name_what_is_wrong_and_change_nothing(small, args, field, rule):
    before = dump(small)
    with pytest.raises(LedgerError) as refused:
        record_entry(small, *args)
    err = refused.value
    assert err.field == field and rule in str(err) and err.commitment == args[0]
    assert str(args[0]) in str(err) and (err.fiscal_year is None or f"FY{err.fiscal_year}" in str(err))
    assert dump(small) == before


def test_the_rate_difference_of_a_disbursement_by_hand(small):
    record_entry(small, "JP-Q", 2026, "disbursed", "1500000000", date(2026, 11, 10), "H. Sato")
    r = rate_differences(small)
    jp = next(e for e in r["entries"] if e["commitment"] == "JP-Q")
    at_pledge, at_paid = by_hand(1_500_000_000, "146.50"), by_hand(1_500_000_000, "157.20")  # 1 June, 1 November
    assert (at_pledge, at_paid) == (10_238_907_85, 9_541_984_73)
    assert (jp["at_pledge_minor"], jp["at_disbursement_minor"], jp["difference_minor"]) == (
        at_pledge, at_paid, at_paid - at_pledge)
    assert jp["pledge_rate"]["text"] == "1 USD = 146.5 JPY (2026-06-01)"
    assert (jp["disbursement_rate"]["on"], jp["disbursement_rate"]["value"]) == ("2026-11-01", "157.2")
    us = next(e for e in r["entries"] if e["commitment"] == "US-Q")
    assert us["difference_minor"] == 0 and us["pledge_rate"] is None and us["at_pledge_minor"] == 12_000_000_00
    assert {p["partner"]: p["difference_minor"] for p in r["partners"]} == {"DOE": 0, "MEXT": at_paid - at_pledge}
    assert r["total"]["difference_minor"] == at_paid - at_pledge
    assert r["rates"] == ["1 USD = 146.5 JPY (2026-06-01)", "1 USD = 157.2 JPY (2026-11-01)"]
    yen = rate_differences(small, partner_code="DOE", reporting_currency="JPY")
    assert [e["commitment"] for e in yen["entries"]] == ["US-Q"]
    assert yen["entries"][0]["at_pledge_minor"] == 1_758_000_000  # 12,000,000.00 USD x 146.5


def test_a_database_written_before_the_ledger_gets_its_opening_entries_on_edit(store):
    build(store, with_entries=False)  # totals without entries, as the ORM or an old program wrote them
    assert len(check_ledger(store)) == 7
    change = edits.update(store, "commitment", "JP-Q", {"obligated": "FY2026=5000000000"}, author="officer@doe.gov")
    left = check_ledger(store)  # only the commitment edited is brought into step
    assert len(left) == 5 and all(p.startswith("commitment US-") for p in left)
    assert [(e["kind"], e["amount_minor"], e["recorded_by"], e["reason"]) for e in history(store, "JP-Q")] == [
        ("pledged", 5_860_000_000, "officer@doe.gov", L.OPENING_REASON),
        ("obligated", 5_860_000_000, "officer@doe.gov", L.OPENING_REASON),
        ("obligated", -860_000_000, "officer@doe.gov", edits.LEDGER_REASON),
    ]
    assert "commitment_entry" in change.tables


def test_record_editor_edits_keep_the_entries_in_step_and_undo_restores_them(small):
    before = dump(small)
    change = edits.update(small, "commitment", "US-Q", {"disbursed": "FY2026=15000000.00"}, author="officer@doe.gov")
    last = history(small, "US-Q")[-1]
    assert (last["kind"], last["amount_minor"], last["recorded_by"], last["reason"], last["on"]) == (
        "disbursed", 3_000_000_00, "officer@doe.gov", edits.LEDGER_REASON, "2026-09-30")
    assert check_ledger(small) == []
    after = dump(small)
    edits.undo(small, change)
    assert dump(small) == before and check_ledger(small) == []
    edits.redo(small, change)
    assert dump(small) == after
    created = edits.create(small, "commitment", {"code": "JP-F", "partner": "MEXT", "title": "Fusion",
                                                  "currency": "JPY", "state": "pledged", "pledged_on": "2026-06-04",
                                                  "pledged": "FY2026=4395000000; FY2027=4395000000"}, author="me")
    assert check_ledger(small) == [] and len(history(small, "JP-F")) == 2
    deleted = edits.delete(small, "commitment", "JP-F")
    assert "commitment_entry" in deleted.tables and check_ledger(small) == []
    edits.undo(small, deleted)
    assert check_ledger(small) == [] and len(history(small, "JP-F")) == 2
    assert created.action == "create"


def test_the_import_writes_entries_for_new_and_changed_totals(small, tmp_path):
    path = tmp_path / "commitments.csv"
    head = "code,partner,title,currency,state,pledged_on,obligated_on,pledged,obligated,disbursed\n"
    path.write_text(head + "JP-B,MEXT,Bio,JPY,pledged,2026-06-04,,FY2026=4395000000; FY2027=4395000000,,\n")
    import_file(small, "commitments", path)
    assert check_ledger(small) == []
    assert [(e["amount_minor"], e["recorded_by"]) for e in history(small, "JP-B")] == [(4_395_000_000, "import")] * 2
    # Again, with the FY2027 year gone and FY2026 obligated: entries for the differences only.
    path.write_text(head + "JP-B,MEXT,Bio,JPY,obligated,2026-06-04,2026-09-01,FY2026=4395000000,FY2026=1000000000,\n")
    import_file(small, "commitments", path)
    assert check_ledger(small) == []
    assert [(e["fiscal_year"], e["kind"], e["amount_minor"], e["on"]) for e in history(small, "JP-B")][2:] == [
        (2026, "obligated", 1_000_000_000, "2026-09-01"), (2027, "pledged", -4_395_000_000, "2026-06-04")]


def test_check_ledger_names_a_year_whose_entries_do_not_add_up(small):
    # Written behind the ledger's back, in plain SQL (through the store's engine: a bare sqlite3 client
    # cannot write an audited table, it lacks the functions the audit triggers call).
    with small.engine.begin() as con:
        con.execute(text("UPDATE commitment_year SET disbursed_minor = 1300000000 WHERE commitment_id = 1 "
                         "AND fiscal_year = 2026"))
    assert check_ledger(small) == ["commitment US-Q, FY2026, disbursed: the entries add up to 12,000,000.00 USD "
                                   "but the year's total is 13,000,000.00 USD"]


def test_the_demo_ledger_is_sound_and_its_later_entries_keep_the_rules(tmp_path, monkeypatch, demo_template):
    demo = open_store(f"sqlite:///{demo_template(0)}")
    try:
        assert check_ledger(demo) == []
        expected = {k: v for k, v in dump(demo).items() if k in ("commitment_year", "commitment_entry")}
    finally:
        demo.close()
    # The same demo without its later entries, which are then recorded through record_entry and its rules:
    # the rows must come out the same, ids and times included.
    spec = load("ledger")
    monkeypatch.setattr(demo_ledger, "load", lambda name: {**spec, "entries": []})
    replay = open_store(f"sqlite:///{tmp_path / 'replay.sqlite'}")
    try:
        build_demo(replay, proposals=0)
        for e in spec["entries"]:
            on = date.fromisoformat(e["on"])
            record_entry(replay, e["commitment"], e["fiscal_year"], e["kind"], e["amount"], on, e["by"], e["reason"],
                         at=datetime.combine(on, datetime.min.time()).replace(hour=12))
        got = {k: v for k, v in dump(replay).items() if k in ("commitment_year", "commitment_entry")}
    finally:
        replay.close()
    assert got == expected
    assert len(spec["entries"]) >= 4 and any(e["amount"].startswith("-") for e in spec["entries"])


def test_undo_of_an_edit_refuses_to_drop_an_entry_recorded_after_it(small):
    change = edits.update(small, "commitment", "JP-Q", {"obligated": "FY2026=5000000000"}, author="officer")
    record_entry(small, "JP-Q", 2026, "disbursed", "100000000", date(2026, 11, 10), "H. Sato")
    now = dump(small)
    with pytest.raises(edits.EditConflict, match="commitment JP-Q was changed after it"):
        edits.undo(small, change)
    assert dump(small) == now and check_ledger(small) == []


def test_an_empty_portfolio_has_an_empty_ledger(store):
    assert ledger(store).empty and list(ledger(store).columns) == L.COLUMNS
    assert check_ledger(store) == [] and rate_differences(store)["entries"] == []
    assert rate_differences(store)["total"] == {"at_pledge_minor": 0, "at_disbursement_minor": 0, "difference_minor": 0}
