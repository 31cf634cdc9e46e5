"""The portfolio's records and their rules. Qt-free: importable and tested without PySide6."""
