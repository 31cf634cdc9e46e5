"""The status bar's word on compute: which backends are installed and which can be reached now.

Probing may wait on a network, so it runs on the Desk's workers; the label says "checking" until the
answers arrive. Reachable or not is written out (✓/✗ and words), never told by colour alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QLabel

from genesis_desktop.compute import registry

from .desk import Desk

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class BackendState:
    name: str
    reachable: bool
    reason: str


def probe_backends(safe_mode: bool = False, timeout: float = PROBE_TIMEOUT_S) -> list[BackendState]:
    """Every installed backend and whether it could run a job now; runs off the GUI thread."""
    entries = registry.discover(safe_mode=safe_mode)
    # All probes at once: one backend that does not answer must not make the others wait in line.
    answers = registry.availability(entries, timeout)
    return [BackendState(entry.name, answer.reachable, answer.reason) for entry, answer in zip(entries, answers)]


def describe(states: list[BackendState]) -> tuple[str, str]:
    """The label's text and its tooltip."""
    if not states:
        return "Compute: no backend installed", "No compute backend is installed."
    text = "Compute: " + "  ".join(f"{s.name} {'✓' if s.reachable else '✗'}" for s in states)
    tip = "\n".join(f"{s.name}: {'reachable' if s.reachable else 'unavailable'} — {s.reason}" for s in states)
    return text, tip


class BackendStatusLabel(QLabel):
    def __init__(self, desk: Desk, parent=None) -> None:
        super().__init__("Compute: checking backends…", parent, objectName="backendStatus")
        self.desk = desk
        self.states: list[BackendState] | None = None
        self.setAccessibleName("Compute backends")

    def refresh(self) -> None:
        safe_mode = self.desk.safe_mode
        self.desk.load("backend-status", lambda: probe_backends(safe_mode), self._show, self._failed)

    def _show(self, states: list[BackendState]) -> None:
        self.states = states
        text, tip = describe(states)
        self.setText(text)
        self.setToolTip(tip)

    def _failed(self, message: str) -> None:
        self.states = []
        self.setText("Compute: could not list backends")
        self.setToolTip(message)
