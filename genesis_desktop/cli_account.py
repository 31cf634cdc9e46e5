"""The `genesis account` commands and signing in to a shared portfolio (portfolio.access, .credentials).

    genesis --db URL account add NAME --role ROLE [--reviewer EMAIL] [--password-stdin]
    genesis --db URL account list [--json]
    genesis --db URL account remove NAME
    genesis login URL [--password-stdin]     check the password on the server, keep it in the system keyring
    genesis logout URL                       take it out of the keyring again

A password is read from a prompt that does not echo, or from the first line of stdin with
--password-stdin (for scripts); never from the command line, where other users' `ps` would see it.
Exit codes as cli.py: 0 done, 2 refused (the account, field, value and rule on stderr; nothing changed).
"""
from __future__ import annotations

import getpass
import json
import sys

from genesis_desktop.cli import EXIT_OK, BadInput


def add_parsers(sub) -> None:
    account = sub.add_parser("account", help="the logins of a shared PostgreSQL portfolio (administrators)")
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="make a login role in its group, and its account")
    add.add_argument("name", metavar="NAME", help="the login's name: lower-case letters, digits, underscores")
    add.add_argument("--role", required=True, metavar="ROLE", help="administrator, officer, reviewer or analyst")
    add.add_argument("--reviewer", metavar="EMAIL", help="for a reviewer: the e-mail of the reviewer it signs in as")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.set_defaults(func=cmd_add)
    ls = actions.add_parser("list", help="the accounts, their roles and reviewers")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_list)
    rm = actions.add_parser("remove", help="drop a login role and its account")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)

    login = sub.add_parser("login", help="keep a PostgreSQL login's password in the system keyring")
    login.add_argument("url", metavar="URL", help="postgresql+psycopg://USER@HOST:PORT/DATABASE (no password)")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    login.set_defaults(func=cmd_login)
    logout = sub.add_parser("logout", help="remove a login's password from the system keyring")
    logout.add_argument("url", metavar="URL")
    logout.set_defaults(func=cmd_logout)


def read_password(from_stdin: bool, prompt: str, confirm: bool = False) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != password:
            raise BadInput("the two passwords differ; nothing was changed")
    if not password:
        raise BadInput("no password given; nothing was changed")
    return password


def _engine(args):
    from genesis_desktop.portfolio.store import open_store

    return open_store(args.db, create=False)


def _refused(run):
    def guarded(args) -> int:
        from genesis_desktop.portfolio.access import AccountRefused

        try:
            return run(args)
        except AccountRefused as err:
            raise BadInput(f"{err}; nothing was changed") from None
    return guarded


@_refused
def cmd_add(args) -> int:
    from genesis_desktop.portfolio.access import add_account, check_account

    check_account(args.name, args.role, None, args.reviewer)  # before asking for a password
    password = read_password(args.password_stdin, f"password for {args.name}: ", confirm=True)
    store = _engine(args)
    try:
        made = add_account(store.engine, args.name, args.role, password, args.reviewer)
    finally:
        store.close()
    linked = f" (reviewer {made.reviewer})" if made.reviewer else ""
    print(f"account {made.name}: {made.role.value}{linked}", file=sys.stderr)
    return EXIT_OK


@_refused
def cmd_list(args) -> int:
    from genesis_desktop.portfolio.access import list_accounts

    store = _engine(args)
    try:
        accounts = list_accounts(store.engine)
    finally:
        store.close()
    rows = [{"name": a.name, "role": a.role.value, "reviewer": a.reviewer, "created_at": a.created_at.isoformat(),
             "created_by": a.created_by, "can_sign_in": a.can_sign_in} for a in accounts]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            state = "" if r["can_sign_in"] in (True, None) else "  (no login role on this server)"
            print(f"{r['name']:<24} {r['role']:<14} {r['reviewer'] or ''}{state}")
    return EXIT_OK


@_refused
def cmd_remove(args) -> int:
    from genesis_desktop.portfolio.access import remove_account

    store = _engine(args)
    try:
        remove_account(store.engine, args.name)
    finally:
        store.close()
    print(f"account {args.name}: removed", file=sys.stderr)
    return EXIT_OK


def cmd_login(args) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from genesis_desktop.portfolio.credentials import CredentialError, key_for, remember

    url = make_url(args.url)
    if url.password is not None:
        raise BadInput("login: give the URL without its password; you will be asked for it")
    try:
        key = key_for(url)
    except CredentialError as err:
        raise BadInput(f"login: {err}") from None
    password = read_password(args.password_stdin, f"password for {key}: ")
    engine = create_engine(url.set(password=password))
    try:  # only a password the server takes is kept
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as err:
        # The driver's own words; they never hold the password.
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise BadInput(f"login: {key}: the server did not accept the sign-in ({reason}); nothing was kept") from None
    finally:
        engine.dispose()
    try:
        remember(url, password)
    except CredentialError as err:
        raise BadInput(f"login: {err}") from None
    print(f"login: the password for {key} is in the system keyring; use --db {url.render_as_string()}",
          file=sys.stderr)
    return EXIT_OK


def cmd_logout(args) -> int:
    from genesis_desktop.portfolio.credentials import CredentialError, forget, key_for

    try:
        gone = forget(args.url)
        key = key_for(args.url)
    except CredentialError as err:
        raise BadInput(f"logout: {err}") from None
    print(f"logout: {key}: " + ("password removed from the system keyring" if gone else "no password was kept"),
          file=sys.stderr)
    return EXIT_OK
