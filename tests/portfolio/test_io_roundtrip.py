"""Export, import into a fresh portfolio, export again: the same files, for every kind and every format."""
from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from genesis_desktop.portfolio.io import (
    EXTENSIONS, KINDS, ImportFailed, export_all, export_file, export_frame, import_all, import_file,
)

FORMATS = [e.lstrip(".") for e in EXTENSIONS]


def test_kinds_are_in_dependency_order():
    assert KINDS == ("institutions", "challenges", "calls", "partners", "rates", "commitments", "proposals",
                     "reviewers", "reviews")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_round_trips(portfolio, fresh_store, tmp_path, fmt):
    for kind in KINDS:
        first = tmp_path / f"{kind}.{fmt}"
        export_file(portfolio, kind, first)
        report = import_file(fresh_store, kind, first)
        assert (report.kind, report.created, report.updated) == (kind, len(export_frame(portfolio, kind)), 0)
        second = tmp_path / f"{kind}-again.{fmt}"
        export_file(fresh_store, kind, second)
        pd.testing.assert_frame_equal(export_frame(fresh_store, kind), export_frame(portfolio, kind))
        if fmt in ("csv", "json"):
            assert second.read_bytes() == first.read_bytes(), kind


def test_export_all_to_parquet_folder_and_back(portfolio, fresh_store, tmp_path):
    written = export_all(portfolio, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(f"{k}.parquet" for k in KINDS)
    for path in written:
        assert all(str(t) == "string" for t in pq.read_schema(path).types)  # text, as in every format
    reports = import_all(fresh_store, tmp_path / "out")
    assert [r.kind for r in reports] == list(KINDS)
    for kind in KINDS:
        pd.testing.assert_frame_equal(export_frame(fresh_store, kind), export_frame(portfolio, kind))


def test_export_all_to_workbook_and_back(portfolio, fresh_store, tmp_path):
    book = tmp_path / "portfolio.xlsx"
    export_all(portfolio, book)
    assert openpyxl.load_workbook(book, read_only=True).sheetnames == list(KINDS)
    import_all(fresh_store, book)
    for kind in KINDS:
        pd.testing.assert_frame_equal(export_frame(fresh_store, kind), export_frame(portfolio, kind))


def test_import_all_from_a_folder_of_mixed_formats(portfolio, fresh_store, tmp_path):
    for i, kind in enumerate(KINDS):
        export_file(portfolio, kind, tmp_path / f"{kind}.{FORMATS[i % len(FORMATS)]}")
    (tmp_path / "README.txt").write_text("other files are left alone")
    import_all(fresh_store, tmp_path)
    for kind in KINDS:
        pd.testing.assert_frame_equal(export_frame(fresh_store, kind), export_frame(portfolio, kind))


def test_reimport_updates_in_place_and_leaves_submitted_reviews(portfolio, tmp_path, snapshot):
    export_all(portfolio, tmp_path)
    before, versions_before = snapshot(portfolio, versions=False), snapshot(portfolio)["proposal"]
    reports = {r.kind: r for r in import_all(portfolio, tmp_path)}
    assert all(r.created == 0 for r in reports.values())
    assert reports["proposals"].updated == 3
    assert (reports["reviews"].updated, reports["reviews"].unchanged) == (1, 1)  # the draft, the submitted one
    after = snapshot(portfolio, versions=False)
    # Same ids, same children; the status history gains nothing when the status did not move.
    for table in ("institution", "proposal", "proposal_budget", "proposal_status_change", "commitment_year",
                  "exchange_rate"):
        assert after[table] == before[table], table
    # A call's phases are written afresh: the same rows, under new ids where the database does not
    # reuse them (PostgreSQL's sequences).
    assert sorted(r[1:] for r in after["call_phase"]) == sorted(r[1:] for r in before["call_phase"])
    # An import writes every record it names: an editor holding one open must look again before saving.
    assert [row[1] + 1 for row in versions_before] == [row[1] for row in snapshot(portfolio)["proposal"]]


def test_update_replaces_children(portfolio, tmp_path):
    frame = export_frame(portfolio, "proposals")
    i = frame.index[frame["code"] == "P-0001"][0]
    frame.loc[i, ["team", "challenges", "budget", "status", "status_changed_on", "status_changed_by"]] = [
        "UTOKYO", "GC-03; GC-01", "FY2026=600000.00", "recommended", "2026-06-01", "panel@energy.gov"]
    path = tmp_path / "proposals.csv"
    frame.to_csv(path, index=False)
    report = import_file(portfolio, "proposals", path)
    assert (report.created, report.updated) == (0, 3)
    row = export_frame(portfolio, "proposals").set_index("code").loc["P-0001"]
    assert (row["team"], row["challenges"], row["budget"]) == ("UTOKYO", "GC-03; GC-01", "FY2026=600000.00")
    assert (row["status"], row["status_changed_on"], row["status_changed_by"]) == (
        "recommended", "2026-06-01", "panel@energy.gov")


def test_import_writes_one_status_change(programme_store, portfolio_files):
    import_all(programme_store, portfolio_files)
    from sqlalchemy import select

    from genesis_desktop.portfolio.schema import Proposal, ProposalStatusChange
    with programme_store.engine.connect() as conn:
        rows = conn.execute(select(Proposal.code, ProposalStatusChange.status, ProposalStatusChange.changed_at,
                                   ProposalStatusChange.changed_by)
                            .join(Proposal, Proposal.id == ProposalStatusChange.proposal_id).order_by(Proposal.code)).all()
    assert [(c, s.value, at.date().isoformat(), by) for c, s, at, by in rows] == [
        ("007-A", "awarded", "2026-08-01", "board"),
        ("P-0001", "under_review", "2026-05-02", "officer@energy.gov"),
        ("P-0002", "submitted", "2026-05-19", "portal"),
    ]


def test_status_change_defaults(programme_store, portfolio_files, tmp_path):
    frame = pd.read_csv(portfolio_files / "proposals.csv", dtype=str, keep_default_na=False)
    frame["status_changed_by"] = ""
    frame.loc[frame["code"] == "P-0001", "status_changed_on"] = ""
    frame.to_csv(portfolio_files / "proposals.csv", index=False)
    import_all(programme_store, portfolio_files)
    out = export_frame(programme_store, "proposals").set_index("code")
    assert set(out["status_changed_by"]) == {"import"}
    assert out.loc["P-0001", "status_changed_on"] == "2026-04-20"  # submitted_on stands in


def test_text_survives_every_format(portfolio, fresh_store, tmp_path):
    """Leading zeros, quotes, separators inside free text, new lines, non-ASCII, and '=' at the start."""
    book = tmp_path / "all.xlsx"
    export_all(portfolio, book)
    ws = openpyxl.load_workbook(book)["challenges"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=SUM(A1) is text, not a formula")
    assert cell.data_type == "s"
    import_all(fresh_store, book)
    inst = export_frame(fresh_store, "institutions").set_index("code")
    assert inst.loc["007", "name"] == 'Double-O Seven "Labs"'
    assert inst.loc["RIKEN", "name"] == "理化学研究所 (RIKEN)"
    ch = export_frame(fresh_store, "challenges").set_index("code")
    assert ch.loc["GC-02", "description"] == 'Nuclear data; evaluated, "curated"\nand shared'


def test_json_is_an_array_of_text_objects(portfolio, tmp_path):
    export_file(portfolio, "commitments", tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    jp = next(r for r in data if r["code"] == "JP-2026-Q")
    assert jp["pledged"] == "FY2026=15000000000; FY2027=15000000000"
    assert jp["currency"] == "JPY" and jp["obligated"] == "FY2026=5000000000"
    assert all(isinstance(v, str) for r in data for v in r.values())


def test_header_only_file_is_an_empty_import(programme_store, tmp_path, snapshot):
    for kind in KINDS:
        path = tmp_path / f"{kind}.csv"
        export_file(programme_store, kind, path)  # nothing stored: the header alone
        before = snapshot(programme_store)
        report = import_file(programme_store, kind, path)
        assert (report.created, report.updated) == (0, 0)
        assert snapshot(programme_store) == before


@pytest.mark.parametrize("fmt", ["json", "parquet", "xlsx"])
def test_empty_exports_import_as_nothing(programme_store, tmp_path, fmt):
    for kind in KINDS:
        path = tmp_path / f"{kind}.{fmt}"
        export_file(programme_store, kind, path)
        assert import_file(programme_store, kind, path).created == 0


def test_import_all_is_all_or_nothing(programme_store, portfolio_files, snapshot):
    frame = pd.read_csv(portfolio_files / "reviews.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "reviewer"] = "nobody@example.org"
    frame.to_csv(portfolio_files / "reviews.csv", index=False)
    before = snapshot(programme_store)
    with pytest.raises(ImportFailed) as e:
        import_all(programme_store, portfolio_files)
    assert [(p.row, p.column, p.value) for p in e.value.problems] == [(2, "reviewer", "nobody@example.org")]
    assert snapshot(programme_store) == before


def test_import_all_needs_kind_files(programme_store, tmp_path):
    (tmp_path / "proposal.csv").write_text("code\n")
    (tmp_path / "institutions.csv").write_text("code,name,kind,country\n")
    (tmp_path / "institutions.json").write_text("[]")
    with pytest.raises(ImportFailed) as e:
        import_all(programme_store, tmp_path)
    rules = sorted(p.rule for p in e.value.problems)
    assert rules[0].startswith("a second file for institutions")
    assert rules[1].startswith("not named after a kind")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImportFailed, match="no KIND.csv"):
        import_all(programme_store, empty)


def test_export_rejects_unknown_targets(portfolio, tmp_path):
    with pytest.raises(ValueError, match="unsupported file type '.txt'"):
        export_file(portfolio, "proposals", tmp_path / "p.txt")
    with pytest.raises(ValueError, match="unknown kind 'proposal'"):
        export_file(portfolio, "proposal", tmp_path / "p.csv")
    with pytest.raises(ValueError, match="folder"):
        export_all(portfolio, tmp_path / "all.csv")
