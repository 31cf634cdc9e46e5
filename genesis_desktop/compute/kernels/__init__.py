"""The kernels the engine can run, by name. Each is imported only when first asked for, so a kernel
that is missing or broken (the risk kernel before it lands) leaves the others usable.
"""
from __future__ import annotations

import importlib

from ..kernel import Kernel, SpecError

# name -> (module, attribute): the module is imported on first use.
_WHERE = {
    "pi": ("genesis_desktop.compute.kernels.sample", "PI"),
    "risk": ("genesis_desktop.compute.kernels.risk", "RISK"),
}
KERNELS: tuple[str, ...] = tuple(_WHERE)


class KernelUnavailable(SpecError):
    """A known kernel that cannot be imported here; the message says why."""


def kernel(name: str) -> Kernel:
    """The kernel called `name`; SpecError naming the known kernels if there is none."""
    if name not in _WHERE:
        raise SpecError(f"kernel: {name!r} is not a known kernel; known kernels: {', '.join(KERNELS)}")
    module, attribute = _WHERE[name]
    try:
        found = getattr(importlib.import_module(module), attribute)
    except Exception as err:  # a kernel that raises on import must not take the others down
        raise KernelUnavailable(f"kernel: {name!r} cannot be loaded here ({type(err).__name__}: {err})") from err
    if found.name != name:
        raise KernelUnavailable(f"kernel: {module}.{attribute} calls itself {found.name!r}, not {name!r}")
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
