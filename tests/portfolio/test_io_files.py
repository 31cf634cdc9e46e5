"""Files that are not what they claim, and typed cells from spreadsheets and Parquet: clear problems, no tracebacks."""
from __future__ import annotations

import json
from datetime import date, datetime

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genesis_desktop.portfolio.io import ImportFailed, Problem, export_frame, import_file
from genesis_desktop.portfolio.io.formats import write_table
from genesis_desktop.portfolio.io.problems import CAP

INSTITUTIONS = "code,name,kind,country,city\n"


def problems_of(store, kind, path, snapshot) -> list[Problem]:
    before = snapshot(store)
    with pytest.raises(ImportFailed) as e:
        import_file(store, kind, path)
    assert snapshot(store) == before
    return e.value.problems


def one(store, kind, path, snapshot) -> Problem:
    found = problems_of(store, kind, path, snapshot)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_empty_file(programme_store, tmp_path, snapshot):
    for ext in ("csv", "json", "xlsx", "parquet"):
        path = tmp_path / f"institutions.{ext}"
        path.write_bytes(b"")
        p = one(programme_store, "institutions", path, snapshot)
        assert (p.row, p.rule) == (None, "the file is empty (0 bytes): it needs at least a header row naming the columns")


def test_blank_lines_only(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_text("\n\n   \n")
    assert one(programme_store, "institutions", path, snapshot).rule.startswith("no header row")


def test_binary_file_named_csv(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    p = one(programme_store, "institutions", path, snapshot)
    assert p.rule == "not a UTF-8 text CSV: a NUL byte on line 3 (is it a binary file?)"
    assert str(p) == f"{path}:header: not a UTF-8 text CSV: a NUL byte on line 3 (is it a binary file?)"


def test_latin1_csv(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_bytes((INSTITUTIONS + "ORNL,Oak Ridge,national_lab,US,\nCNRS,Centre é,agency,FR,Paris\n").encode("latin-1"))
    p = one(programme_store, "institutions", path, snapshot)
    assert p.rule.startswith("not a UTF-8 text CSV: bytes that are not UTF-8 on line 3")


def test_excel_utf8_bom_and_crlf_are_fine(programme_store, tmp_path):
    path = tmp_path / "institutions.csv"
    path.write_bytes(("\ufeff" + INSTITUTIONS + "RIKEN,理化学研究所,foreign_institute,JP,Wako\r\n").replace("\n", "\r\n").encode())
    assert import_file(programme_store, "institutions", path).created == 1
    assert export_frame(programme_store, "institutions").loc[0, "name"] == "理化学研究所"


def test_unsupported_extension_and_missing_files(programme_store, tmp_path):
    with pytest.raises(ImportFailed, match=r"unsupported file type '\.txt': use one of \.csv, \.xlsx, \.json, \.parquet"):
        import_file(programme_store, "institutions", tmp_path / "institutions.txt")
    with pytest.raises(ValueError, match="no such file"):  # ImportFailed is a ValueError
        import_file(programme_store, "institutions", tmp_path / "missing.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ImportFailed, match="not a file"):
        import_file(programme_store, "institutions", tmp_path / "folder.csv")
    with pytest.raises(ValueError, match="unknown kind 'institution'"):
        import_file(programme_store, "institution", tmp_path / "x.csv")


def test_row_with_too_many_cells(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_text(INSTITUTIONS + "A,Alpha,university,US,\nB,Beta,university,US,Boston,extra\n")
    p = one(programme_store, "institutions", path, snapshot)
    assert (p.row, p.rule) == (3, "this row has 6 cells but the header names 5 columns")


def test_short_rows_and_blank_lines_keep_row_numbers(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.csv"
    path.write_text(INSTITUTIONS + "A,Alpha,university,US\n\nB,Beta,university\n\n")
    p = one(programme_store, "institutions", path, snapshot)
    assert (p.row, p.column, p.rule) == (4, "country", "a value is required")


def test_trailing_empty_column_is_ignored(programme_store, tmp_path):
    path = tmp_path / "institutions.csv"
    path.write_text("code,name,kind,country,city,\nA,Alpha,university,US,,\n")
    assert import_file(programme_store, "institutions", path).created == 1


def test_leading_zeros_stay(programme_store, tmp_path):
    path = tmp_path / "institutions.csv"
    path.write_text(INSTITUTIONS + "007,Bond,nonprofit,GB,\n0042,Answers,nonprofit,GB,\n")
    import_file(programme_store, "institutions", path)
    assert list(export_frame(programme_store, "institutions")["code"]) == ["0042", "007"]


def test_json_shapes(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.json"
    for text, rule in [
        ('{"code": "A"}', "expected a JSON array of objects, one per row"),
        ('[{"code": "A",}]', "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 15"),
    ]:
        path.write_text(text)
        assert one(programme_store, "institutions", path, snapshot).rule == rule
    path.write_text(json.dumps([{"code": "A", "name": "A", "kind": "university", "country": "US"}, ["B"],
                                {"code": "C", "name": ["x", "y"], "kind": "university", "country": "US"}]))
    found = problems_of(programme_store, "institutions", path, snapshot)
    assert [(p.row, p.column) for p in found] == [(2, ""), (3, "name")]
    assert found[1].rule.startswith("a value must be text, a number, true/false or null")
    path.write_text("[]")
    assert import_file(programme_store, "institutions", path).created == 0


def test_json_typed_values_are_read_as_text(portfolio, tmp_path):
    rows = json.loads(_exported(portfolio, "proposals", tmp_path / "p.json").read_text())
    for r in rows:
        r["requested_gpu_hours"] = int(r["requested_gpu_hours"])
        r["submitted_on"] = r["submitted_on"] or None
    (tmp_path / "p.json").write_text(json.dumps(rows))
    assert import_file(portfolio, "proposals", tmp_path / "p.json").updated == 3


def test_typed_xlsx_cells(programme_store, tmp_path, snapshot):
    """Numbers, dates and booleans typed into a spreadsheet become our text before any rule looks at them."""
    import_file(programme_store, "institutions", _write(tmp_path / "i.csv", INSTITUTIONS + "ORNL,Oak Ridge,national_lab,US,\n"))
    path = tmp_path / "calls.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["number", "title", "currency", "total_budget", "opens_on", "closes_on", "phases", "award_floor",
               "award_ceiling", "duration_months"])
    ws.append(["C-1", "Typed", "USD", 1500000.5, datetime(2026, 3, 17), date(2026, 5, 19), "I", "I=1", "I=2", "I=9"])
    ws.append(["C-2", "Too precise", "USD", 1500000.505, None, None, "I", "I=1", "I=2", "I=9"])
    wb.save(path)
    p = one(programme_store, "calls", path, snapshot)
    assert (p.row, p.column, p.value, p.rule) == (3, "total_budget", "1500000.505",
                                                  "USD has 2 decimal places; '1500000.505' has more")
    ws.delete_rows(3)
    wb.save(path)
    import_file(programme_store, "calls", path)
    call = export_frame(programme_store, "calls").iloc[0]
    assert (call["total_budget"], call["opens_on"], call["closes_on"]) == ("1500000.50", "2026-03-17", "2026-05-19")


def test_xlsx_problems(programme_store, tmp_path, snapshot):
    path = tmp_path / "institutions.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert one(programme_store, "institutions", path, snapshot).rule.startswith("not an XLSX workbook")
    wb = openpyxl.Workbook()
    wb.active.title = "people"
    wb.create_sheet("things")
    wb.save(path)
    assert one(programme_store, "institutions", path, snapshot).rule == (
        "the workbook has no sheet named 'institutions' (sheets: people, things)")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code", "name", "kind", "country"])
    ws.append(["A", "Alpha", "university", "US", None, "stray"])
    ws.append(["B", "Beta", "university", True])
    wb.save(path)
    found = problems_of(programme_store, "institutions", path, snapshot)
    assert [(p.row, p.column, p.value) for p in found] == [(1, "(column 6)", "(column 6)"), (3, "country", "true")]
    assert found[0].rule.startswith("unknown column: institutions has columns code, name")


def test_typed_parquet_columns(programme_store, tmp_path, snapshot):
    path = tmp_path / "rates.parquet"
    pq.write_table(pa.table({
        "base": ["USD", "EUR"], "quote": ["JPY", "USD"], "on": pa.array([date(2026, 6, 4)] * 2, pa.date32()),
        "rate": [149.35, 1.0825], "source": [None, "ECB"]}), path)
    assert import_file(programme_store, "rates", path).created == 2
    assert list(export_frame(programme_store, "rates")["rate"]) == ["1.0825", "149.35"]
    path.write_bytes(b"PAR1 not parquet PAR1")
    assert one(programme_store, "rates", path, snapshot).rule.startswith("not a readable Parquet file")


def test_problem_list_is_capped(programme_store, tmp_path, snapshot):
    rows = "".join(f"C{i},Name,university,usa,\n" for i in range(CAP + 500))
    path = _write(tmp_path / "institutions.csv", INSTITUTIONS + rows)
    before = snapshot(programme_store)
    with pytest.raises(ImportFailed) as e:
        import_file(programme_store, "institutions", path)
    assert snapshot(programme_store) == before
    assert (len(e.value.problems), e.value.more, e.value.total) == (CAP, 500, CAP + 500)
    lines = str(e.value).splitlines()
    assert len(lines) == CAP + 1 and lines[-1] == "... and 500 more problems"
    assert lines[0] == f"{path}:2: column country: value 'usa': must be an ISO 3166 alpha-2 country code: " \
                       "two capital letters such as US or JP"


def test_long_values_are_shortened_in_messages(programme_store, tmp_path, snapshot):
    path = _write(tmp_path / "institutions.csv", INSTITUTIONS + "A,Alpha,university,US,\n" + "B,B,uni'versity" + "x" * 200 + ",US,\n")
    p = one(programme_store, "institutions", path, snapshot)
    assert len(p.value) > 200
    assert "value 'uni\\'versity" in str(p) and "...'" in str(p) and len(str(p)) < 300


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _exported(store, kind, path):
    write_table(export_frame(store, kind), path)
    return path
