"""`genesis init / summary / export / import` end to end, as real subprocesses on real files."""
from __future__ import annotations

import csv

import pytest


def _init_demo(genesis, url, n=60, seed=11):
    r = genesis("--db", url, "init", "--demo", "--proposals", str(n), "--seed", str(seed))
    assert r.code == 0, r.err
    s = genesis("--db", url, "summary", "--json")
    assert s.code == 0, s.err
    return s.json()


def test_init_without_demo_holds_only_the_programme(genesis, db_url):
    assert genesis("--db", db_url, "init").code == 0
    data = genesis("--db", db_url, "summary", "--json").json()
    assert data["counts"]["programmes"] == 1
    assert sum(data["counts"].values()) == 1
    assert genesis("--db", db_url, "init").code == 0, "init is idempotent"


def test_demo_is_deterministic_and_refuses_a_second_fill(genesis, tmp_path):
    a = _init_demo(genesis, f"sqlite:///{tmp_path / 'a.sqlite'}")
    b = _init_demo(genesis, f"sqlite:///{tmp_path / 'b.sqlite'}")
    c = _init_demo(genesis, f"sqlite:///{tmp_path / 'c.sqlite'}", seed=12)
    assert a == b
    assert a["counts"]["proposals"] == 60 and a["counts"]["challenges"] == 26
    assert a["money"]["call_budgets"] == {"USD": "293760000.00"}
    assert a["money"]["requested"] != c["money"]["requested"]
    again = genesis("--db", f"sqlite:///{tmp_path / 'a.sqlite'}", "init", "--demo")
    assert again.code == 2 and "empty portfolio" in again.err


def test_env_var_chooses_the_database(genesis, tmp_path):
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert genesis("init", env={"GENESIS_DB": url}).code == 0
    assert (tmp_path / "env.sqlite").exists()


@pytest.mark.parametrize("target", ["export-dir", "export.xlsx"])
def test_export_all_then_import_all_gives_the_same_summary(genesis, tmp_path, target):
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    original = _init_demo(genesis, source)
    out = tmp_path / target
    r = genesis("--db", source, "export", "all", str(out))
    assert r.code == 0, r.err
    copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    assert genesis("--db", copy, "init").code == 0
    r = genesis("--db", copy, "import", "all", str(out))
    assert r.code == 0, r.err
    assert genesis("--db", copy, "summary", "--json").json() == original


def test_a_bad_import_exits_2_lists_every_problem_and_changes_nothing(genesis, tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    before = _init_demo(genesis, url, n=20)
    good = tmp_path / "proposals.csv"
    assert genesis("--db", url, "export", "proposals", str(good)).code == 0
    with good.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Break two rows in different ways: an unknown currency and an unknown call number.
    assert rows[0]["currency"] == "USD" and rows[1]["call"] == "DE-FOA-0003612"
    rows[0]["currency"] = "USX"
    rows[1]["call"] = "DE-FOA-9999999"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    r = genesis("--db", url, "import", "proposals", str(bad))
    assert r.code == 2
    assert "bad.csv:2" in r.err and "currency" in r.err and "'USX'" in r.err
    assert "bad.csv:3" in r.err and "DE-FOA-9999999" in r.err
    assert genesis("--db", url, "summary", "--json").json() == before
