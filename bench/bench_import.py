"""Import of N proposals from CSV with full validation, against a bare read + insert of the same rows.

    python bench/bench_import.py [--rows 100000] [--repeat 1] [--keep DIR]

Both sides start from the same database (programme, institutions, challenges and the call already
there), read the same CSV and write the same rows: proposal, proposal_budget, proposal_challenge,
proposal_institution and one proposal_status_change per proposal. The bare side is
`pandas.read_csv` plus a plain Python loop that splits the list and mapping cells, looks up ids and
inserts with SQLAlchemy Core executemany, checking nothing. The target: the ratio stays under 2.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from genesis_desktop.portfolio.io import import_file
from genesis_desktop.portfolio.schema import (
    Call, CallPhase, Challenge, Institution, Programme, Proposal, ProposalBudget, ProposalChallenge,
    ProposalInstitution, ProposalStatusChange,
)
from genesis_desktop.portfolio.store import open_store

CALL = "DE-FOA-0003612"
N_INST, N_CHALLENGES = 300, 26
WORDS = ("grid nuclear quantum fusion materials biotech microelectronics manufacturing climate catalysis "
         "accelerator subsurface minerals robotics imaging").split()


def seed(store) -> None:
    """The records every proposal refers to, written directly (not part of what is measured)."""
    with store.engine.begin() as conn:
        pid = conn.execute(insert(Programme.__table__).returning(Programme.id),
                           [{"code": "GENESIS", "name": "The Genesis Mission", "description": "",
                             "fiscal_calendar": "US", "reporting_currency": "USD"}]).scalar_one()
        conn.execute(insert(Institution.__table__), [
            {"code": f"INST-{i:03d}", "name": f"Institution {i}", "kind": "university", "country": "US", "city": ""}
            for i in range(N_INST)])
        conn.execute(insert(Challenge.__table__), [
            {"programme_id": pid, "code": f"GC-{i:02d}", "title": f"Challenge {i}", "area": WORDS[i % len(WORDS)],
             "description": "", "target_outcomes": "", "status": "active", "official": False, "source": ""}
            for i in range(1, N_CHALLENGES + 1)])
        cid = conn.execute(insert(Call.__table__).returning(Call.id), [{
            "programme_id": pid, "number": CALL, "title": "Genesis call", "currency": "USD",
            "total_budget_minor": 29_376_000_000, "topic_areas": [], "description": ""}]).scalar_one()
        conn.execute(insert(CallPhase.__table__), [
            {"call_id": cid, "phase": "I", "award_floor_minor": 50_000_000, "award_ceiling_minor": 75_000_000,
             "ceiling_per_year": False, "duration_months": 9},
            {"call_id": cid, "phase": "II", "award_floor_minor": 150_000_000, "award_ceiling_minor": 375_000_000,
             "ceiling_per_year": True, "duration_months": 36}])


def generate(path: Path, n: int, rng: np.random.Generator) -> None:
    """n valid proposals: Phase I totals within $500k-$750k over 1-2 years, Phase II $1.5M-$3.75M a year for 3."""
    lead = rng.integers(0, N_INST, n)
    rows = []
    for i in range(n):
        phase2 = i % 4 == 0
        others = {int(x) for x in rng.integers(0, N_INST, rng.integers(1, 4))} - {int(lead[i])} or {(int(lead[i]) + 1) % N_INST}
        if phase2:
            budget = "; ".join(f"FY{2027 + y}={rng.integers(1_500_000, 3_750_000)}.{rng.integers(0, 100):02d}" for y in range(3))
        elif i % 3:
            total = int(rng.integers(500_000, 750_000))
            budget = f"FY2026={total // 2}.50; FY2027={total - total // 2 - 1}.50"
        else:
            budget = f"FY2026={rng.integers(500_000, 750_000)}.00"
        topics = rng.choice(np.arange(1, N_CHALLENGES + 1), size=int(rng.integers(1, 4)), replace=False)
        day = date(2026, 4, 1 + i % 28).isoformat()
        rows.append({
            "code": f"P-{i:06d}", "call": CALL, "phase": "II" if phase2 else "I",
            "title": f"Proposal {i}: AI for {WORDS[i % len(WORDS)]}",
            "abstract": "We propose to " + " ".join(rng.choice(WORDS, 12)) + ".",
            "keywords": "; ".join(rng.choice(WORDS, 3, replace=False)),
            "lead_institution": f"INST-{lead[i]:03d}", "team": "; ".join(f"INST-{t:03d}" for t in sorted(others)),
            "principal_investigator": f"PI {i}", "pi_email": f"pi{i}@lab{i % 97}.gov",
            "challenges": "; ".join(f"GC-{t:02d}" for t in topics), "currency": "USD", "budget": budget,
            "requested_gpu_hours": str(int(rng.integers(0, 200_000))), "status": "submitted",
            "status_changed_on": day, "status_changed_by": "portal", "submitted_on": day,
        })
    pd.DataFrame(rows).to_csv(path, index=False)


def bare(store, path: Path, laps: dict) -> int:
    """The floor: read, split, look up, insert. No checks at all."""
    t = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    laps["read_csv"] = time.perf_counter() - t
    insert_s = 0.0
    with store.engine.begin() as conn:
        inst = dict(conn.execute(select(Institution.code, Institution.id)).all())
        topics = dict(conn.execute(select(Challenge.code, Challenge.id)).all())
        calls = dict(conn.execute(select(Call.number, Call.id)).all())
        split = lambda cell: [x.strip() for x in cell.split(";") if x.strip()]  # noqa: E731
        # Column lists zipped into dicts: DataFrame.to_dict is several times slower on Arrow-backed text.
        names = list(df.columns)
        recs = [dict(zip(names, row)) for row in zip(*(df[c].tolist() for c in names))]
        rows = [{
            "code": r["code"], "call_id": calls[r["call"]], "phase": r["phase"], "title": r["title"],
            "abstract": r["abstract"], "keywords": split(r["keywords"]), "lead_institution_id": inst[r["lead_institution"]],
            "principal_investigator": r["principal_investigator"], "pi_email": r["pi_email"], "currency": r["currency"],
            "requested_gpu_hours": int(r["requested_gpu_hours"] or 0), "status": r["status"],
            "submitted_on": date.fromisoformat(r["submitted_on"]) if r["submitted_on"] else None} for r in recs]
        t = time.perf_counter()
        conn.execute(insert(Proposal.__table__), rows)
        ids = dict(conn.execute(select(Proposal.code, Proposal.id)).all())
        insert_s += time.perf_counter() - t
        budget, team, chall, hist = [], [], [], []
        for r in recs:
            pid = ids[r["code"]]
            for entry in split(r["budget"]):
                fy, amount = entry.split("=")
                budget.append({"proposal_id": pid, "fiscal_year": int(fy.strip()[2:]),
                               "amount_minor": int(Decimal(amount) * 100)})
            team += [{"proposal_id": pid, "institution_id": inst[c]} for c in split(r["team"])]
            chall += [{"proposal_id": pid, "challenge_id": topics[c], "is_primary": i == 0}
                      for i, c in enumerate(split(r["challenges"]))]
            hist.append({"proposal_id": pid, "status": r["status"], "changed_by": r["status_changed_by"],
                         "changed_at": datetime.fromisoformat(r["status_changed_on"]), "note": ""})
        for table, rows in ((ProposalBudget, budget), (ProposalInstitution, team), (ProposalChallenge, chall),
                            (ProposalStatusChange, hist)):
            t = time.perf_counter()
            conn.execute(insert(table.__table__), rows)
            insert_s += time.perf_counter() - t
        t = time.perf_counter()
    laps["commit"] = time.perf_counter() - t
    laps["executemany"] = insert_s
    return len(df)


class _ImportLog(logging.Handler):
    """Picks the importer's own timings (validation, writing) out of its log."""

    def __enter__(self):
        self.laps = {}
        self.logger = logging.getLogger("genesis_desktop.portfolio.io.importer")
        self.logger.addHandler(self)
        self.level_before = self.logger.level
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        secs = float(msg.rsplit(" in ", 1)[1].split(" s")[0])
        self.laps["validate" if msg.startswith("validated") else "write+commit"] = secs


def fresh(folder: Path, name: str):
    store = open_store(f"sqlite:///{folder / name}")
    seed(store)
    return store


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side; the best time counts")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="genesis-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        csv = folder / "proposals.csv"
        t = time.perf_counter()
        generate(csv, args.rows, np.random.default_rng(2026))
        print(f"generated {args.rows:,} proposals ({csv.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
        pd.read_csv(csv, dtype=str, keep_default_na=False)  # warm the page cache for both sides alike
        best = {"bare": float("inf"), "import": float("inf")}
        detail = {}
        for run in range(args.repeat):
            for side in ("bare", "import"):
                store = fresh(folder, f"{side}-{run}.sqlite")
                laps: dict = {}
                t = time.perf_counter()
                if side == "bare":
                    bare(store, csv, laps)
                else:
                    with _ImportLog() as seen:
                        report = import_file(store, "proposals", csv)
                    assert report.created == args.rows, report
                secs = time.perf_counter() - t
                if side == "import":
                    laps = {"read": secs - sum(seen.laps.values()), **seen.laps}
                else:
                    laps = {"read_csv": laps["read_csv"], "split and look up": secs - sum(laps.values()),
                            "executemany": laps["executemany"], "commit": laps["commit"]}
                if secs < best[side]:
                    best[side], detail[side] = secs, laps
                store.close()
        for side, secs in best.items():
            label = "bare read_csv + Core executemany" if side == "bare" else "import_file (validated)"
            laps = ", ".join(f"{k} {v:.2f} s" for k, v in detail[side].items())
            print(f"{label:34s} {secs:7.2f} s  {args.rows / secs:10,.0f} rows/s  ({laps})")
        print(f"ratio import / bare: {best['import'] / best['bare']:.2f} (target < 2)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
