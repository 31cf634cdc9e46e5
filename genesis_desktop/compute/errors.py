"""The two kinds of failure a backend reports, as in PSI/J: retrying helps, or it never will.

Kept in a module of its own, with no imports, so that `kernel.py`, the plugin API and the engine
share one hierarchy without importing each other.
"""
from __future__ import annotations


class ComputeError(Exception):
    """Any failure of the compute engine or a backend."""


class PermanentError(ComputeError):
    """Retrying, or sending the same spec again, cannot help: a bad spec, an unknown job, a refusal."""


class TransientError(ComputeError):
    """Worth trying again later: the backend could not be reached, a queue was full, a timeout."""


class BackendUnavailable(ComputeError):
    """A backend cannot be used here: not installed, failed to load, wrong API version, safe mode,
    or its probe failed. The message is the reason shown to people and recorded on a fallback."""
