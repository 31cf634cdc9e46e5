"""A real X server for the tests that need a real window: Xvfb, private to this test run.

Xvfb chooses a free display number itself (`-displayfd`), so parallel runs never race for one. It
listens on its Unix socket only (`-nolisten tcp`) and admits only clients holding a cookie from an
authority file made here. It is started by process id and stopped by that id, never by name.

Missing Xvfb skips the tests that need it, with the package to install, except under CI (CI=true),
where it fails them: a CI image without Xvfb is a broken image, not a reason to test less.
"""
from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
FAMILY_WILD = 0xFFFF  # an authority entry for any host and, with no number, any display
INSTALL_HINT = "apt-get install xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0; see tests/servers/README.md"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def write_authority(path: Path, cookie: bytes) -> None:
    """An Xauthority file with one MIT-MAGIC-COOKIE-1 entry, in the format libXau reads."""

    def counted(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data

    entry = struct.pack(">H", FAMILY_WILD) + counted(b"") + counted(b"") + counted(b"MIT-MAGIC-COOKIE-1")
    path.write_bytes(entry + counted(cookie))
    path.chmod(0o600)


@dataclass
class Xvfb:
    """A running Xvfb; `env` is what a client process needs to reach it."""

    folder: Path
    width: int = 1280
    height: int = 800
    depth: int = 24
    display: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def authority(self) -> Path:
        return self.folder / "Xauthority"

    @property
    def log(self) -> Path:
        return self.folder / "xvfb.log"

    @property
    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.display, "XAUTHORITY": str(self.authority)}

    def start(self) -> Xvfb:
        binary = shutil.which("Xvfb")
        if binary is None:
            raise FileNotFoundError(f"Xvfb is not installed ({INSTALL_HINT})")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_authority(self.authority, secrets.token_bytes(16))
        read_end, write_end = os.pipe()
        try:
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    [binary, "-displayfd", str(write_end), "-auth", str(self.authority), "-nolisten", "tcp",
                     "-noreset", "-screen", "0", f"{self.width}x{self.height}x{self.depth}"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=(write_end,), start_new_session=True,
                )
            os.close(write_end)
            write_end = -1
            number = self._read_display_number(read_end)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
        self.display = f":{number}"
        return self

    def _read_display_number(self, fd: int) -> int:
        # Xvfb writes the number once it accepts connections; EOF first means it died.
        deadline = time.monotonic() + START_TIMEOUT_S
        text = b""
        while not text.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"Xvfb did not start within {START_TIMEOUT_S:.0f} s; log: {self._log_tail()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 64)
                if not chunk:
                    raise RuntimeError(f"Xvfb exited while starting (code {self.process.poll()}): {self._log_tail()}")
                text += chunk
        return int(text.strip())

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT_S)

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:].strip() or "(empty)"
        except OSError:
            return "(no log)"


@pytest.fixture(scope="session")
def xvfb_display(tmp_path_factory):
    """A private Xvfb for this session; skips (or, under CI, fails) when Xvfb is not installed."""
    if shutil.which("Xvfb") is None:
        message = f"Xvfb is not installed; the real-window tests need it ({INSTALL_HINT})"
        if under_ci():
            pytest.fail(message + " and CI=true: the CI image must provide it", pytrace=False)
        pytest.skip(message)
    server = Xvfb(tmp_path_factory.mktemp("xvfb")).start()
    try:
        yield server
    finally:
        server.stop()
