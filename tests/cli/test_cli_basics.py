"""The `genesis` command's contract: version, usage errors, init and the refusals (exit codes 0/1/2)."""
from __future__ import annotations

import genesis_desktop


def test_version(genesis):
    r = genesis("--version")
    assert r.code == 0
    assert r.out.strip() == f"genesis-desktop {genesis_desktop.__version__}"


def test_the_console_script_is_installed():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "genesis"]
    assert script.value == "genesis_desktop.cli:main"


def test_usage_errors_exit_2(genesis, db_url):
    assert genesis("no-such-command").code == 2
    r = genesis("--db", db_url, "init", "--proposals", "5")
    assert r.code == 2 and "--proposals needs --demo" in r.err


def test_summary_of_a_missing_file_is_refused_and_not_created(genesis, tmp_path):
    url = f"sqlite:///{tmp_path / 'nothing.sqlite'}"
    r = genesis("--db", url, "summary", "--json")
    assert r.code == 2 and "no such portfolio file" in r.err
    assert not (tmp_path / "nothing.sqlite").exists()


def test_unknown_kind_names_the_known_ones(genesis, db_url, tmp_path):
    assert genesis("--db", db_url, "init").code == 0
    r = genesis("--db", db_url, "export", "widgets", str(tmp_path / "w.csv"))
    assert r.code == 2 and "unknown kind 'widgets'" in r.err and "proposals" in r.err


def test_a_non_portfolio_file_is_refused_with_exit_2(genesis, tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database")
    r = genesis("--db", f"sqlite:///{path}", "summary")
    assert r.code == 2 and "not a SQLite database" in r.err


def test_export_to_an_unknown_format_exits_2_and_writes_nothing(genesis, db_url, tmp_path):
    assert genesis("--db", db_url, "init").code == 0
    r = genesis("--db", db_url, "export", "challenges", str(tmp_path / "c.docx"))
    assert r.code == 2 and ".docx" in r.err
    assert not (tmp_path / "c.docx").exists()


def test_plain_summary_groups_amounts_by_currency(genesis, db_url):
    assert genesis("--db", db_url, "init", "--demo", "--proposals", "10").code == 0
    r = genesis("--db", db_url, "summary")
    assert r.code == 0
    assert "    USD 293,760,000.00" in r.out.splitlines()
    assert "proposals: 10" in r.out
