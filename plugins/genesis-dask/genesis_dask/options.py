"""The dask backend's settings (the [dask] table of the backends file, or the options given):

    scheduler          "tcp://host:port" of the Dask scheduler; required to run anything
    connect_timeout_s  how long connecting may take (default 10)
    lost_after_s       how long the scheduler may stay out of reach before its jobs are LOST (default 60)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

CONNECT_TIMEOUT_S = 10.0
LOST_AFTER_S = 60.0  # a scheduler restart or a network blip shorter than this loses no job
KNOWN = ("scheduler", "connect_timeout_s", "lost_after_s")


@dataclass(frozen=True)
class DaskOptions:
    scheduler: str | None
    connect_timeout_s: float
    lost_after_s: float

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> "DaskOptions":
        """ValueError naming the setting, its value and the rule; the registry reports it as the reason
        the backend is unavailable."""
        unknown = set(options) - set(KNOWN)
        if unknown:
            raise ValueError(f"dask settings: unknown {sorted(unknown)}; known: {', '.join(KNOWN)}")
        scheduler = options.get("scheduler")
        if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
            raise ValueError(f"dask settings: scheduler = {scheduler!r} must be an address like tcp://host:8786")
        return cls(scheduler=scheduler or None,
                   connect_timeout_s=_seconds("connect_timeout_s", options.get("connect_timeout_s", CONNECT_TIMEOUT_S)),
                   lost_after_s=_seconds("lost_after_s", options.get("lost_after_s", LOST_AFTER_S)))


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"dask settings: {name} = {value!r} must be a number of seconds > 0")
    return float(value)
