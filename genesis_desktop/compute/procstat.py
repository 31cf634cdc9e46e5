"""Process facts the local backend needs, read from /proc (psutil is not a dependency): whether an
owner process is alive, and its workers' CPU and memory. Elsewhere than Linux they are unknown (None),
and LOST detection falls back to the heartbeat timeout alone.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

HOST = socket.gethostname()
PROC = Path("/proc")


def process_alive(pid: int) -> bool | None:
    """True or False where it can be known on this machine; None where it cannot (not POSIX)."""
    if os.name != "posix":
        return None  # os.kill(pid, 0) would not be a harmless question on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    # A killed process whose parent has not reaped it yet is a zombie: dead for our purposes.
    return _stat_fields(pid)[0] != "Z" if (PROC / str(pid)).exists() else True


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    text = (PROC / str(pid) / "stat").read_text()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = _stat_fields(pid)
    except (OSError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pid: int) -> float | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None


class UsageSampler:
    """CPU (percent of one core, summed over the processes) and resident memory of a set of processes,
    from the change in their CPU time between two samples."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}
        self._last_at = time.monotonic()

    def sample(self, pids: list[int]) -> tuple[float | None, float | None]:
        now = time.monotonic()
        cpu = {pid: s for pid in pids if (s := cpu_seconds(pid)) is not None}
        rss = [m for pid in pids if (m := rss_mb(pid)) is not None]
        elapsed = now - self._last_at
        used = sum(s - self._last[pid] for pid, s in cpu.items() if pid in self._last)
        known = bool(cpu) and any(pid in self._last for pid in cpu) and elapsed > 0
        self._last, self._last_at = cpu, now
        return (round(100.0 * used / elapsed, 1) if known else None), (round(sum(rss), 1) if rss else None)
