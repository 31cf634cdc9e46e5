"""Live telemetry of the selected jobs: one plot per quantity, every job a run in it, with its log.

The panel polls the job store off the GUI thread (4 times a second while a shown job is unfinished)
for the events after each job's last sequence number and decodes them there into arrays; the GUI
thread appends them to the job's series in one call each; the plots redraw on their own 30 Hz timers. A plot
appears when its first series does: progress and throughput for every job, one per estimate with
its 95% band, and CPU, memory and GPU plots where the backend reports them.

Smoothing, x axis and pause are set once for all plots (as TensorBoard does); log scale, follow
and export belong to each plot. A run pinned in any legend stays in every plot when the selection
changes. A failed job shows its error above the log, next to the plots.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QScrollArea, QSlider, QSplitter, QVBoxLayout, QWidget)

from genesis_desktop.compute.jobs import JobState

from .compute_jobs import JobTelemetry, telemetry_since
from .desk import Desk
from .telemetry_plot import X_TITLES, LivePlot
from .telemetry_plot_controls import set_quietly
from .telemetry_series import (ESTIMATE_PREFIX, METRIC_PREFIX, PROGRESS, RESOURCE_FIELDS, THROUGHPUT, X_MODES,
                               DecodedEvents, RunTelemetry, decode_events)

POLL_MS = 250
PLOT_COLUMNS = 2
LOG_LINES = 2000
FIXED_TITLES = {PROGRESS: "Progress (share of blocks done)", THROUGHPUT: "Throughput (per second)",
                "cpu_percent": "CPU (%)", "rss_mb": "Memory (MB)", "gpu_util_percent": "GPU utilisation (%)",
                "gpu_memory_mb": "GPU memory (MB)"}


def plot_title(series_name: str) -> str:
    if series_name.startswith(ESTIMATE_PREFIX):
        return f"{series_name[len(ESTIMATE_PREFIX):]} (estimate, 95% band)"
    if series_name.startswith(METRIC_PREFIX):
        return series_name[len(METRIC_PREFIX):]
    return FIXED_TITLES.get(series_name, series_name)


def plot_order(series_name: str) -> tuple[int, str]:
    """Progress, throughput, estimates, metrics, then resources in their own order."""
    if series_name == PROGRESS:
        return (0, "")
    if series_name == THROUGHPUT:
        return (1, "")
    if series_name.startswith(ESTIMATE_PREFIX):
        return (2, series_name)
    if series_name in RESOURCE_FIELDS:
        return (4, str(RESOURCE_FIELDS.index(series_name)))
    return (3, series_name)


def _log_line(label: str, event) -> str | None:
    """Log lines as they are, and the job's state changes, which tell its story between them."""
    kind, p = getattr(event.kind, "value", event.kind), event.payload
    when = event.at.strftime("%H:%M:%S")
    if kind == "log":
        return f"{when} {label}  {p['level']}: {p['line']}"
    if kind == "state":
        return f"{when} {label}  state: {p['state']}" + (f" ({p['note']})" if p.get("note") else "")
    return None


class _Job:
    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.telemetry = RunTelemetry()
        self.label: str | None = None  # decided by the first poll: "#12 risk on local"
        self.state: str | None = None
        self.error: str | None = None


class TelemetryPanel(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.jobs: dict[int, _Job] = {}
        self.pinned: set[int] = set()
        self.plots: dict[str, LivePlot] = {}
        self._polling = False
        self.smoothing, self.x_mode, self.paused = 0.0, X_MODES[0], False

        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal, accessibleName="Smoothing", maximum=999)
        self.smoothing_slider.setToolTip("Smoothing of every plot: debiased exponential moving average "
                                         "(the raw line stays faint underneath)")
        self.smoothing_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 1000))
        smoothing_label = QLabel("S&moothing")
        smoothing_label.setBuddy(self.smoothing_slider)
        self.x_box = QComboBox(accessibleName="X axis")
        for mode in X_MODES:
            self.x_box.addItem(X_TITLES[mode], mode)
        self.x_box.currentIndexChanged.connect(lambda i: self.set_x_mode(self.x_box.itemData(i)))
        x_label = QLabel("&X axis")
        x_label.setBuddy(self.x_box)
        self.pause_button = QPushButton("&Pause", checkable=True, objectName="pauseTelemetry")
        self.pause_button.setToolTip("Stop the live update of every plot; the data keeps arriving")
        self.pause_button.toggled.connect(self.set_paused)
        bar = QHBoxLayout()
        for w in (smoothing_label, self.smoothing_slider, x_label, self.x_box, self.pause_button):
            bar.addWidget(w)
        bar.addStretch(1)

        self.placeholder = QLabel("Select one or more jobs to plot their telemetry here. Right-click a run "
                                  "in a legend to pin it while you look at others.", wordWrap=True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.grid_box)
        plots_box = QWidget()
        plots_layout = QVBoxLayout(plots_box)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addLayout(bar)
        plots_layout.addWidget(self.placeholder)
        plots_layout.addWidget(scroll, 1)

        self.error = QLabel(objectName="jobError", wordWrap=True, visible=False)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setAccessibleName("Job errors")
        self.error.setStyleSheet("QLabel#jobError { background: #FDE7E9; color: #5C0011; border: 1px solid #D13438; "
                                 "border-radius: 4px; padding: 6px 10px; }")
        self.log = QPlainTextEdit(readOnly=True, objectName="jobLog")
        self.log.setAccessibleName("Job log")
        self.log.setMaximumBlockCount(LOG_LINES)
        # Tracebacks keep their shape: fixed width, no wrapping.
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText("The log lines of the jobs shown appear here as they come.")
        log_box = QWidget()
        log_layout = QVBoxLayout(log_box)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.addWidget(QLabel("Log"))
        log_layout.addWidget(self.error)
        log_layout.addWidget(self.log, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(plots_box)
        splitter.addWidget(log_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    # Which jobs ---------------------------------------------------------------------------------

    def show_jobs(self, job_ids) -> None:
        """Plot these jobs (and the pinned ones); the others leave the plots."""
        wanted = set(job_ids) | self.pinned
        for job_id in [j for j in self.jobs if j not in wanted]:
            job = self.jobs.pop(job_id)
            if job.label:
                for plot in self.plots.values():
                    if job.label in plot.runs:
                        plot.remove_run(job.label)
        for job_id in wanted:
            self.jobs.setdefault(job_id, _Job(job_id))
        self._drop_empty_plots()
        self._show_log_and_errors()
        self.placeholder.setVisible(not self.jobs)
        if self.jobs:
            self.poll()

    def _pin(self, label: str, pinned: bool) -> None:
        job = next((j for j in self.jobs.values() if j.label == label), None)
        if job is None:
            return
        (self.pinned.add if pinned else self.pinned.discard)(job.job_id)
        for plot in self.plots.values():
            if label in plot.runs:
                plot.set_pinned(label, pinned)

    # Polling ------------------------------------------------------------------------------------

    def poll(self) -> None:
        if self._polling or not self.jobs or self.desk.closed:
            return
        self._polling = True
        engine = self.desk.engine
        cursors = {j.job_id: j.telemetry.cursor for j in self.jobs.values()}
        labels = {j.job_id: j.label for j in self.jobs.values()}

        def fetch_and_decode() -> list[tuple[JobTelemetry, DecodedEvents, list[str]]]:
            # Decoding a backlog is Python per event: done here, the GUI thread only appends arrays.
            found = telemetry_since(engine, {job_id: c.last_seq for job_id, c in cursors.items()})
            return [(jt, decode_events(jt.events, cursors[jt.job_id]),
                     [line for e in jt.events if (line := _log_line(labels[jt.job_id] or jt.label, e))])
                    for jt in found]

        self.desk.load("telemetry-poll", fetch_and_decode, self._arrived, self._failed)

    def _failed(self, message: str) -> None:
        self._polling = False
        self.error.setText(f"Could not read the telemetry: {message}")
        self.error.show()

    def _arrived(self, found: list[tuple[JobTelemetry, DecodedEvents, list[str]]]) -> None:
        self._polling = False
        lines, more = [], False
        for jt, decoded, job_lines in found:
            job = self.jobs.get(jt.job_id)
            changed = None if job is None else job.telemetry.apply(decoded)
            if changed is None:  # unselected, or selected afresh, while the poll ran
                continue
            job.label = job.label or jt.label
            job.state, job.error = jt.state, jt.error
            for name in sorted(changed, key=plot_order):
                plot = self._plot(name)
                if job.label not in plot.runs:
                    plot.add_run(job.label, job.telemetry.series[name])
                    if job.job_id in self.pinned:
                        plot.set_pinned(job.label, True)
            lines += job_lines
            more = more or jt.more
        if lines:
            self.log.appendPlainText("\n".join(lines))
        self._show_log_and_errors()
        unfinished = any(j.state is None or not JobState(j.state).is_final for j in self.jobs.values())
        if more:
            QTimer.singleShot(0, self.poll)
        if (unfinished or more) and self.isVisible():
            self.timer.start()
        else:
            self.timer.stop()

    def _show_log_and_errors(self) -> None:
        failed = [f"✗ {j.label} failed: {j.error}" for j in self.jobs.values()
                  if j.state == JobState.FAILED.value and j.label]
        self.error.setText("\n".join(failed))
        self.error.setVisible(bool(failed))

    # Plots --------------------------------------------------------------------------------------

    def _plot(self, series_name: str) -> LivePlot:
        plot = self.plots.get(series_name)
        if plot is None:
            plot = self.plots[series_name] = LivePlot(plot_title(series_name))
            plot.setObjectName(f"plot:{series_name}")
            plot.hide_shared_controls()
            plot.setMinimumHeight(260)
            plot.set_smoothing(self.smoothing)
            plot.set_x_mode(self.x_mode)
            plot.set_paused(self.paused)
            plot.pin_changed.connect(self._pin)
            self._lay_out_plots()
        return plot

    def _drop_empty_plots(self) -> None:
        for name in [n for n, p in self.plots.items() if not p.runs]:
            plot = self.plots.pop(name)
            self.grid.removeWidget(plot)
            plot.deleteLater()
        self._lay_out_plots()

    def _lay_out_plots(self) -> None:
        for plot in self.plots.values():
            self.grid.removeWidget(plot)
        for i, name in enumerate(sorted(self.plots, key=plot_order)):
            self.grid.addWidget(self.plots[name], i // PLOT_COLUMNS, i % PLOT_COLUMNS)

    # Shared settings ----------------------------------------------------------------------------

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = weight
        set_quietly(self.smoothing_slider, self.smoothing_slider.setValue, round(weight * 1000))
        for plot in self.plots.values():
            plot.set_smoothing(weight)

    def set_x_mode(self, mode: str) -> None:
        self.x_mode = mode
        set_quietly(self.x_box, self.x_box.setCurrentIndex, X_MODES.index(mode))
        for plot in self.plots.values():
            plot.set_x_mode(mode)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        set_quietly(self.pause_button, self.pause_button.setChecked, paused)
        for plot in self.plots.values():
            plot.set_paused(paused)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.poll()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()
