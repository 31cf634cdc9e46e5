"""Reading and writing portfolio records as CSV, XLSX, JSON and Parquet, validated before any write.

    import_file(store, "proposals", "proposals.csv")  -> ImportReport, or ImportFailed (nothing written)
    export_file(store, "proposals", "proposals.xlsx")
    export_all(store, "folder/") / import_all(store, "folder/")   (or a workbook.xlsx)

The file formats and every rule are described in docs/file-formats.md.
"""
from .exporter import export_all, export_file, export_frame
from .formats import EXTENSIONS
from .importer import import_all, import_file
from .problems import ImportFailed, ImportReport, Problem
from .registry import KINDS

__all__ = [
    "KINDS", "EXTENSIONS", "import_file", "import_all", "export_file", "export_all", "export_frame",
    "ImportFailed", "ImportReport", "Problem",
]
