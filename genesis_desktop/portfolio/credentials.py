"""Database passwords in the system keyring (Secret Service on Linux, Keychain on macOS, Credential
Locker on Windows), never in settings files, URLs on disk, logs or messages.

    key_for(url)                 "user@host:port/database": the keyring's user name for that login
    remember(url, password)      store it (`genesis login URL`)
    forget(url)                  remove it (`genesis logout URL`); False when there was none
    with_password(url)           the URL to connect with: a PostgreSQL URL that names a user but no
                                 password gets the keyring's, if it holds one

The keyring is only asked for a PostgreSQL URL with a user and no password, so opening a SQLite file
never touches it. With no keyring service on the computer the URL is used as it is, and libpq's own
ways (~/.pgpass, PGPASSWORD) still apply.
"""
from __future__ import annotations

from sqlalchemy.engine import URL, make_url

SERVICE = "genesis-desktop"
DEFAULT_PORT = 5432


class CredentialError(RuntimeError):
    """The keyring cannot be used; the message says why (never a password)."""


def _is_postgres(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def key_for(url: str | URL) -> str:
    u = make_url(url)
    if not _is_postgres(u) or not u.username:
        raise CredentialError(f"{u.render_as_string(hide_password=True)}: a password is kept only for a "
                              "PostgreSQL URL that names a user (postgresql+psycopg://USER@HOST/DATABASE)")
    return f"{u.username}@{u.host or 'localhost'}:{u.port or DEFAULT_PORT}/{u.database or u.username}"


def _keyring():
    import keyring
    from keyring.errors import KeyringError

    return keyring, KeyringError


def remember(url: str | URL, password: str) -> str:
    """Store the password for the URL's login; returns the key it is stored under."""
    key = key_for(url)
    keyring, KeyringError = _keyring()
    try:
        keyring.set_password(SERVICE, key, password)
    except KeyringError as err:
        raise CredentialError(f"the system keyring did not take the password for {key}: {type(err).__name__}: "
                              f"{err}") from None
    return key


def forget(url: str | URL) -> bool:
    key = key_for(url)
    keyring, KeyringError = _keyring()
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, key)
    except PasswordDeleteError:
        return False
    except KeyringError as err:
        raise CredentialError(f"the system keyring cannot be used: {type(err).__name__}: {err}") from None
    return True


def without_password(url: str | URL) -> str:
    """The URL as a string with any password taken out (what the program may keep and show)."""
    # URL.set(password=None) would keep it: set() skips None. A URL is a named tuple; _replace does not.
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def with_password(url: str | URL) -> URL:
    """The URL to hand to create_engine: with the keyring's password filled in where one is wanted."""
    u = make_url(url)
    if not _is_postgres(u) or not u.username or u.password is not None:
        return u
    keyring, KeyringError = _keyring()
    try:
        secret = keyring.get_password(SERVICE, key_for(u))
    except KeyringError:  # no keyring service here: connect as given (libpq may still find a password)
        return u
    return u if secret is None else u.set(password=secret)
