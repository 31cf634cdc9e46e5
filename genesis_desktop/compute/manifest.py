"""A backend's manifest: what it is, read as data before (and without) importing any of its code.

A backend registers one entry point in the group `genesis_desktop.backends` whose value names a
TOML file inside one of its packages, `package.subpackage:file.toml` (the shape napari uses for its
YAML manifests). The file is found from the package's import spec and the folders under it; no
module of the plugin runs, so a plugin that is broken or of another API version is still listed,
with its name, version and the reason it cannot be used. The manifest names the backend class, which
is imported only when the backend is used.
"""
from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import BackendUnavailable

FIELDS = {"name": str, "version": str, "api_version": int, "backend": str, "description": str, "capabilities": list}
REQUIRED = {"name", "api_version", "backend"}


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    api_version: int
    backend: str  # "module:Class", a subclass of api.Backend
    description: str = ""
    capabilities: tuple[str, ...] = ()  # for example "gpus", "processes", "cancel", "attach", "resume"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "capabilities": list(self.capabilities)}


def manifest_path(reference: str) -> Path:
    """The file named by an entry-point value `package.sub:file.toml`, found without running any module."""
    package, sep, filename = reference.partition(":")
    if not sep or not package or not filename.endswith(".toml"):
        raise BackendUnavailable(f"entry point value {reference!r} must be 'package:manifest.toml'")
    top, *below = package.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level spec is found without executing the package
    except (ImportError, ValueError) as err:
        raise BackendUnavailable(f"package {top!r} cannot be found ({err})") from None
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(f"package {top!r} is not installed as a package folder")
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*below, filename)
        if path.is_file():
            return path
    raise BackendUnavailable(f"manifest {filename} not found in package {package!r}")


def parse_manifest(text: str, source: str, *, default_version: str) -> Manifest:
    """A manifest from TOML text; BackendUnavailable naming the field, the value and the rule."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BackendUnavailable(f"{source}: not valid TOML ({err})") from None
    unknown, missing = set(data) - set(FIELDS), REQUIRED - set(data)
    if unknown or missing:
        raise BackendUnavailable(f"{source}: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}; "
                                 f"a manifest has {', '.join(FIELDS)} ({', '.join(sorted(REQUIRED))} required)")
    for field, kind in FIELDS.items():
        if field in data and (not isinstance(data[field], kind) or isinstance(data[field], bool)):
            raise BackendUnavailable(f"{source}: {field} = {data[field]!r} must be a {kind.__name__}")
    capabilities = data.get("capabilities", [])
    if not all(isinstance(c, str) for c in capabilities):
        raise BackendUnavailable(f"{source}: capabilities = {capabilities!r} must be a list of strings")
    if ":" not in data["backend"]:
        raise BackendUnavailable(f"{source}: backend = {data['backend']!r} must be 'module:Class'")
    return Manifest(name=data["name"], version=data.get("version", default_version),
                    api_version=data["api_version"], backend=data["backend"],
                    description=data.get("description", ""), capabilities=tuple(capabilities))


def read_manifest(reference: str, *, default_version: str) -> Manifest:
    path = manifest_path(reference)
    return parse_manifest(path.read_text(encoding="utf-8"), str(path), default_version=default_version)
