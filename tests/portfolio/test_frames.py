"""The analysts' frames: typed columns, exact minor units, conversions at the right dated rate."""
from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from genesis_desktop.portfolio.api import Portfolio, open_portfolio
from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.frames_money import convert_minor
from genesis_desktop.portfolio.money import Money, MoneyError
from genesis_desktop.portfolio.store import StoreError, open_store, sqlite_path

CALL = "DE-FOA-0003612"
STATUSES = ["submitted", "under_review", "recommended", "awarded", "declined", "withdrawn"]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('frames') / 'demo.sqlite'}"
    store = open_store(url)
    build_demo(store, proposals=500, seed=3)
    store.close()
    return url


@pytest.fixture(scope="module")
def p(url):
    with open_portfolio(url) as portfolio:
        yield portfolio


@pytest.fixture(scope="module")
def db(url):
    con = sqlite3.connect(sqlite_path(url))
    yield con
    con.close()


def is_str(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype)


def test_proposals_have_typed_columns(p):
    df = p.proposals()
    assert len(df) == 500
    assert list(df["status"].cat.categories) == STATUSES
    assert list(df["phase"].cat.categories) == ["I", "II"]
    for c in ("requested_minor", "requested_gpu_hours"):
        assert df[c].dtype == np.int64
    for c in ("submitted_on", "status_changed_at"):
        assert pd.api.types.is_datetime64_any_dtype(df[c]) and df[c].notna().all()
    for c in ("code", "title", "abstract", "keywords", "lead_institution", "team", "challenges", "currency"):
        assert is_str(df[c]), c
    assert df["requested"].dtype == np.float64
    assert (df["requested"] * 100 == df["requested_minor"]).all()
    assert (df["status_changed_at"].dt.normalize() >= df["submitted_on"]).all()


def test_proposal_lists_and_minor_amounts_match_the_database(p, db):
    df = p.proposals().set_index("code")
    want = dict(db.execute("SELECT p.code, sum(b.amount_minor) FROM proposal p "
                           "JOIN proposal_budget b ON b.proposal_id = p.id GROUP BY p.code"))
    assert df["requested_minor"].to_dict() == want
    for code, primary, challenges, team in db.execute(
            "SELECT p.code, (SELECT c.code FROM proposal_challenge x JOIN challenge c ON c.id = x.challenge_id "
            "WHERE x.proposal_id = p.id AND x.is_primary), "
            "(SELECT count(*) FROM proposal_challenge x WHERE x.proposal_id = p.id), "
            "(SELECT group_concat(code, '|') FROM (SELECT i.code FROM proposal_institution t "
            "JOIN institution i ON i.id = t.institution_id WHERE t.proposal_id = p.id ORDER BY i.code)) "
            "FROM proposal p"):
        row = df.loc[code]
        assert row["primary_challenge"] == primary and row["challenges"].split("; ")[0] == primary
        assert len(row["challenges"].split("; ")) == challenges
        assert row["team"].split("; ") == team.split("|")


def test_budgets_are_one_row_per_proposal_and_year(p, db):
    df = p.proposal_budgets()
    rows = db.execute("SELECT p.code, b.fiscal_year, b.amount_minor FROM proposal_budget b "
                      "JOIN proposal p ON p.id = b.proposal_id ORDER BY b.proposal_id, b.fiscal_year").fetchall()
    assert list(zip(df["proposal"], df["fiscal_year"], df["amount_minor"])) == rows
    assert df["fiscal_year"].dtype == np.int64 and df["amount_minor"].dtype == np.int64
    assert df["status"].dtype == "category"


def test_a_jpy_commitment_converts_at_the_rate_of_its_pledge_date(p):
    df = p.commitments(reporting_currency="USD")
    row = df[(df["commitment"] == "JP-MEXT-QUANTUM") & (df["fiscal_year"] == 2026)].iloc[0]
    # pledged 4 June 2026: the latest rate on or before it is 1 June 2026, USD/JPY 146.50
    assert row["rate_date"] == pd.Timestamp("2026-06-01")
    assert row["pledged_minor"] == 5_860_000_000 and row["currency"] == "JPY"
    expected = Money(5_860_000_000, "JPY").convert(Decimal(1) / Decimal("146.50"), "USD")
    assert row["pledged_usd_minor"] == expected.minor == 4_000_000_000
    assert row["pledged_usd"] == 40_000_000.0
    assert row["rate"] == pytest.approx(1 / 146.5)
    usd = df[df["currency"] == "USD"]
    assert (usd["rate"] == 1.0).all() and (usd["pledged_usd_minor"] == usd["pledged_minor"]).all()
    assert df.groupby("currency")["pledged_usd_minor"].sum().to_dict() == {"JPY": 500_000_000_00, "USD": 500_000_000_00}


def test_commitments_revalued_at_one_date_and_exact_minor_columns(p, db):
    df = p.commitments(reporting_currency="USD", rates_on=date(2026, 10, 15))
    jpy = df[df["currency"] == "JPY"]
    assert (jpy["rate_date"] == pd.Timestamp("2026-10-01")).all()
    for _, r in jpy.iterrows():
        for name in ("pledged", "obligated", "disbursed"):
            want = Money(int(r[f"{name}_minor"]), "JPY").convert(Decimal(1) / Decimal("154.90"), "USD").minor
            assert r[f"{name}_usd_minor"] == want
    stored = db.execute("SELECT c.code, y.fiscal_year, y.pledged_minor, y.obligated_minor, y.disbursed_minor "
                        "FROM commitment_year y JOIN commitment c ON c.id = y.commitment_id "
                        "ORDER BY c.code, y.fiscal_year").fetchall()
    got = df[["commitment", "fiscal_year", "pledged_minor", "obligated_minor", "disbursed_minor"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == stored
    assert df["pledged_on"].dtype.kind == "M" and df["obligated_on"].isna().any()


def test_proposals_in_yen_match_money_convert(p):
    df = p.proposals(reporting_currency="JPY", rates_on=date(2026, 3, 20))
    assert (df["rate_date"] == pd.Timestamp("2026-03-01")).all() and (df["rate"] == 151.2).all()
    for minor, jpy in zip(df["requested_minor"], df["requested_jpy_minor"]):
        assert jpy == Money(int(minor), "USD").convert(Decimal("151.20"), "JPY").minor


def test_a_missing_rate_names_the_pair_and_the_date(p):
    with pytest.raises(MoneyError, match=r"JPY/USD.*2025-01-01"):
        p.commitments(reporting_currency="USD", rates_on=date(2025, 1, 1))
    with pytest.raises(MoneyError, match=r"USD/EUR.*2026-06-01"):
        p.proposals(reporting_currency="EUR", rates_on=date(2026, 6, 1))


def test_convert_minor_rounds_like_money_convert():
    rng = np.random.default_rng(1)
    minor = np.concatenate([rng.integers(0, 10**12, 2000), [0, 1, 5, 15, 25, 35, 10**15]])
    for rate, src, dst in [(Decimal("146.50"), "USD", "JPY"), (Decimal(1) / Decimal("146.50"), "JPY", "USD"),
                           (Decimal("0.5"), "JPY", "JPY"), (Decimal("1.2345678901"), "USD", "EUR"),
                           (Decimal("0.05"), "USD", "USD")]:
        got = convert_minor(minor, rate, src, dst)
        assert got.dtype == np.int64
        assert got.tolist() == [Money(int(m), src).convert(rate, dst).minor for m in minor.tolist()]


def test_other_kinds_are_typed(p):
    inst = p.institutions()
    assert (inst["kind"] == "national_lab").sum() == 17 and inst["kind"].dtype == "category"
    ch = p.challenges()
    assert len(ch) == 26 and ch["official"].dtype == bool and ch["official"].sum() == 4
    assert ch["area"].dtype == "category" and is_str(ch["lead_institution"])
    calls = p.calls(reporting_currency="USD")
    assert calls.loc[0, "total_budget_minor"] == 293_760_000_00 and calls.loc[0, "total_budget_usd"] == 293_760_000.0
    phases = p.call_phases()
    assert phases["ceiling_per_year"].tolist() == [False, True] and phases["duration_months"].dtype == np.int64
    assert phases["award_floor"].tolist() == [500_000.0, 1_500_000.0]
    partners = p.partners()
    assert partners.set_index("code").loc["MEXT", "fiscal_calendar"] == "JP" and len(partners) == 28
    rates = p.rates()
    assert rates["on"].dtype.kind == "M" and rates["rate"].dtype == np.float64 and len(rates) == 13
    reviewers = p.reviewers()
    assert len(reviewers) == 60 and is_str(reviewers["expertise"])
    reviews = p.reviews()
    assert reviews["state"].dtype == "category" and reviews["score_merit"].dtype == "Int64"
    submitted = reviews[reviews["state"] == "submitted"]
    assert submitted["score_budget"].notna().all() and submitted["submitted_at"].notna().all()
    assert reviews["mean_score"].between(1, 9).all()


def test_one_call_as_a_dict_of_frames(p):
    found = p.call(CALL, reporting_currency="USD", rates_on=date(2026, 6, 1))
    assert set(found) == {"call", "phases", "proposals", "budgets"}
    assert len(found["call"]) == 1 and len(found["phases"]) == 2
    assert len(found["proposals"]) == 500 and (found["proposals"]["call"] == CALL).all()
    assert found["budgets"]["proposal"].isin(found["proposals"]["code"]).all()
    assert (found["proposals"]["requested_usd_minor"] == found["proposals"]["requested_minor"]).all()
    with pytest.raises(KeyError, match="DE-FOA-0000000"):
        p.call("DE-FOA-0000000")


def test_open_portfolio_never_creates_a_file(tmp_path, url):
    with pytest.raises(StoreError):
        open_portfolio(f"sqlite:///{tmp_path / 'missing.sqlite'}")
    assert not (tmp_path / "missing.sqlite").exists()
    with open_portfolio(url) as portfolio:
        assert isinstance(portfolio, Portfolio) and portfolio.url == url


def test_rates_on_accepts_datetimes_and_iso_text(p):
    by_text = p.commitments(reporting_currency="USD", rates_on="2026-10-15")
    by_stamp = p.commitments(reporting_currency="USD", rates_on=pd.Timestamp("2026-10-15 18:30"))
    assert by_text.equals(by_stamp) and (by_text["rate_date"].isin([pd.Timestamp("2026-10-01"),
                                                                   pd.Timestamp("2026-10-15")])).all()
    with pytest.raises(TypeError):
        p.proposals(reporting_currency="USD", rates_on=20261015)
