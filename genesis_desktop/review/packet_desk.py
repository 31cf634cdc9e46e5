"""A reviewer's desk over an offline review packet: one JSON file, and no database.

The file (UTF-8 JSON, suggested extension `.genesis-review`, version 1):

    {"format": "genesis-review-packet", "version": 1,
     "issued": {"packet": uuid, "reviewer": {"email", "name"}, "issued_at", "issued_by",
                "proposals": [{"code", "title", "abstract", "keywords", "phase", "call", "position"}],
                "rubrics": {call number: Rubric.to_json()}},
     "digest": "sha256:" + SHA-256 of json.dumps(issued, sort_keys=True, separators=(",", ":"),
                                                  ensure_ascii=False) in UTF-8,
     "reviews": {code: {"state": "draft" | "submitted", "scores", "comments", "updated_at", "submitted_at",
                        "versions": [{"version", "scores", "comments", "submitted_at", "replaced_at",
                                      "replaced_by", "reason"}]}}}

Times are UTC, ISO 8601 with a Z. "issued" never changes; "reviews" is the reviewer's work. The digest
guards "issued" against damage here (no secret: it proves nothing against a deliberate edit); the
portfolio kept the same digest when it issued the packet and checks it on import.

`PacketDesk` keeps the rules of `scoring.DatabaseReviewerDesk` (and raises its exceptions), and each
change rewrites the file atomically, so a crash leaves the old file or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from genesis_desktop.portfolio.base import utcnow

from .rubric import Rubric, RubricError
from .scoring import (Assigned, EarlierVersion, MyReview, PanelReview, ReviewAccessError, ReviewStateError, _checked,
                      check_reason)

FORMAT, VERSION = "genesis-review-packet", 1
SUFFIX = ".genesis-review"
STATES = ("draft", "submitted")


class PacketError(ValueError):
    """A file that is not a usable review packet, or a packet the portfolio refuses; the message names the
    file and, where there is one, the proposal, field, value and rule."""


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(issued: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(issued)).hexdigest()


def same_digest(a: str, b: str) -> bool:  # in constant time, and any text (compare_digest refuses non-ASCII str)
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def when(text: str | None) -> datetime | None:
    """A time written by `iso` (UTC, naive in memory as in the database); ValueError for anything else."""
    moment = None if text is None else datetime.fromisoformat(text.removesuffix("Z"))
    if moment is not None and moment.tzinfo is not None:
        raise ValueError(f"{text!r}: write UTC with a Z, not an offset")
    return moment


def read_packet(path: str | os.PathLike) -> dict[str, Any]:
    """The packet in `path`, its shape checked (not its digest), or PacketError naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise PacketError(f"{path}: no such file") from None
    except OSError as err:
        raise PacketError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise PacketError(f"{path}: not a review packet: it is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise PacketError(f"{path}: not a review packet: unreadable JSON at line {err.lineno}, column {err.colno} "
                          f"({err.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PacketError(f"{path}: not a review packet (a packet says \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise PacketError(f"{path}: packet format version {data.get('version')!r}; this program reads {VERSION}")
    data.setdefault("reviews", {})
    if problems := _shape(data):
        raise PacketError(f"{path}: not a usable review packet: " + "; ".join(problems))
    return data


def write_packet(path: str | os.PathLike, data: Mapping[str, Any]) -> None:
    """Write the packet beside `path`, flush it to disk, then rename it over `path` (atomic)."""
    path = Path(path)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise PacketError(f"{path}: cannot be written ({err.strerror or err})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise PacketError(f"{path}: cannot be written ({err.strerror or err}); the file is as it was") from None
        raise


# -- shape -----------------------------------------------------------------------------------------
_KINDS = {str: "text", int: "a whole number", list: "a list", dict: "an object"}


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _fields(found: list[str], where: str, item: Any, spec: Mapping[str, tuple]) -> bool:
    if not isinstance(item, dict):
        found.append(f"{where}: {item!r} is not an object")
        return False
    for key, kinds in spec.items():
        value = item.get(key)
        if not any(value is None if k is None else _is(value, k) for k in kinds):
            names = " or ".join("null" if k is None else _KINDS[k] for k in kinds)
            found.append(f"{where}.{key}: {value!r} is not {names}")
        elif isinstance(value, str) and key.endswith("_at"):
            try:
                when(value)
            except ValueError:
                found.append(f"{where}.{key}: {value!r} is not a time (ISO 8601, UTC)")
    return True


def _scores(found: list[str], where: str, scores: Any) -> None:
    if isinstance(scores, dict):
        found += [f"{where}.scores.{k}: {v!r} is not a whole number" for k, v in scores.items() if not _is(v, int)]


def _shape(data: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    issued = data.get("issued")
    spec = {"packet": (str,), "reviewer": (dict,), "issued_at": (str,), "issued_by": (str,), "proposals": (list,),
            "rubrics": (dict,)}
    if not _fields(found, "issued", issued, spec) or found:
        return found
    _fields(found, "issued.reviewer", issued["reviewer"], {"email": (str,), "name": (str,)})
    for call, rubric in issued["rubrics"].items():
        try:
            Rubric.from_json(rubric)
        except (RubricError, AttributeError) as err:
            found.append(f"issued.rubrics.{call}: {err}")
    codes = set()
    for i, p in enumerate(issued["proposals"]):
        spec = {"code": (str,), "title": (str,), "abstract": (str,), "keywords": (list,), "phase": (str,),
                "call": (str,), "position": (int,)}
        if _fields(found, f"issued.proposals[{i}]", p, spec) and _is(p.get("code"), str):
            if p["code"] in codes:
                found.append(f"issued.proposals[{i}].code: {p['code']!r} appears more than once")
            codes.add(p["code"])
            if p.get("call") not in issued["rubrics"]:
                found.append(f"issued.proposals[{i}].call: {p.get('call')!r} has no rubric in issued.rubrics")
    if not _is(data.get("digest"), str):
        found.append(f"digest: {data.get('digest')!r} is not text")
    reviews = data.get("reviews", {})
    if not isinstance(reviews, dict):
        return [*found, f"reviews: {reviews!r} is not an object"]
    for code, r in reviews.items():
        where = f"reviews.{code}"
        if code not in codes:
            found.append(f"{where}: {code!r} is not a proposal of this packet (the packet has "
                         f"{', '.join(sorted(codes))})")
            continue
        spec = {"state": (str,), "scores": (dict,), "comments": (str,), "updated_at": (str, None),
                "submitted_at": (str, None), "versions": (list,)}
        if not _fields(found, where, r, spec):
            continue
        _scores(found, where, r.get("scores"))
        if r.get("state") not in STATES:
            found.append(f"{where}.state: {r.get('state')!r} is not 'draft' or 'submitted'")
        elif r["state"] == "submitted" and r.get("submitted_at") is None:
            found.append(f"{where}.submitted_at: a submitted review needs the time it was submitted")
        elif r["state"] == "draft" and r.get("versions"):
            found.append(f"{where}.versions: a draft has no earlier versions; only a submitted review is revised")
        for n, v in enumerate(r.get("versions") or []):
            spec = {"version": (int,), "scores": (dict,), "comments": (str,), "submitted_at": (str, None),
                    "replaced_at": (str,), "replaced_by": (str,), "reason": (str,)}
            if _fields(found, f"{where}.versions[{n}]", v, spec):
                _scores(found, f"{where}.versions[{n}]", v.get("scores"))
                if v.get("version") != n + 1:
                    found.append(f"{where}.versions[{n}].version: {v.get('version')!r}; versions are numbered "
                                 f"1, 2, ... in order, so this one is {n + 1}")
    return found


# -- the desk --------------------------------------------------------------------------------------
class PacketDesk:
    """One reviewer's desk over their packet file. Raises what DatabaseReviewerDesk raises, and PacketError
    when the file cannot be opened as a packet or a change cannot be saved (the desk then holds what the
    file holds)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._data = read_packet(self.path)
        issued = self._data["issued"]
        if not same_digest(self._data["digest"], digest_of(issued)):
            raise PacketError(f"{self.path}: the issued part (reviewer, proposals, rubrics) does not match the "
                              "packet's digest: the file was damaged or edited; ask the programme for a new packet")
        self.packet: str = issued["packet"]
        self.reviewer: str = issued["reviewer"]["email"]
        self.name: str = issued["reviewer"]["name"]
        self._proposals = {p["code"]: p for p in issued["proposals"]}
        self._rubrics = {call: Rubric.from_json(r) for call, r in issued["rubrics"].items()}

    # -- reading ---------------------------------------------------------------------------------
    def assignments(self) -> list[Assigned]:
        rows = sorted(self._proposals.values(), key=lambda p: (p["position"], p["code"]))
        return [Assigned(p["code"], p["title"], p["abstract"], tuple(p["keywords"]), p["phase"], p["call"], i + 1)
                for i, p in enumerate(rows)]

    def rubric(self, code: str) -> Rubric:
        return self._rubrics[self._assigned(code)["call"]]

    def my_review(self, code: str) -> MyReview | None:
        self._assigned(code)
        entry = self._data["reviews"].get(code)
        return None if entry is None else self._mine(code, entry)

    def others(self, code: str) -> list[PanelReview]:
        self._assigned(code)
        return []  # no panel offline: the others' reviews never leave the programme's database

    def history(self, code: str) -> list[EarlierVersion]:
        self._assigned(code)
        entry = self._data["reviews"].get(code) or {}
        return [EarlierVersion(v["version"], dict(v["scores"]), v["comments"], when(v["submitted_at"]),
                               when(v["replaced_at"]), v["replaced_by"], v["reason"])
                for v in entry.get("versions", ())]

    # -- writing: each call rewrites the file ------------------------------------------------------
    def save_draft(self, code: str, scores: Mapping[str, int], comments: str) -> MyReview:
        clean = _checked(self.rubric(code), code, scores, complete=False)
        entry = self._data["reviews"].get(code)
        if entry is not None and entry["state"] == "submitted":
            raise ReviewStateError(f"{code}: your review is submitted and locked; change it with a revision "
                                   "and a reason")
        return self._save(code, {"state": "draft", "scores": clean, "comments": comments or "",
                                 "updated_at": iso(utcnow()), "submitted_at": None, "versions": []})

    def submit(self, code: str, scores: Mapping[str, int] | None = None, comments: str | None = None) -> MyReview:
        rubric = self.rubric(code)
        entry = self._data["reviews"].get(code) or {"scores": {}, "comments": ""}
        if entry.get("state") == "submitted":
            raise ReviewStateError(f"{code}: your review is already submitted; change it with a revision")
        chosen = dict(entry["scores"]) if scores is None else dict(scores)
        now = iso(utcnow())
        return self._save(code, {"state": "submitted", "scores": _checked(rubric, code, chosen, complete=True),
                                 "comments": entry["comments"] if comments is None else comments,
                                 "updated_at": now, "submitted_at": now, "versions": []})

    def revise(self, code: str, scores: Mapping[str, int], comments: str, reason: str) -> MyReview:
        reason = check_reason(reason)
        clean = _checked(self.rubric(code), code, scores, complete=True)
        entry = self._data["reviews"].get(code)
        if entry is None or entry["state"] != "submitted":
            raise ReviewStateError(f"{code}: only a submitted review is revised; a draft is simply saved")
        now = iso(utcnow())
        earlier = {"version": len(entry["versions"]) + 1, "scores": entry["scores"], "comments": entry["comments"],
                   "submitted_at": entry["submitted_at"], "replaced_at": now, "replaced_by": self.reviewer,
                   "reason": reason}
        return self._save(code, {"state": "submitted", "scores": clean, "comments": comments or "",
                                 "updated_at": now, "submitted_at": now, "versions": [*entry["versions"], earlier]})

    # -- inside ----------------------------------------------------------------------------------
    def _assigned(self, code: str) -> dict[str, Any]:
        proposal = self._proposals.get(code)
        if proposal is None:
            raise ReviewAccessError(f"proposal {code!r} is not assigned to you")
        return proposal

    def _save(self, code: str, entry: dict[str, Any]) -> MyReview:
        data = {**self._data, "reviews": {**self._data["reviews"], code: entry}}
        write_packet(self.path, data)  # the file first: memory follows only what reached the disk
        self._data = data
        return self._mine(code, entry)

    @staticmethod
    def _mine(code: str, entry: Mapping[str, Any]) -> MyReview:
        return MyReview(code, dict(entry["scores"]), entry["comments"], entry["state"], when(entry["updated_at"]),
                        when(entry["submitted_at"]), len(entry["versions"]) + 1)
