"""Who is signed in, what they may do, and the accounts of a shared portfolio.

    role_of(engine)                   -> Role of the session's login (SQLite: the administrator)
    signed_in_reviewer(engine)        -> the reviewer id of a reviewer's login, else None
    readable_tables(conn, names)      -> those of `names` the login may SELECT from
    add_account(engine, name, role, password, reviewer_email=None)
    list_accounts(engine)             -> [AccountInfo, ...]
    remove_account(engine, name)

The server enforces the roles (access_grants.py); this module only asks it, so that the desktop and
the command line offer each person what the server will let them do. Account changes are one
transaction each: the login role, its group and the account row are all made (or dropped) or none is.
Passwords are turned into a SCRAM verifier on this computer (as psql's \\password does), so the
password itself never reaches the server's logs or statistics.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from . import access_grants
from .accounts import GROUP_PREFIX, Account, Role
from .base import utcnow
from .reviews import Reviewer

NAME_RULE = re.compile(r"[a-z][a-z0-9_]{0,62}")
MIN_PASSWORD = 12
INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE of "permission denied" and of a row policy's refusal


class AccountRefused(ValueError):
    """An account change that was not made; the message names the account, field, value and rule."""


@dataclass(frozen=True)
class AccountInfo:
    name: str
    role: Role
    reviewer: str | None  # the reviewer's e-mail, for a reviewer's account
    created_at: datetime
    created_by: str
    can_sign_in: bool | None  # the login role exists and may log in (None on SQLite: no logins there)


def role_of(engine: Engine) -> Role:
    """The role of whoever this engine signs in as. On PostgreSQL: a superuser or the owner of the
    portfolio's tables is an administrator; otherwise the most powerful group the login's privileges
    come from (pg_has_role ... USAGE: held without SET ROLE). On SQLite whoever may open the file is its
    owner, the administrator. A login in none of the groups is refused: it may see nothing."""
    if engine.dialect.name != "postgresql":
        return Role.ADMINISTRATOR
    with engine.connect() as conn:
        login, administers = conn.execute(text(
            "SELECT session_user, r.rolsuper OR coalesce(pg_get_userbyid(c.relowner) = session_user, false) "
            "FROM pg_roles r LEFT JOIN pg_class c ON c.relname = 'alembic_version' "
            "AND c.relnamespace = current_schema()::regnamespace WHERE r.rolname = session_user")).one()
        if administers:
            return Role.ADMINISTRATOR
        groups = set(conn.scalars(text("SELECT rolname FROM pg_roles WHERE rolname LIKE 'genesis\\_%' "
                                       "AND pg_has_role(session_user, oid, 'USAGE')")))
    for role in Role:
        if role.group in groups:
            return role
    raise PermissionError(f"the database login {login!r} is in none of the groups "
                          f"{', '.join(r.group for r in Role)}: ask an administrator for an account")


def signed_in_reviewer(engine: Engine) -> int | None:
    """The reviewer a reviewer's login is (from the account table, through the server's own function)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT genesis_reviewer_id()"))


def readable_tables(conn: Connection, names) -> set[str]:
    """Those of the tables `names` this login may read (all of them on SQLite)."""
    names = list(names)
    if conn.dialect.name != "postgresql":
        return set(names)
    return set(conn.scalars(text("SELECT t FROM unnest(CAST(:names AS text[])) AS t "
                                 "WHERE has_table_privilege(t, 'SELECT')"), {"names": names}))


def refusal(err: BaseException) -> str | None:
    """A person's words for the server refusing this login something, else None (another error)."""
    orig = getattr(err, "orig", None)
    if isinstance(err, DBAPIError) and getattr(orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        first = str(orig).strip().splitlines()[0]
        return f"the database refused this: {first} (your role does not allow it)"
    return None


# -- accounts ---------------------------------------------------------------------------------------

def check_account(name: str, role: str, password: str | None, reviewer_email: str | None) -> Role:
    """The rules an account breaks before anything is asked of the server (AccountRefused), else its Role."""
    if not NAME_RULE.fullmatch(name or "") or name.startswith(("pg_", GROUP_PREFIX)):
        raise AccountRefused(f"account {name!r}: name {name!r} must be 1 to 63 lower-case letters, digits or "
                             f"underscores, start with a letter, and not start with pg_ or {GROUP_PREFIX}")
    try:
        kind = Role(role)
    except ValueError:
        raise AccountRefused(f"account {name}: role {role!r} is not one of "
                             f"{', '.join(r.value for r in Role)}") from None
    if (kind is Role.REVIEWER) != bool(reviewer_email):
        need = "needs --reviewer EMAIL (the reviewer it signs in as)" if kind is Role.REVIEWER else \
            "takes no --reviewer (only a reviewer's account is linked to a reviewer)"
        raise AccountRefused(f"account {name}: reviewer {reviewer_email or ''!r}: a {kind.value}'s account {need}")
    if password is not None and len(password) < MIN_PASSWORD:
        # The value is never repeated: it is a password.
        raise AccountRefused(f"account {name}: password (hidden) is shorter than {MIN_PASSWORD} characters")
    return kind


def _require_administrator(engine: Engine, name: str, action: str) -> None:
    role = role_of(engine)
    if role is not Role.ADMINISTRATOR:
        article = "an" if role.value[0] in "aeiou" else "a"
        raise AccountRefused(f"account {name}: only an administrator may {action} accounts; "
                             f"this login is {article} {role.value}")


def _reviewer_id(conn: Connection, name: str, email: str | None) -> int | None:
    if not email:
        return None
    found = conn.scalar(select(Reviewer.id).where(func.lower(Reviewer.email) == email.strip().lower()))
    if found is None:
        raise AccountRefused(f"account {name}: reviewer {email!r} is not the e-mail of any reviewer in this "
                             "portfolio (add the reviewer first: genesis import reviewers FILE)")
    taken = conn.scalar(select(Account.role_name).where(Account.reviewer_id == found))
    if taken:
        raise AccountRefused(f"account {name}: reviewer {email!r} already signs in as {taken!r}; "
                             "a reviewer has one account")
    return found


def _verifier(conn: Connection, name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of the password, computed by libpq on this computer."""
    pgconn = conn.connection.dbapi_connection.pgconn
    return pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()


def add_account(engine: Engine, name: str, role: str, password: str, reviewer_email: str | None = None) -> AccountInfo:
    """Make the account: on PostgreSQL a login role in its group, and the account row; all or nothing."""
    kind = check_account(name, role, password, reviewer_email)
    if engine.dialect.name != "postgresql":
        raise AccountRefused(f"account {name}: accounts are PostgreSQL logins; this portfolio is a SQLite file, "
                             "whose owner is its administrator")
    _require_administrator(engine, name, "add")
    with engine.begin() as conn:
        reviewer_id = _reviewer_id(conn, name, reviewer_email)
        if conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": name}) or \
                conn.scalar(select(Account.role_name).where(Account.role_name == name)):
            raise AccountRefused(f"account {name}: name {name!r} is already taken by a role on this server")
        creator = conn.scalar(text("SELECT session_user"))
        # An administrator's login may make the next accounts: CREATEROLE (PostgreSQL 15 lets it grant
        # any non-superuser group with that alone).
        extra = " CREATEROLE" if kind is Role.ADMINISTRATOR else ""
        secret = _verifier(conn, name, password).replace("'", "''")
        try:  # as the driver's own text: the verifier is full of colons that text() would take for binds
            conn.exec_driver_sql(f"CREATE ROLE \"{name}\" LOGIN{extra} PASSWORD '{secret}' IN ROLE {kind.group}")
        except SQLAlchemyError as err:
            # Not str(err): SQLAlchemy's message would quote the statement, verifier and all.
            said = str(getattr(err, "orig", None) or type(err).__name__).strip().splitlines()[0]
            raise AccountRefused(f"account {name}: the server refused to create the login: {said}") from None
        conn.execute(Account.__table__.insert().values(role_name=name, kind=kind, reviewer_id=reviewer_id,
                                                       created_at=utcnow(), created_by=creator))
        conn.execute(text(f'GRANT CONNECT ON DATABASE {access_grants.database(conn)} TO "{name}"'))
    return next(a for a in list_accounts(engine) if a.name == name)


def list_accounts(engine: Engine) -> list[AccountInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(Account.role_name, Account.kind, Reviewer.email, Account.created_at,
                                   Account.created_by)
                            .outerjoin(Reviewer, Reviewer.id == Account.reviewer_id)
                            .order_by(Account.role_name)).all()
        logins = None
        if engine.dialect.name == "postgresql":
            logins = dict(conn.execute(text("SELECT rolname, rolcanlogin FROM pg_roles")).all())
    return [AccountInfo(name, kind, email, at, by, None if logins is None else bool(logins.get(name)))
            for name, kind, email, at, by in rows]


def remove_account(engine: Engine, name: str) -> None:
    """Drop the login role and its account row together. Refuses the login in use: an administrator
    cannot lock the office out by removing themselves."""
    if engine.dialect.name != "postgresql":
        raise AccountRefused(f"account {name}: accounts are PostgreSQL logins; this portfolio is a SQLite file")
    _require_administrator(engine, name, "remove")
    with engine.begin() as conn:
        if not conn.scalar(select(Account.role_name).where(Account.role_name == name)):
            raise AccountRefused(f"account {name}: name {name!r} is not an account of this portfolio "
                                 "(genesis account list shows them)")
        if conn.scalar(text("SELECT session_user")) == name:
            raise AccountRefused(f"account {name}: is the login in use; another administrator must remove it")
        conn.execute(Account.__table__.delete().where(Account.role_name == name))
        if conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": name}):
            try:
                conn.execute(text(f'REVOKE ALL ON DATABASE {access_grants.database(conn)} FROM "{name}"'))
                conn.execute(text(f'DROP ROLE "{name}"'))
            except DBAPIError as err:  # it owns something, or holds privileges in another database
                raise AccountRefused(f"account {name}: the server refused to drop the login: "
                                     f"{str(err.orig).strip().splitlines()[0]}; nothing was removed") from None
