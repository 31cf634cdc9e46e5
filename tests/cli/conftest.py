from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_genesis(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> Result:
    """The real `genesis` command in a subprocess, as a user or a script runs it."""
    full_env = {k: v for k, v in os.environ.items() if k != "GENESIS_DB"}
    full_env.update(env or {})
    p = subprocess.run([sys.executable, "-m", "genesis_desktop", *args], capture_output=True, text=True,
                       env=full_env, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def genesis():
    return run_genesis
