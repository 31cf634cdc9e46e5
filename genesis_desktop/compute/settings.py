"""Each backend's settings: one TOML table per backend name, in the file named by GENESIS_BACKENDS or
else `genesis/backends.toml` under the user's configuration folder:

    [slurm]
    host = "login.lab.example"      # absent: the Slurm commands of this machine
    user = "alice"
    key_file = "~/.ssh/id_ed25519"  # a path to a key; never a password
    partition = "gpu"

    [dask]
    scheduler = "tcp://10.0.0.5:8786"

Secrets do not belong in a plain file: a key that names one (password, secret, token) is refused.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from .errors import BackendUnavailable

SECRET_WORDS = ("password", "passwd", "secret", "token")


def settings_path() -> Path:
    named = os.environ.get("GENESIS_BACKENDS")
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or (Path.home() / ".config")
    return Path(base) / "genesis" / "backends.toml"


def backend_settings(name: str, path: Path | None = None) -> dict[str, Any]:
    """The table for backend `name` ({} if the file or the table is absent); BackendUnavailable naming
    the file, the key and the rule for a file that cannot be used."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise BackendUnavailable(f"{path}: cannot be read ({err.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BackendUnavailable(f"{path}: not valid TOML ({err})") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise BackendUnavailable(f"{path}: [{name}] must be a table of settings")
    for key in table:
        if any(word in key.lower() for word in SECRET_WORDS):
            raise BackendUnavailable(f"{path}: [{name}] {key}: secrets are not kept in plain files; "
                                     "use an SSH key file or the system's agent")
    return dict(table)
