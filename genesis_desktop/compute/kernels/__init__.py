"""The kernels the engine can run, by name. Each is imported only when first asked for, so a kernel
that is missing or broken leaves the others usable.

Two doors: the built-in kernels below, and the entry-point group `genesis_desktop.kernels`
("name = module:attribute"), through which packages that compute/ may not import (review/'s
assignment and calibration) or other distributions offer theirs. Listing entry points imports no
kernel code; a kernel whose entry point fails to load is reported unavailable with the reason.
"""
from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any, Callable

from ..kernel import Kernel, SpecError

GROUP = "genesis_desktop.kernels"

# name -> (module, attribute): the module is imported on first use.
_BUILTIN = {
    "pi": ("genesis_desktop.compute.kernels.sample", "PI"),
    "risk": ("genesis_desktop.compute.kernels.risk", "RISK"),
}


class KernelUnavailable(SpecError):
    """A known kernel that cannot be imported here; the message says why."""


def _entry_points() -> list[Any]:
    """The group's entry points (a seam for tests, which add broken ones)."""
    return list(metadata.entry_points(group=GROUP))


def _import(module: str, attribute: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module(module), attribute)


def _discover() -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    """Loaders by name, and where each came from (for messages)."""
    loaders = {name: _import(*where) for name, where in _BUILTIN.items()}
    origin = {name: f"{m}.{a}" for name, (m, a) in _BUILTIN.items()}
    for ep in _entry_points():
        # A built-in name cannot be taken over, and the first distribution to offer a name keeps it:
        # otherwise which code runs a job would depend on the order packages happen to be listed in.
        if ep.name in loaders:
            continue
        loaders[ep.name] = ep.load
        origin[ep.name] = f"{ep.value} (entry point {GROUP})"
    return loaders, origin


_LOADERS, _ORIGIN = _discover()
KERNELS: tuple[str, ...] = tuple(_LOADERS)


def rediscover() -> tuple[str, ...]:
    """Read the entry points again (after installing a package, or in tests); the known names."""
    global _LOADERS, _ORIGIN, KERNELS
    _LOADERS, _ORIGIN = _discover()
    KERNELS = tuple(_LOADERS)
    return KERNELS


def kernel(name: str) -> Kernel:
    """The kernel called `name`; SpecError naming the known kernels if there is none."""
    if name not in _LOADERS:
        raise SpecError(f"kernel: {name!r} is not a known kernel; known kernels: {', '.join(KERNELS)}")
    try:
        found = _LOADERS[name]()
    except Exception as err:  # a kernel that raises on import must not take the others down
        raise KernelUnavailable(f"kernel: {name!r} cannot be loaded here ({type(err).__name__}: {err})") from err
    if getattr(found, "name", None) != name:
        raise KernelUnavailable(f"kernel: {_ORIGIN[name]} calls itself {getattr(found, 'name', None)!r}, "
                                f"not {name!r}")
    return found


def kernel_problems() -> dict[str, str | None]:
    """Each known kernel with why it cannot be used here, or None when it can."""
    problems: dict[str, str | None] = {}
    for name in KERNELS:
        try:
            kernel(name)
            problems[name] = None
        except KernelUnavailable as err:
            problems[name] = str(err)
    return problems
