"""The numbers behind the Overview page (Qt-free, so the CLI, notebooks and tests get the same).

- requested money by challenge area (of each proposal's primary challenge) and phase, and by call
  and phase against the call's total budget;
- proposals by status and phase;
- how many proposals each challenge has, for the ones with none or few;
- commitments by partner and fiscal year (see overview_investments).

Money is summed exactly in minor units of each currency first, then each sum is converted once to
the reporting currency at the latest rate published on or before `rates_on` (half-even, as
money.Money.convert). Commitments are valued at their pledge dates instead. Every rate used is
returned with the figures. Withdrawn proposals are left out of the money and of the challenge
counts (their teams took them back), but are counted among the proposals by status.
The aggregates run in SQL, so a million proposals come back as a few hundred rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from .frames import STATUSES, raw, read
from .frames_money import rate_book
from .money import RateBook
from .overview_investments import Investments, investments_from
from .overview_rates import RateUsed, convert, programme_currency, rates_text, reporting_currencies
from .programme import Call, CallPhase, Challenge
from .proposals import Proposal, ProposalBudget, ProposalChallenge, ProposalStatus

LEFT_OUT = (ProposalStatus.WITHDRAWN.value,)
NO_PRIMARY = "(no primary challenge)"
FEW_PROPOSALS = 3
PROPOSALS_RATES = "proposals and call budgets"


@dataclass(frozen=True)
class Overview:
    reporting_currency: str
    rates_on: date
    currencies: tuple[str, ...]  # what the portfolio can be reported in, the programme's first
    phases: tuple[str, ...]
    by_area: pd.DataFrame  # area, phase, proposals, requested_minor
    by_call: pd.DataFrame  # call, phase, proposals, requested_minor
    call_budgets: pd.DataFrame  # call, title, currency, budget_minor (original), budget_reporting_minor
    by_status: pd.DataFrame  # status, phase, proposals: every status and phase, zeros included
    challenges: pd.DataFrame  # code, title, area, status, proposals (filed under it), also_addressed
    investments: Investments
    rates_used: tuple[RateUsed, ...]

    @property
    def commitments(self) -> pd.DataFrame:
        """partner, fiscal_year, pledged_minor, obligated_minor, disbursed_minor (reporting currency)."""
        return self.investments.by_partner_and_year()

    def few_proposals(self, below: int = FEW_PROPOSALS) -> pd.DataFrame:
        """Challenges with fewer than `below` proposals filed under them, fewest first."""
        few = self.challenges[self.challenges["proposals"] < below]
        return few.sort_values(["proposals", "code"], kind="stable").reset_index(drop=True)

    def rates_text(self) -> str:
        return rates_text(self.rates_used, self.reporting_currency)


def read_overview(engine: Engine, reporting_currency: str | None = None, rates_on: date | None = None) -> Overview:
    """The overview in `reporting_currency` (None: the programme's) at the rates of `rates_on`
    (None: today). A currency with no rate on or before the date raises money.MoneyError."""
    day = rates_on or date.today()
    with engine.connect() as conn:
        reporting = reporting_currency or programme_currency(conn)
        choices = reporting_currencies(conn)
        book = rate_book(conn)
        challenges = _challenges(conn)
        groups = _proposal_groups(conn)
        budgets = read(conn, select(Call.number.label("call"), Call.title, Call.currency,
                                    Call.total_budget_minor.label("budget_minor")).order_by(Call.number))
        phases = set(conn.scalars(select(CallPhase.phase).distinct()))
        investments = investments_from(conn, reporting, choices, book)
    areas = challenges.set_index("id")["area"]
    groups["area"] = groups["challenge_id"].map(areas).fillna(NO_PRIMARY).astype("str")
    counted = groups[~groups["status"].isin(LEFT_OUT)]
    by_area, used_area = _requested(counted, ["area", "phase"], reporting, book, day)
    by_call, used_call = _requested(counted, ["call", "phase"], reporting, book, day)
    budgets, used_budget = convert(budgets.astype({"budget_minor": "int64"}), ["budget"], reporting, book, day,
                                   PROPOSALS_RATES)
    phases = tuple(sorted(phases | set(groups["phase"])))
    used = {*used_area.values(), *used_call.values(), *used_budget.values(), *investments.rates_used}
    return Overview(
        reporting_currency=reporting, rates_on=day, currencies=choices, phases=phases,
        by_area=by_area, by_call=by_call,
        call_budgets=budgets[["call", "title", "currency", "budget_minor", "budget_reporting_minor"]],
        by_status=_by_status(groups, phases), challenges=_challenge_counts(challenges, counted),
        investments=investments, rates_used=tuple(sorted(used)),
    )


def _challenges(conn: Connection) -> pd.DataFrame:
    c = Challenge
    df = read(conn, select(c.id, c.code, c.title, c.area, raw(c.status)).order_by(c.code))
    # NOT IN over the few withdrawn ids (found by the status index) beats joining every proposal.
    left_out = select(Proposal.id).where(raw(Proposal.status).in_(LEFT_OUT))
    secondary = (select(ProposalChallenge.challenge_id, func.count().label("n"))
                 .where(~ProposalChallenge.is_primary, ProposalChallenge.proposal_id.not_in(left_out))
                 .group_by(ProposalChallenge.challenge_id))
    also = dict(conn.execute(secondary).all())
    df["also_addressed"] = df["id"].map(also).fillna(0).astype("int64")
    return df


def _proposal_groups(conn: Connection) -> pd.DataFrame:
    """Proposal counts and requested sums (exact minor units) per call, phase, status, currency and
    primary challenge id (NaN when a proposal has none). One statement: SQLite sums each proposal's
    budget rows along their primary key, then groups once (twice as fast as grouping budget rows
    and proposals in two statements, measured at 200,000 proposals)."""
    pc, b = ProposalChallenge, ProposalBudget
    # One primary per proposal even if the data has two: the lowest id, so nothing is counted twice.
    primary = (select(pc.proposal_id, func.min(pc.challenge_id).label("challenge_id"))
               .where(pc.is_primary).group_by(pc.proposal_id).subquery())
    budgets = select(b.proposal_id, func.sum(b.amount_minor).label("minor")).group_by(b.proposal_id).subquery()
    groups = read(conn, select(Call.number.label("call"), Proposal.phase, raw(Proposal.status), Proposal.currency,
                               primary.c.challenge_id, func.count().label("proposals"),
                               func.coalesce(func.sum(budgets.c.minor), 0).label("requested_minor"))
                  .join(Call, Call.id == Proposal.call_id)
                  .outerjoin(budgets, budgets.c.proposal_id == Proposal.id)
                  .outerjoin(primary, primary.c.proposal_id == Proposal.id)
                  .group_by(Call.number, Proposal.phase, Proposal.status, Proposal.currency, primary.c.challenge_id))
    return groups.astype({"proposals": "int64", "requested_minor": "int64"})


def _requested(groups: pd.DataFrame, keys: list[str], reporting: str, book: RateBook,
               day: date) -> tuple[pd.DataFrame, dict]:
    """Sum per keys and currency exactly, convert each sum once, then add the converted sums."""
    sums = groups.groupby([*keys, "currency"], as_index=False, sort=True)[["proposals", "requested_minor"]].sum()
    sums, used = convert(sums, ["requested"], reporting, book, day, PROPOSALS_RATES)
    out = sums.groupby(keys, as_index=False, sort=True).agg(
        proposals=("proposals", "sum"), requested_minor=("requested_reporting_minor", "sum"))
    return out.astype({"proposals": "int64", "requested_minor": "int64"}), used


def _by_status(groups: pd.DataFrame, phases: tuple[str, ...]) -> pd.DataFrame:
    counts = groups.groupby(["status", "phase"])["proposals"].sum()
    grid = pd.MultiIndex.from_product([STATUSES, phases], names=["status", "phase"])
    return counts.reindex(grid, fill_value=0).astype("int64").reset_index()


def _challenge_counts(challenges: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    filed = counted.groupby("challenge_id")["proposals"].sum()
    out = challenges.drop(columns="id").assign(
        proposals=challenges["id"].map(filed).fillna(0).astype("int64"))
    return out[["code", "title", "area", "status", "proposals", "also_addressed"]]
