"""A keyring backend for the tests. It stands in for the system's own keyring (Secret Service on Linux,
Keychain on macOS, Credential Locker on Windows), which this machine does not run. Like them it keeps
secrets in a store of its own outside the program's files: a JSON file named by GENESIS_TEST_KEYRING,
which the tests place outside HOME. Selected through keyring's own configuration: the
PYTHON_KEYRING_BACKEND environment variable (a subprocess) or keyring.set_keyring (this process)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def path(self) -> Path:
        return Path(os.environ["GENESIS_TEST_KEYRING"])

    def _read(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service, username):
        return self._read().get(service, {}).get(username)

    def set_password(self, service, username, password):
        data = self._read()
        data.setdefault(service, {})[username] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._read()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(username)
        del data[service][username]
        self.path.write_text(json.dumps(data))
