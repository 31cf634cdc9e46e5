"""Every table view on the small portfolio (tests/ui/conftest.py) plus the partners, commitments,
reviewers and reviews that conftest's `add_partners_and_reviews` writes (the `table_desk` fixture):
the right rows, exact money, counts.
"""
from __future__ import annotations

from genesis_desktop.ui.queries import TABLE_VIEWS
from genesis_desktop.ui.table_views_calls import calls_frame
from genesis_desktop.ui.table_views_partners import commitments_frame

SPECS = {spec.key: spec for spec in TABLE_VIEWS}


def rows(page) -> list[list[str]]:
    model = page.model
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_calls_view_counts_proposals_and_sums_their_requests_exactly(table_desk, open_table_page):
    page = open_table_page(table_desk, "calls")
    assert rows(page) == [
        ["DE-FOA-0003612", "Genesis Mission challenges", "USD", "500,000,000.00", "2026-01-15", "2026-04-30",
         "I, II", "4", "10,350,000.50"],
        ["JST-2026-01", "Joint call with Japan", "JPY", "2,000,000,000", "", "", "I", "1", "50,000,000"],
    ]
    assert page.model.raw_column("budget") == [500_000_000.0, 2_000_000_000.0]
    frame = calls_frame(table_desk.engine)
    assert frame["requested_minor"].tolist() == [1_035_000_050, 50_000_000]


def test_institutions_view_counts_leads_and_team_memberships(table_desk, open_table_page):
    page = open_table_page(table_desk, "institutions")
    assert rows(page) == [
        ["ANL", "Argonne National Laboratory", "National lab", "US", "", "2", "2"],
        ["MIT", "Massachusetts Institute of Technology", "University", "US", "", "2", "2"],
        ["NVCO", "Nova Compute Co.", "Company", "JP", "", "1", "2"],
    ]


def test_partners_view_has_a_row_per_currency_and_never_adds_currencies(table_desk, open_table_page):
    page = open_table_page(table_desk, "partners")
    assert rows(page) == [
        ["ACME", "Acme Quantum", "Company", "US", "", "0", ""],
        ["DOE", "U.S. Department of Energy", "Agency", "US", "JPY", "1", "777"],
        ["DOE", "U.S. Department of Energy", "Agency", "US", "USD", "1", "30,000,000.15"],
        ["JP-MEXT", "Ministry of Education (Japan)", "Agency", "JP", "JPY", "1", "2,000,000,000"],
    ]


def test_commitments_view_spans_fiscal_years_and_keeps_three_exact_amounts(table_desk, open_table_page):
    page = open_table_page(table_desk, "commitments")
    assert rows(page) == [
        ["DOE-F", "DOE", "Fusion match", "Pledged", "USD", "FY2026–FY2028 (US)", "30,000,000.15", "0.00", "0.00"],
        ["DOE-J", "DOE", "Yen side fund", "Pledged", "JPY", "FY2029 (US)", "777", "0", "0"],
        ["MEXT-Q", "JP-MEXT", "Quantum computing", "Obligated", "JPY", "FY2026–FY2027 (JP)", "2,000,000,000",
         "500,000,000", "100,000,000"],
    ]
    frame = commitments_frame(table_desk.engine).set_index("code")
    assert frame.loc["DOE-F", "pledged_minor"] == 3_000_000_015
    assert (frame.loc["MEXT-Q", "first_year"], frame.loc["MEXT-Q", "last_year"]) == (2026, 2027)


def test_reviewers_view_counts_assigned_and_submitted_reviews(table_desk, open_table_page):
    page = open_table_page(table_desk, "reviewers")
    assert rows(page) == [
        ["Ada Lovelace", "ada@mit.example.org", "MIT", "fusion, control", "2", "1"],
        ["Alan Turing", "alan@example.org", "", "", "0", "0"],
        ["Grace Hopper", "grace@anl.example.org", "ANL", "grids", "1", "1"],
    ]


def test_reviews_view_shows_mean_and_every_score(table_desk, open_table_page):
    page = open_table_page(table_desk, "reviews")
    assert rows(page) == [
        ["P-0001", "Ada Lovelace", "Submitted", "2.50", "merit 2 · relevance 3", "2026-05-02 10:30"],
        ["P-0002", "Ada Lovelace", "Draft", "4.00", "merit 4", ""],
        ["P-0002", "Grace Hopper", "Submitted", "2.00", "merit 1 · relevance 2 · team 3", "2026-05-03 09:00"],
    ]
    page.sort_by("score")
    assert page.model.text_column("reviewer") == ["Grace Hopper", "Ada Lovelace", "Ada Lovelace"]


def test_existing_views_still_show_the_portfolio(table_desk, open_table_page, portfolio_data):
    page = open_table_page(table_desk, "proposals")
    assert {r[0]: r[6] for r in rows(page)} == portfolio_data.requested_text
    assert page.count_label.text() == "5 proposals"
    assert open_table_page(table_desk, "challenges").model.rowCount() == len(portfolio_data.challenges)


def test_every_view_names_the_tables_it_reads():
    for spec in TABLE_VIEWS:
        assert spec.tables and spec.streams, spec.key
    assert {"partners", "commitments", "reviewers", "reviews", "calls", "institutions"} <= set(SPECS)


def test_owed_reviews_list_each_assignment_not_yet_submitted(table_desk, open_table_page):
    from sqlalchemy import select

    from genesis_desktop.portfolio.schema import Proposal, Reviewer
    from genesis_desktop.portfolio.reviews import ReviewAssignment

    with table_desk.store.session() as s, s.begin():
        proposal = dict(s.execute(select(Proposal.code, Proposal.id)).all())
        reviewer = dict(s.execute(select(Reviewer.email, Reviewer.id)).all())
        s.add_all(ReviewAssignment(proposal_id=proposal[p], reviewer_id=reviewer[r], position=i)
                  for p, r, i in (("P-0002", "ada@mit.example.org", 0), ("P-0001", "ada@mit.example.org", 1),
                                  ("P-0002", "grace@anl.example.org", 0), ("P-0001", "alan@example.org", 0)))
    page = open_table_page(table_desk, "owed")
    # Ada's P-0001 and Grace's P-0002 are submitted; Ada's P-0002 is a draft; Alan has not started.
    assert rows(page) == [["Ada Lovelace", "ada@mit.example.org", "P-0002", "Draft", "1"],
                          ["Alan Turing", "alan@example.org", "P-0001", "Not started", "1"]]
