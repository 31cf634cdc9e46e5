"""Which array library a kernel computes with: numpy, or CuPy when a worker has a GPU.

A kernel asks `xp()` for the module and writes its arithmetic once against the numpy API that CuPy
shares. Random numbers are always drawn on the host with `block_rng` (PCG64), so that a block's
inputs are the same bits on a CPU and a GPU and only the arithmetic's rounding can differ.

GENESIS_ARRAY_MODULE = numpy | cupy | auto (the default: CuPy if it imports and sees a device).
"""
from __future__ import annotations

import os
import threading
from types import ModuleType

import numpy as np

_chosen = threading.local()


def choose(preference: str | None = None) -> tuple[ModuleType, str]:
    """(module, why) for this process; `preference` overrides GENESIS_ARRAY_MODULE."""
    want = (preference or os.environ.get("GENESIS_ARRAY_MODULE") or "auto").lower()
    if want not in {"numpy", "cupy", "auto"}:
        raise ValueError(f"GENESIS_ARRAY_MODULE = {want!r}: use numpy, cupy or auto")
    if want == "numpy":
        return np, "numpy (asked for)"
    try:
        import cupy  # type: ignore[import-not-found]

        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # not installed, no driver, no device: all mean "compute on the CPU"
        if want == "cupy":
            raise RuntimeError(f"GENESIS_ARRAY_MODULE=cupy but CuPy cannot be used: {type(err).__name__}: {err}") from err
        return np, f"numpy (no GPU: {type(err).__name__})"
    if devices < 1:
        if want == "cupy":
            raise RuntimeError("GENESIS_ARRAY_MODULE=cupy but no GPU is visible")
        return np, "numpy (no GPU visible)"
    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    return cupy, f"cupy on {name.decode() if isinstance(name, bytes) else name}"


def use(module: ModuleType) -> None:
    """Kernels in this thread compute with `module` from now on."""
    _chosen.module = module


def xp() -> ModuleType:
    return getattr(_chosen, "module", np)
