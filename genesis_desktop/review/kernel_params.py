"""What the review kernels' `prepare` checks first: the parameters are an object, every required one
is there, none is unknown; then the defaults fill the rest."""
from __future__ import annotations

from typing import Any, Mapping

from genesis_desktop.compute.kernel import SpecError


def with_defaults(kernel: str, params: Any, required: tuple[str, ...], defaults: Mapping[str, Any]) -> dict:
    if not isinstance(params, Mapping):
        raise SpecError(f"{kernel}: the parameters must be an object, got {type(params).__name__}")
    unknown = set(params) - set(defaults) - set(required)
    if unknown:
        raise SpecError(f"{kernel}: unknown parameters {sorted(unknown)}; known: {', '.join([*required, *defaults])}")
    missing = [k for k in required if k not in params]
    if missing:
        raise SpecError(f"{kernel}: parameters {missing} are required")
    return {**defaults, **params}
