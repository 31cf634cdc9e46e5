"""The Export… button of a table page: a file dialog, the export in a worker, its progress and Cancel.

The rows and columns exported are fixed when the export starts: the rows the table shows then, in
its order, and the shown columns in their order on screen. The writing is table_export.py's (Qt-free).
"""
from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton

from .resources import icon
from .table_activity import ActivityStrip
from .table_export import FORMATS, export_rows
from .table_reader import Cancelled, Progress

_FILTERS = {".csv": "CSV file (*.csv)", ".xlsx": "Excel workbook (*.xlsx)"}


@functools.cache
def _export_icon() -> QIcon:
    # Rendered once: every table page has the button, and rendering the SVG at each size takes ~10 ms.
    return icon("export", selected=None)


def _run(path: str, table, rows, keys, progress: Progress) -> tuple[str, object]:
    """In the worker: ('done', rows) or ('cancelled', None) or ('failed', message for a person)."""
    try:
        return "done", export_rows(path, table, rows, keys, progress)
    except Cancelled:
        return "cancelled", None
    except (OSError, ValueError) as exc:
        return "failed", str(exc)


class ExportControl(QObject):
    """Owns the page's Export… button, its progress strip and the line that reports the outcome."""

    finished = Signal(str, int)  # path, rows written
    failed = Signal(str)  # what went wrong, or that it was cancelled

    def __init__(self, page) -> None:
        super().__init__(page)
        self.page = page
        self.button = QPushButton(_export_icon(), "Export…", page, objectName="exportButton")
        self.button.setAccessibleName(f"Export visible {page.noun}")
        # Ctrl+E is the main window's File > Export visible rows, which calls the page's export_rows().
        self.button.setToolTip(f"Save the {page.noun} shown, as filtered and sorted, with the shown columns, "
                               "to CSV or Excel (Ctrl+E)")
        self.button.clicked.connect(self.choose_file)
        self.activity = ActivityStrip(page)
        self.activity.setObjectName("exportActivity")
        self.running = False
        self._progress: Progress | None = None

    @property
    def notice(self) -> QLabel:
        """The line that says how the last export ended."""
        return self.activity.label

    def cancel(self) -> None:
        """Stop a running export; its file is not written."""
        if self.running and self._progress is not None:
            self._progress.cancel()

    def choose_file(self) -> None:
        settings = self.page.desk.settings
        folder = settings.value("tables/export_folder") or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder) / f"{self.page.key}.csv")
        path, chosen = QFileDialog.getSaveFileName(self.page, f"Export visible {self.page.noun}", suggested,
                                                   ";;".join(_FILTERS.values()))
        if not path:
            return
        if Path(path).suffix.lower() not in FORMATS:  # no extension typed: the one of the chosen type
            path += ".xlsx" if chosen == _FILTERS[".xlsx"] else ".csv"
        settings.setValue("tables/export_folder", str(Path(path).parent))
        self.export_to(path)

    def export_to(self, path: str | Path) -> None:
        """Export what the table shows now to `path` (.csv or .xlsx) in a worker; `finished` or `failed`."""
        page, path = self.page, str(path)
        table, rows, keys = page.model.table, page.model.view.rows, page.columns.visible_keys()
        progress = self._progress = Progress(total=len(rows))
        self.running = True
        self.button.setEnabled(False)
        self.activity.track(f"Exporting {page.noun}…", progress, on_cancel=progress.cancel)
        page.desk.load(f"{page.key}:export", lambda: _run(path, table, rows, keys, progress),
                       lambda outcome: self._done(path, outcome), lambda message: self._done(path, ("failed", message)))

    def _done(self, path: str, outcome: tuple[str, object]) -> None:
        state, detail = outcome
        self.running = False
        self.button.setEnabled(True)
        name = Path(path).name
        if state == "done":
            text = f"Exported {detail:,} {self.page.noun} to {name}"
        elif state == "cancelled":
            text = f"Export cancelled; {name} was not written"
        else:
            text = f"Could not export: {detail}"
        self.activity.say(text, path)
        if state == "done":
            self.finished.emit(path, int(detail))
        else:
            self.failed.emit(text)
