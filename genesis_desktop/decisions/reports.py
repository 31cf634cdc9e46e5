"""Write a report to a file in one call, the format taken from the file's extension: the door the
desktop and `genesis report` both use, so that they make the same files."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from .report_data import ReportError, decision_file_data, portfolio_report_data

PORTFOLIO_FORMATS = (".pdf", ".xlsx")
DECISION_FORMATS = (".pdf", ".xlsx")


def report_format(path: str | Path, allowed: tuple[str, ...] = PORTFOLIO_FORMATS) -> str:
    """The file's extension if a report can be written as it, else ReportError naming the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise ReportError(f"{Path(path).name}: unknown extension {suffix or '(none)'!r}; use "
                          f"{' or '.join(allowed)}")
    return suffix


def _write(data: dict, path: Path, suffix: str) -> Path:
    if suffix == ".pdf":
        from .report_pdf import write_decision_pdf, write_portfolio_pdf

        return (write_portfolio_pdf if data["kind"] == "portfolio" else write_decision_pdf)(data, path)
    from .report_xlsx import write_xlsx

    return write_xlsx(data, path)


def export_portfolio_report(store, scenario_name: str, path: str | Path, today: date | None = None) -> Path:
    """The solved scenario's portfolio report as PDF or XLSX (by `path`'s extension)."""
    suffix = report_format(path)  # before any reading: a wrong name costs nothing
    return _write(portfolio_report_data(store, scenario_name, today), Path(path), suffix)


def export_decision_file(store, proposal_code: str, path: str | Path, today: date | None = None) -> Path:
    """The proposal's decision file as PDF or XLSX (by `path`'s extension)."""
    suffix = report_format(path, DECISION_FORMATS)
    return _write(decision_file_data(store, proposal_code, today), Path(path), suffix)
