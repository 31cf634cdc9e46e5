"""What the Standings view shows for one call, read off the GUI thread: the latest calibration job's
result as table rows (or, before any, the raw totals from the reviews), the reviewers' leniency, and
any calibration of the call still running. `StandingsModel` is the project's array table model with
the grey-zone rows tinted; sorting is its argsort over the columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlalchemy import func, select

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobRecord, JobStore
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, ReviewState
from genesis_desktop.review.records import call_rubric
from genesis_desktop.review.rubric import Rubric
from genesis_desktop.review.standings import jobs_of_call, latest_result

from .columns import ColumnSpec, TableData
from .table_model import ArrayTableModel

UNFINISHED = tuple(s for s in JobState if not s.is_final)

CALIBRATION = "calibration"
NOT_CALIBRATED = "Not calibrated yet: Calibrate… runs the calibration as a compute job"

# Long titles on two lines: the proposal's title keeps the width.
STANDINGS_COLUMNS = (
    ColumnSpec("rank", "Rank", "float", text_key="rank_text", filterable=False),
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("reviews", "Reviews", "int", filterable=False),
    ColumnSpec("raw_total", "Raw\ntotal", "float", text_key="raw_text", filterable=False),
    ColumnSpec("calibrated", "Calibrated\n± sd", "float", text_key="calibrated_text", filterable=False),
    ColumnSpec("probability", "P(funded)", "float", text_key="probability_text", filterable=False),
    ColumnSpec("rank_low", "Rank\n90%", "float", text_key="interval_text", filterable=False),
    ColumnSpec("grey", "Grey\nzone", "bool", text_key="grey_text", filterable=False),
    ColumnSpec("funded", "At\nmean", "bool", text_key="funded_text", filterable=False),
)
HEADER_TIPS = {
    "rank": "Expected rank over the posterior draws (1 = best)",
    "reviews": "Submitted reviews that count",
    "raw_total": "Mean rubric total of the submitted reviews, before calibration",
    "calibrated": "Rubric total with each reviewer's leniency taken out, ± its posterior sd",
    "probability": "Share of the posterior draws in which the proposal is funded within the budget",
    "rank_low": "The rank's 90% interval over the posterior draws",
    "grey": "Funded in 10% to 90% of the draws: a decision for the panel to discuss",
    "funded": "Funded at the mean: when every proposal takes its mean calibrated score",
}
# Shown only once the call is calibrated; before, the table has the raw totals alone.
CALIBRATED_ONLY = ("rank", "calibrated", "probability", "rank_low", "grey", "funded")
STANDINGS_TABLES = frozenset({"review", "reviewer", "proposal", "call", "job"})
GREY_TINT = QColor(230, 159, 0, 48)  # Okabe-Ito orange, faint: readable under light and dark text


@dataclass(frozen=True)
class CallChoice:
    number: str
    title: str
    reviews: int

    @property
    def label(self) -> str:
        return f"{self.number} — {self.title} ({self.reviews} reviews)"


def read_calls(engine) -> list[CallChoice]:
    """The calls that have reviews, most reviewed first."""
    count = func.count(Review.id)
    stmt = (select(Call.number, Call.title, count).join(Proposal, Proposal.call_id == Call.id)
            .join(Review, Review.proposal_id == Proposal.id).group_by(Call.id, Call.number, Call.title)
            .order_by(count.desc(), Call.number))
    with engine.connect() as conn:
        return [CallChoice(n, t, int(c)) for n, t, c in conn.execute(stmt)]


@dataclass
class Standings:
    call: str
    rubric: Rubric
    frame: pd.DataFrame  # one row per proposal, STANDINGS_COLUMNS' keys and texts
    table: TableData
    reviewers: pd.DataFrame  # name, email, reviews, leniency, leniency_sd: most generous first
    job: JobRecord | None = None  # the calibration shown, None before the first
    result: dict | None = None
    running: list[JobRecord] = field(default_factory=list)  # calibrations of the call not finished
    changed_since: int = 0  # submitted reviews of the call written after the calibration shown

    @property
    def calibrated(self) -> bool:
        return self.result is not None

    @property
    def funded_count(self) -> int:
        return int(self.frame["funded"].sum()) if self.calibrated else 0

    def status(self) -> str:
        """The status bar's line."""
        if not self.calibrated:
            return f"{int((self.frame['reviews'] > 0).sum())} proposals with submitted reviews; not calibrated"
        ranked = int(self.frame["rank"].notna().sum())
        return f"{ranked} of {len(self.frame)} proposals ranked · {int(self.frame['grey'].sum())} in the grey zone"

    def summary(self) -> str:
        """The line above the table: where these standings come from."""
        if not self.calibrated:
            return NOT_CALIBRATED
        r, job = self.result, self.job
        grey = int(self.frame["grey"].sum())
        budget = f"{float(r['budget']):,.0f}"
        line = "" if r.get("funding_line") is None else f"; funding line {r['funding_line']:.2f} (rubric total)"
        ranked = int(self.frame["rank"].notna().sum())
        text = (f"Calibrated by job {job.id} on {job.updated_at:%Y-%m-%d %H:%M} ({r['draws']:,} draws, seed "
                f"{r['seed']}): the budget of {r['currency']} {budget} funds {self.funded_count} of the {ranked} "
                f"ranked proposals at the mean{line}; {grey} in the grey zone (10–90%): discuss.")
        if ranked < len(self.frame):
            text += f" {len(self.frame) - ranked} competing proposals have no submitted review and no rank."
        if not r.get("converged", True):
            text += " ⚠ The variance fit did not converge: read the intervals with care."
        if self.changed_since:
            text += f" {self.changed_since} review(s) changed since: Calibrate… again to include them."
        return text


def _text(values, fmt: str) -> list[str]:
    return ["" if v is None or v != v else format(v, fmt) for v in values]


def standings_frame(result: dict) -> pd.DataFrame:
    """The calibration result's proposals as table rows, in order of expected rank."""
    rows = pd.DataFrame(result["proposals"])
    f = pd.DataFrame({
        "rank": rows["expected_rank"].astype(float), "code": rows["code"].astype(str),
        "title": rows["title"].astype(str), "reviews": rows["reviews"].astype("int64"),
        "raw_total": rows["raw_total"].astype(float), "calibrated": rows["calibrated_total"].astype(float),
        "probability": rows["probability_funded"].astype(float), "rank_low": rows["rank_low"].astype(float),
        "rank_high": rows["rank_high"].astype(float), "grey": rows["grey_zone"].astype(bool),
        "funded": rows["funded_at_mean"].astype(bool), "sd": rows["calibrated_sd"].astype(float),
    })
    f["rank_text"] = _text(f["rank"], ".1f")
    f["raw_text"] = _text(f["raw_total"], ".2f")
    f["calibrated_text"] = [f"{c:.2f} ± {s:.2f}" for c, s in zip(f["calibrated"], f["sd"])]
    f["probability_text"] = _text(f["probability"], ".0%")
    f["interval_text"] = ["" if lo != lo else f"{lo:.0f} to {hi:.0f}" for lo, hi in zip(f["rank_low"], f["rank_high"])]
    f["grey_text"] = np.where(f["grey"], "discuss", "")
    f["funded_text"] = np.where(f["funded"], "funded", "")
    return f.sort_values("rank", kind="stable", na_position="last", ignore_index=True)


def raw_frame(store, call: str, rubric: Rubric) -> pd.DataFrame:
    """Before any calibration: each reviewed proposal's mean rubric total over its submitted reviews."""
    with store.session() as s:
        rows = s.execute(select(Proposal.code, Proposal.title, Review.state, Review.scores)
                         .join(Call, Call.id == Proposal.call_id).join(Review, Review.proposal_id == Proposal.id)
                         .where(Call.number == call).order_by(Proposal.code)).all()
    totals: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    for code, title, state, scores in rows:
        titles[code] = title
        done = totals.setdefault(code, [])
        if ReviewState(state) is ReviewState.SUBMITTED and not rubric.problems(scores or {}):
            done.append(rubric.total(scores))
    codes = list(titles)
    raw = np.array([np.mean(totals[c]) if totals[c] else np.nan for c in codes], dtype=float)
    nan = np.full(len(codes), np.nan)
    no = np.zeros(len(codes), dtype=bool)
    f = pd.DataFrame({"rank": nan, "code": codes, "title": [titles[c] for c in codes],
                      "reviews": np.array([len(totals[c]) for c in codes], dtype="int64"), "raw_total": raw,
                      "calibrated": nan, "probability": nan, "rank_low": nan, "rank_high": nan, "grey": no,
                      "funded": no, "sd": nan})
    empty = [""] * len(codes)
    f["raw_text"] = _text(raw, ".2f")
    for key in ("rank_text", "calibrated_text", "probability_text", "interval_text", "grey_text", "funded_text"):
        f[key] = empty
    # Best first: the rubric's total is on the scale of its first counting criterion.
    best_low = next(c for c in rubric.criteria if c.counts).best == "low"
    return f.sort_values("raw_total", ascending=best_low, kind="stable", na_position="last", ignore_index=True)


def reviewers_frame(result: dict | None) -> pd.DataFrame:
    columns = ["name", "email", "reviews", "leniency", "leniency_sd"]
    if not result or not result.get("reviewers"):
        return pd.DataFrame(columns=columns)
    f = pd.DataFrame(result["reviewers"])[columns]
    return f.sort_values(["leniency", "name"], ascending=[False, True], kind="stable", ignore_index=True)


def read_standings(store, call: str) -> Standings:
    """Everything the view shows for `call`; runs in a worker."""
    rubric = call_rubric(store, call)
    jobs = JobStore(store.engine)
    latest = latest_result(jobs, CALIBRATION, call)
    job, result = latest if latest else (None, None)
    frame = standings_frame(result) if result else raw_frame(store, call, rubric)
    changed = 0
    if job is not None:
        with store.session() as s:
            changed = s.scalar(select(func.count(Review.id)).join(Proposal, Proposal.id == Review.proposal_id)
                               .join(Call, Call.id == Proposal.call_id)
                               .where(Call.number == call, Review.state == ReviewState.SUBMITTED,
                                      Review.updated_at > job.created_at)) or 0
    table = TableData.from_frame(frame, STANDINGS_COLUMNS).prepare()
    return Standings(call, rubric, frame, table, reviewers_frame(result), job, result,
                     jobs_of_call(jobs, CALIBRATION, call, UNFINISHED), int(changed))


class StandingsModel(ArrayTableModel):
    """The standings rows, the grey-zone ones tinted; each header's tooltip says what its column means."""

    def __init__(self, parent=None) -> None:
        super().__init__(STANDINGS_COLUMNS, parent)
        self._grey = self.column_of("grey")

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.BackgroundRole:
            grey = self.table.values[self._grey][self.view.rows[index.row()]]
            return GREY_TINT if grey else None
        return super().data(index, role)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            key = STANDINGS_COLUMNS[section].key
            return HEADER_TIPS.get(key, STANDINGS_COLUMNS[section].title) + "; click to sort"
        return super().headerData(section, orientation, role)

    def code_at(self, row: int) -> str:
        return str(self.table.values[self.column_of("code")][self.view.rows[row]])

    def row_of(self, code: str) -> int:
        codes = self.raw_column("code")
        return codes.index(code) if code in codes else -1
