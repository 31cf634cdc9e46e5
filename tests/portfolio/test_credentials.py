"""Passwords in the system keyring: `genesis login` checks a password on the real PostgreSQL server and
keeps it in the keyring; a URL that names the user but no password then signs in; the password is in
no file under HOME, in no output and in no `describe_url`. The keyring is keyring_stand_in.FileKeyring
(this machine runs no Secret Service), chosen through keyring's own PYTHON_KEYRING_BACKEND."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genesis_desktop.portfolio.credentials import SERVICE, key_for, with_password, without_password
from genesis_desktop.portfolio.store import describe_url, open_store

pytestmark = pytest.mark.xdist_group("postgres")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def person(tmp_path: Path) -> dict[str, str]:
    """The environment of a person at their desk: a HOME and XDG folders of their own, the keyring."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", ".cache"):
        (home / sub).mkdir(parents=True)
    (tmp_path / "secret-service").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GENESIS_DB"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CACHE_HOME=str(home / ".cache"), PYTHON_KEYRING_BACKEND="keyring_stand_in.FileKeyring",
               GENESIS_TEST_KEYRING=str(tmp_path / "secret-service" / "keys.json"),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    return env


def run(env, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genesis_desktop", *argv], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_login_keeps_the_password_in_the_keyring_and_a_passwordless_url_then_signs_in(office, tmp_path):
    env = person(tmp_path)
    name, password = office.login["analyst"]
    bare = without_password(office.url["analyst"])
    assert password not in bare
    said = []

    refused = run(env, "--db", bare, "summary", "--json")  # nothing kept yet: the server wants a password
    said.append(refused)
    assert refused.returncode == 2 and "cannot sign in" in refused.stderr and f"genesis login {bare}" in refused.stderr

    wrong = run(env, "login", bare, "--password-stdin", stdin="not the password\n")
    said.append(wrong)
    assert wrong.returncode == 2 and "did not accept the sign-in" in wrong.stderr and "nothing was kept" in wrong.stderr
    assert not Path(env["GENESIS_TEST_KEYRING"]).exists()

    login = run(env, "login", bare, "--password-stdin", stdin=password + "\n")
    said.append(login)
    assert login.returncode == 0, login.stderr
    kept = json.loads(Path(env["GENESIS_TEST_KEYRING"]).read_text())
    assert kept == {SERVICE: {key_for(bare): password}}  # the stand-in keyring really holds it

    summary = run(env, "--db", bare, "summary", "--json")
    said.append(summary)
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["counts"]["proposals"] == 3  # an analyst reads every proposal

    assert files_holding(Path(env["HOME"]), password) == []
    assert all(password not in p.stdout + p.stderr for p in said)

    logout = run(env, "logout", bare)
    assert logout.returncode == 0 and "password removed" in logout.stderr
    assert run(env, "--db", bare, "summary").returncode == 2


def test_keys_name_the_login_and_describe_url_hides_any_password():
    url = "postgresql+psycopg://alice:s3cret-pw@db.office.example:6543/genesis"
    assert key_for(url) == "alice@db.office.example:6543/genesis"
    assert key_for("postgresql+psycopg://bob@db/genesis") == "bob@db:5432/genesis"
    assert "s3cret-pw" not in describe_url(url) and "alice" in describe_url(url)
    assert with_password(url).password == "s3cret-pw"  # a password given in the URL is used as it is


def test_a_sqlite_portfolio_never_asks_the_keyring(tmp_path, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    # Asked first: keyring picks its backend on first use among every subclass defined by then, and would
    # pick this one (higher than the fail backend) and keep it for the rest of the worker's tests.
    before = keyring.get_keyring()

    class Refusing(KeyringBackend):  # a keyring that fails the test if anything asks it
        priority = -1  # never chosen by keyring itself

        def get_password(self, service, username):
            raise AssertionError("the keyring was asked for a SQLite portfolio")

        set_password = delete_password = get_password

    keyring.set_keyring(Refusing())
    try:
        store = open_store(f"sqlite:///{tmp_path / 'p.sqlite'}")
        store.close()
    finally:
        keyring.set_keyring(before)
