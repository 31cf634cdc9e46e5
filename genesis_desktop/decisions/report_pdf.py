"""The portfolio report and the decision file as PDF, laid out with reportlab's platypus.

A title page with the key totals, then one section per table, the charts beside the tables they
draw; every page after the first has the report's title in its header and "Page N of M" in its
footer. Long tables split across pages and repeat their header row. Money is shown in whole units
with thousands grouped and the currency named; the workbook (report_xlsx) keeps the exact amounts.
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Frame, KeepTogether, LongTable, NextPageTemplate,
                                PageBreak, PageTemplate, Paragraph, Spacer, TableStyle)

from . import report_charts as charts
from .report_data import format_money

MARGIN = 0.5 * inch
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontSize=9, leading=11.5)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
H1 = ParagraphStyle("h1", parent=STYLES["Heading1"], fontSize=20, leading=24, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=STYLES["Heading2"], fontSize=13, leading=16, spaceBefore=10, spaceAfter=4)
HEAD_ROW = colors.HexColor("#1f3b5c")
STRIPE = colors.HexColor("#eef2f7")
FONT_SIZES = (8.0, 7.0, 6.2, 5.5)  # a table that is too wide at one size tries the next
MIN_WRAP = 60.0  # points: narrower than this a wrapped column is more line breaks than text
WRAP_GOOD = 150.0  # points: a wrapped column at least this wide (or as wide as its text) reads well
WORD_CAP = 130.0  # points: a longer "word" (a URL, an e-mail) may break rather than widen its column


def _cell_text(value, kind: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "money":
        return value if isinstance(value, str) else f"{round(value):,}"
    if kind == "share":  # one decimal: a co-funding tolerance is a point or so
        return f"{value:.1%}"
    if kind == "score":
        return f"{value:.2f}"
    if kind == "int":
        return f"{int(value)}"
    return str(value)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns that say something: one empty in every row (no calibration run, nothing forced)
    would only take width from the ones that do."""
    empty = [c for c in frame.columns
             if len(frame) and frame[c].map(lambda v: v is None or v == "" or (isinstance(v, float) and math.isnan(v))).all()]
    return frame.drop(columns=empty)


def data_table(tbl: dict, width: float) -> LongTable:
    """A table flowable of report_data's table that fits `width`: numbers right-aligned, long text
    wrapped, the font made smaller only when the columns cannot fit otherwise."""
    frame, formats = _shown(tbl["frame"]), tbl["formats"]
    texts = [[_cell_text(v, formats.get(c)) for c, v in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    numeric = [formats.get(c) in ("money", "share", "score", "int") for c in frame.columns]
    fits = [(size, *_fit(frame.columns, texts, numeric, size, width)) for size in FONT_SIZES]
    usable = [f for f in fits if f[1] is not None]
    if usable:  # the largest font whose wrapped columns stay readable, else the smallest that fits
        size, widths, wrap, _ = next((f for f in usable if f[3]), usable[-1])
    else:  # even the smallest font does not fit: wrap everything that is text, in equal shares
        size, widths, wrap = FONT_SIZES[-1], [width / len(numeric)] * len(numeric), [not n for n in numeric]
    cell = ParagraphStyle("cell", parent=BODY, fontSize=size, leading=size * 1.2)
    right = ParagraphStyle("num", parent=cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold", textColor=colors.white)
    rows = [[Paragraph(escape(str(c)), ParagraphStyle("hr", parent=head, alignment=TA_RIGHT) if n else head)
             for c, n in zip(frame.columns, numeric)]]
    for r in texts:
        rows.append([Paragraph(escape(t), right if n else cell) if w else t
                     for t, n, w in zip(r, numeric, wrap)])
    t = LongTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", size), ("BACKGROUND", (0, 0), (-1, 0), HEAD_ROW),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, HEAD_ROW), ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.grey),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i, n in enumerate(numeric) if n]]))
    return t


def _fit(columns, texts, numeric, size: float, width: float):
    """Column widths for one font size, which columns wrap, and whether the wrapped ones keep room
    enough (WRAP_GOOD) to read; (None, None, False) if they cannot fit at all. The widest text columns
    wrap first, none narrower than its longest word (header included): words are never split."""
    pad = 6.5
    sample = texts[:400]
    def longest_word(i: int) -> float:
        words = {w for r in sample for w in r[i].split()} | set(str(columns[i]).split())
        return min(WORD_CAP, max((stringWidth(w, "Helvetica", size) for w in words), default=0.0) + pad)
    natural = [max(stringWidth(w, "Helvetica-Bold", size) + pad for w in str(c).split() or [""]) for c in columns]
    natural = [max(n, max((stringWidth(r[i], "Helvetica", size) for r in sample), default=0.0) + pad)
               for i, n in enumerate(natural)]
    wrap = [False] * len(natural)
    if sum(natural) <= width:
        return natural, wrap, True
    for i in sorted(range(len(natural)), key=lambda i: -natural[i]):
        if numeric[i]:
            continue  # a number broken over two lines is misread
        if natural[i] <= MIN_WRAP:
            break
        wrap[i] = True
        room = width - sum(w for w, x in zip(natural, wrap) if not x)
        floor = {j: max(MIN_WRAP, longest_word(j)) for j in range(len(wrap)) if wrap[j]}
        if room >= sum(floor.values()):
            spare, wanted = room - sum(floor.values()), sum(natural[j] - f for j, f in floor.items())
            widths = [floor[j] + spare * (natural[j] - floor[j]) / wanted if j in floor else w
                      for j, w in enumerate(natural)]
            return widths, wrap, all(widths[j] >= min(natural[j], WRAP_GOOD) for j in floor)
    return None, None, False


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end so that each footer can say how many there are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(self._pagesize[0] - MARGIN, MARGIN * 0.5, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _document(path: Path, data: dict, pagesize) -> BaseDocTemplate:
    doc = BaseDocTemplate(str(path), pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 12,
                          bottomMargin=MARGIN + 6, title=data["title"], author="Genesis Desktop",
                          subject=data["title"], creator="Genesis Desktop (genesis report)")
    w, h = pagesize

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, MARGIN * 0.5, f"Genesis Desktop · generated {data['generated']}")
        canvas.restoreState()

    def header(canvas, doc_):
        footer(canvas, doc_)
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(HEAD_ROW)
        canvas.drawString(MARGIN, h - MARGIN * 0.75, data["title"])
        canvas.setStrokeColor(HEAD_ROW)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, h - MARGIN * 0.75 - 4, w - MARGIN, h - MARGIN * 0.75 - 4)
        canvas.restoreState()

    frame = Frame(MARGIN, MARGIN + 6, w - 2 * MARGIN, h - 2 * MARGIN - 18, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate("title", [frame], onPage=footer), PageTemplate("body", [frame], onPage=header)])
    return doc


def _section(tbl: dict, width: float, currency: str, chart=None) -> list:
    """Heading, note and chart kept on one page; the table after them splits as it must."""
    head = [Paragraph(escape(tbl["title"]), H2)]
    note = tbl.get("note") or ""
    if "money" in tbl["formats"].values():
        note = (note + " " if note else "") + f"Amounts in {currency}, whole units."
    if note:
        head.append(Paragraph(escape(note), NOTE))
    head.append(Spacer(1, 4))
    if chart is not None:
        head += [chart, Spacer(1, 6)]
    body = data_table(tbl, width) if len(tbl["frame"]) else Paragraph("None recorded.", BODY)
    return [CondPageBreak(1.6 * inch), KeepTogether(head), body]


def _key_values(rows: list[tuple[str, str]], width: float) -> LongTable:
    label = ParagraphStyle("kl", parent=BODY, fontName="Helvetica-Bold")
    t = LongTable([[Paragraph(escape(k), label), Paragraph(escape(v), BODY)] for k, v in rows],
                  colWidths=[1.9 * inch, width - 1.9 * inch], hAlign="LEFT")
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                           ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return t


def write_portfolio_pdf(data: dict, path: str | Path) -> Path:
    """Render portfolio_report_data(...) to `path` (landscape Letter: the proposal tables are wide)."""
    path, pagesize = Path(path), landscape(letter)
    doc = _document(path, data, pagesize)
    width, ccy, t, tables = pagesize[0] - 2 * MARGIN, data["currency"], data["totals"], data["tables"]
    solved = f"; solved {data['solved_at']}" if data.get("solved_at") else ""
    story = [Spacer(1, 0.4 * inch), Paragraph(escape(data["title"]), H1),
             Paragraph(escape(f"{data['call']}: {data['call_title']}"), BODY),
             Paragraph(escape(f"Generated {data['generated']}{solved}; saved by {data['saved_by']}"
                              + (f", solved by {data['solved_by']}" if data.get("solved_by") else "")), NOTE),
             Spacer(1, 0.2 * inch),
             _key_values([("Proposals chosen", f"{t['chosen']} of {t['competing']} competing"),
                          ("Total value", f"{t['value']:,.2f} ({t['objective']} objective; solver {t['status']})"),
                          ("Money requested, all years", format_money(t["money_requested"], ccy)),
                          ("Phase II reserve, all years", format_money(t["money_reserved"], ccy))]
                         + ([("Scenario note", data["note"])] if data.get("note") else []), width * 0.6),
             Spacer(1, 0.15 * inch), Paragraph("Money per fiscal year against the budget", H2),
             data_table(_title_years(tables["years"], ccy), width * 0.75)]
    story += [Spacer(1, 0.1 * inch)] + [Paragraph(escape(n), NOTE) for n in data["notes"]]
    story += [NextPageTemplate("body"), PageBreak()]
    figs, cw = data["figures"], width * 0.8
    story += _section(tables["years"], width, ccy, charts.spend_vs_budget(figs["spend_vs_budget"], ccy, cw, 190))
    areas = figs["money_by_area"]["areas"]  # none when nothing is chosen: an empty chart says nothing
    story += _section(tables["areas"], width, ccy, charts.money_by_area(figs["money_by_area"], ccy, cw,
                                                                       max(120, 30 + 22 * len(areas))) if areas else None)
    story += _section(tables["chosen"], width, ccy)
    story += [CondPageBreak(3.4 * inch), Paragraph("Merit against cost", H2),
              Paragraph("Every competing proposal; the chosen ones filled.", NOTE),
              charts.merit_vs_cost(figs["merit_cost"], ccy, cw, 230)]
    for key in ("coverage", "caps", "near_line"):
        story += _section(tables[key], width, ccy)
    if "robustness" in tables:
        shares = figs["robustness"]["shares"]
        story += _section(tables["robustness"], width, ccy,
                          charts.robustness_shares(figs["robustness"], cw, 170) if shares else None)
    for key in ("risk", "ledger", "cofunding", "spec"):
        if key in tables:
            story += _section(tables[key], width, ccy)
    doc.build(story, canvasmaker=_NumberedCanvas)
    return path


def _title_years(tbl: dict, currency: str) -> dict:
    """The years table with the currency in each money cell, as a title page states totals."""
    frame = tbl["frame"].copy()
    for c in tbl["formats"]:
        frame[c] = ["no limit" if c == "Budget" and math.isnan(v) else format_money(v, currency) for v in frame[c]]
    return {**tbl, "frame": frame}


def write_decision_pdf(data: dict, path: str | Path) -> Path:
    """Render decision_file_data(...) to `path` (portrait Letter)."""
    path, pagesize = Path(path), letter
    doc = _document(path, data, pagesize)
    width, p, ccy = pagesize[0] - 2 * MARGIN, data["proposal"], data["currency"]
    d, cal = data["decision"], data["calibration"]
    facts = [("Title", p["title"]), ("Call", f"{p['call']}: {p['call_title']}"), ("Phase", p["phase"]),
             ("Lead", f"{p['lead']} ({p['lead_name']})"), ("Principal investigator", f"{p['principal_investigator']} "
                                                                                     f"<{p['pi_email']}>"),
             ("Team", ", ".join(p["team"]) or "the lead alone"), ("Challenges", "; ".join(p["challenges"]) or "none"),
             ("Submitted", p["submitted_on"] or "not recorded"), ("Requested", format_money(p["budget_total"], ccy))]
    if p["continues"]:
        facts.append(("Continues", p["continues"]))
    decision = [("Decision", d["status"].replace("_", " ")),
                ("Last change", f"{d['when']} by {d['by']}" + (f": {d['note']}" if d["note"] else "") if d["when"]
                 else "no status change recorded")]
    if cal:
        decision += [("Calibrated score", f"{cal['calibrated_total']:.2f} ± {cal['calibrated_sd']:.2f} "
                                          f"(raw mean {_cell_text(cal['raw_total'], 'score') or 'none'})"),
                     ("90% rank interval", "not ranked" if cal["rank_low"] is None else
                      f"{cal['rank_low']:.0f} to {cal['rank_high']:.0f}"),
                     ("P(funded)", f"{cal['probability_funded']:.0%} (calibration job {cal['job']})")]
    story = [Paragraph(escape(data["title"]), H1), _key_values(facts, width), Spacer(1, 8),
             Paragraph("Decision and standing", H2), _key_values(decision, width)]
    story += [Paragraph(escape(n), NOTE) for n in data["notes"]]
    story.append(NextPageTemplate("body"))
    for key in ("budget", "reviews", "comments", "versions", "conflicts", "waivers", "history", "scenarios"):
        story += _section(data["tables"][key], width, ccy)
    doc.build(story, canvasmaker=_NumberedCanvas)
    return path
