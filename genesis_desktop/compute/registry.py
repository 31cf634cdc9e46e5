"""Finding backends: entry points -> manifests (no plugin code runs) -> backend objects (on use).

Every backend, the built-in `local` included, is an entry point in the group
`genesis_desktop.backends` whose value names its manifest file (manifest.py). Listing reads the
manifests only. A backend whose manifest cannot be read, whose API version differs, whose name is
taken, or which safe mode leaves out is listed with that reason and never imported. Importing
happens in `load`, and any exception there makes the backend unavailable, never the program fail.
"""
from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from typing import Any, Mapping, Sequence

from .api import API_VERSION, Backend, Probe
from .errors import BackendUnavailable
from .jobstore import JobStore
from .manifest import Manifest, read_manifest
from .settings import backend_settings

GROUP = "genesis_desktop.backends"
BUILTIN = "local"
DISTRIBUTION = "genesis-desktop"
BUILTIN_MANIFEST = "genesis_desktop.compute:local.toml"


@dataclass(frozen=True)
class BackendEntry:
    name: str
    distribution: str
    reference: str  # the entry point's value: where the manifest is
    manifest: Manifest | None
    problem: str | None  # why it cannot be used, known before importing anything; None if none known

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution,
                "manifest": self.manifest.to_json() if self.manifest else None, "problem": self.problem}


def discover(*, safe_mode: bool = False) -> list[BackendEntry]:
    """Every backend installed, by name, without importing any of them."""
    found: dict[str, BackendEntry] = {}
    # This distribution's entry points first, so that no plugin can take the built-in's name.
    for ep in sorted(entry_points(group=GROUP), key=lambda ep: _normal(_dist_name(ep)) != DISTRIBUTION):
        dist = _dist_name(ep)
        entry = _entry(ep.name, dist, ep.value, ep.dist.version if ep.dist else "0")
        if ep.name in found:  # listed under a longer name, so that the first keeps its own
            taken = f"the name {ep.name!r} is already taken by {found[ep.name].distribution}"
            found[f"{ep.name} ({dist})"] = replace(entry, name=f"{ep.name} ({dist})", problem=taken)
            continue
        if safe_mode and not _is_builtin(entry):
            entry = _with_problem(entry, "safe mode: only the built-in local backend is loaded")
        found[ep.name] = entry
    if BUILTIN not in found:
        # A frozen build may lose the distribution's metadata; the built-in must work regardless.
        found[BUILTIN] = _entry(BUILTIN, DISTRIBUTION, BUILTIN_MANIFEST, _own_version())
    return sorted(found.values(), key=lambda e: (e.name != BUILTIN, e.name))


def find(name: str, *, safe_mode: bool = False) -> BackendEntry:
    entries = {e.name: e for e in discover(safe_mode=safe_mode)}
    if name not in entries:
        raise BackendUnavailable(f"backend {name!r} is not installed; installed: {', '.join(entries)}")
    return entries[name]


def load(entry: BackendEntry, store: JobStore | None, options: Mapping[str, Any] | None = None) -> Backend:
    """Import the backend's code and make one with `options`, or else its settings (settings.py);
    BackendUnavailable with the reason if that fails."""
    if entry.problem:
        raise BackendUnavailable(f"backend {entry.name}: {entry.problem}")
    if options is None:
        try:
            options = backend_settings(entry.name)
        except BackendUnavailable:
            if entry.name != BUILTIN:
                raise
            options = {}  # the fallback must work even when the settings file does not
    cls = backend_class(entry)
    try:
        return cls(store, entry.manifest, options)
    except Exception as err:
        raise BackendUnavailable(f"backend {entry.name}: could not be made: {type(err).__name__}: {err}") from err


def backend_class(entry: BackendEntry) -> type[Backend]:
    """The backend's class, imported as its manifest names it; BackendUnavailable saying why not."""
    if entry.problem:
        raise BackendUnavailable(f"backend {entry.name}: {entry.problem}")
    module, _, attribute = entry.manifest.backend.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attribute)
    except Exception as err:  # whatever a broken plugin raises, the program goes on without it
        raise BackendUnavailable(f"backend {entry.name}: importing {entry.manifest.backend} failed: "
                                 f"{type(err).__name__}: {err}") from err
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendUnavailable(f"backend {entry.name}: {entry.manifest.backend} is not a Backend subclass")
    return cls


def probe(backend: Backend, timeout: float) -> Probe:
    return probe_all([backend], timeout)[0]


def probe_all(backends: Sequence[Backend], timeout: float) -> list[Probe]:
    """Each backend's probe, asked all at once; one that has not answered after `timeout` seconds (plus
    a little) counts as unreachable."""
    answers: list[list[Probe]] = [[] for _ in backends]

    def ask(backend: Backend, answer: list[Probe]) -> None:
        try:
            answer.append(backend.probe(timeout))
        except Exception as err:
            answer.append(Probe(False, f"probe failed: {type(err).__name__}: {err}"))

    # Daemon threads: a probe stuck on the network must not keep the program from exiting.
    askers = [threading.Thread(target=ask, args=(b, a), name=f"probe-{b.name}", daemon=True)
              for b, a in zip(backends, answers)]
    for t in askers:
        t.start()
    deadline = time.monotonic() + timeout + 0.5
    for t in askers:
        t.join(max(0.0, deadline - time.monotonic()))
    return [a[0] if a else Probe(False, f"no answer to the probe within {timeout:g} s") for a in answers]


def availability(entries: Sequence[BackendEntry], timeout: float) -> list[Probe]:
    """Whether each listed backend could run a job now: it loads, and its probe says it is reachable."""
    loaded: dict[int, Backend] = {}
    answers: list[Probe | None] = []
    for i, entry in enumerate(entries):
        try:
            loaded[i] = load(entry, None)
            answers.append(None)
        except BackendUnavailable as err:
            answers.append(Probe(False, str(err)))
    probes = dict(zip(loaded, probe_all(list(loaded.values()), timeout)))
    for backend in loaded.values():
        backend.close()
    return [answer or probes[i] for i, answer in enumerate(answers)]


def select(name: str, store: JobStore, *, safe_mode: bool = False, timeout: float = 5.0,
           options: Mapping[str, Any] | None = None, tries: int = 3, backoff_s: float = 0.5
           ) -> tuple[Backend, str | None]:
    """The backend asked for, or the local one with the reason it was not usable (the fallback rule).
    A probe that fails is asked again `tries` times in all, waiting backoff_s, then twice that, ..."""
    try:
        backend = load(find(name, safe_mode=safe_mode), store, options)
    except BackendUnavailable as err:
        return _builtin(store), str(err)
    if name == BUILTIN:
        return backend, None
    for attempt in range(max(1, tries)):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))
        answer = probe(backend, timeout)
        if answer.reachable:
            return backend, None
    backend.close()
    tried = f" ({tries} tries)" if tries > 1 else ""
    return _builtin(store), f"backend {name}: not reachable{tried}: {answer.reason}"


def _builtin(store: JobStore) -> Backend:
    return load(find(BUILTIN), store)


def _entry(name: str, dist: str, reference: str, dist_version: str) -> BackendEntry:
    try:
        manifest = read_manifest(reference, default_version=dist_version)
    except BackendUnavailable as err:
        return BackendEntry(name, dist, reference, None, f"manifest: {err}")
    problem = None
    if manifest.api_version != API_VERSION:
        problem = (f"speaks plugin API version {manifest.api_version}; this program speaks {API_VERSION} "
                   f"(install a {name} plugin made for it)")
    elif manifest.name != name:
        problem = f"the manifest calls it {manifest.name!r} but its entry point is {name!r}"
    return BackendEntry(name, dist, reference, manifest, problem)


def _with_problem(entry: BackendEntry, problem: str) -> BackendEntry:
    return replace(entry, problem=entry.problem or problem)


def _is_builtin(entry: BackendEntry) -> bool:
    return entry.name == BUILTIN and _normal(entry.distribution) == DISTRIBUTION


def _dist_name(ep) -> str:
    return ep.dist.name if ep.dist else "?"


def _normal(distribution: str) -> str:
    return distribution.replace("_", "-").lower()


def _own_version() -> str:
    from genesis_desktop import __version__

    return __version__
