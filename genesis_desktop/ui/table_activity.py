"""What a table page is doing in the background: a line of text, a progress bar and a Cancel button.

The worker never touches these widgets. It counts into a `Progress` (table_reader.py) and the strip
reads that object on a timer, ten times a second, while the work lasts; Cancel sets its flag, which
the worker sees at its next chunk.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .table_reader import Progress

POLL_MS = 100
NOTICE_MS = 10_000  # how long the outcome of a finished task stays said


class ActivityStrip(QWidget):
    """Hidden while idle; otherwise 'Loading proposals… 40,000 of 1,000,000' with a bar that fills (a
    busy bar while the total is unknown), and Cancel where the work can be cancelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity")
        self.label = QLabel(objectName="activityText")
        self.bar = QProgressBar(objectName="activityBar")
        self.bar.setFixedWidth(140)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Progress")
        self.cancel_button = QPushButton("Cancel", objectName="activityCancel")
        self.cancel_button.setAccessibleName("Cancel the work in progress")
        self.cancel_button.setToolTip("Stop this work; nothing half-done is kept")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        layout.addWidget(self.cancel_button)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._notice_timer.timeout.connect(self.hide)
        self._progress: Progress | None = None
        self._text = ""
        self._on_cancel: Callable[[], None] | None = None
        self.hide()

    @property
    def active(self) -> bool:
        return not self.isHidden()

    def track(self, text: str, progress: Progress | None, on_cancel: Callable[[], None] | None = None) -> None:
        """Show `text` and the worker's progress (None: a busy bar); Cancel (shown only with
        `on_cancel`) calls it."""
        self._text, self._progress, self._on_cancel = text, progress, on_cancel
        self._notice_timer.stop()
        self.label.setToolTip("")
        self.bar.show()
        self.cancel_button.setVisible(on_cancel is not None)
        self.cancel_button.setEnabled(True)
        self._poll()
        self.show()
        if progress is not None:
            self._timer.start()

    def finish(self) -> None:
        self._timer.stop()
        self._notice_timer.stop()
        self._progress = self._on_cancel = None
        self.hide()

    def say(self, text: str, tooltip: str = "") -> None:
        """Show how the work ended, without bar or button, for NOTICE_MS."""
        self.finish()
        self.bar.hide()
        self.cancel_button.hide()
        self.label.setText(text)
        self.label.setToolTip(tooltip)
        self.show()
        self._notice_timer.start()

    def _poll(self) -> None:
        progress = self._progress
        fraction = progress.fraction if progress is not None else None
        if fraction is None:
            self.bar.setRange(0, 0)  # a busy bar
            self.label.setText(self._text)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
            self.label.setText(f"{self._text} {progress.done:,} of {progress.total:,}")
        self.bar.setAccessibleDescription(self.label.text())

    def _cancel(self) -> None:
        if self._on_cancel is not None:
            self.cancel_button.setEnabled(False)
            self.label.setText(f"{self._text} cancelling…")
            self._on_cancel()
