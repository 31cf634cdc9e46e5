"""How well a reviewer fits a proposal, as a number in [0, 1], from text and from bids.

Qt-free, numpy and scipy only. `tfidf_affinity` compares each reviewer's expertise keywords with each
proposal's title, abstract and keywords: a TF-IDF model (sublinear term frequency, smoothed inverse
document frequency, rows scaled to unit length) and the cosine of the two vectors. `with_bids` then
blends in the bids that reviewers gave. The result feeds `assignment.assign`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

# Words that say nothing about a field of science. Kept short on purpose: a long list starts removing
# words that do carry meaning in titles ("system", "model", "use").
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no nor
not of off on once only or other our ours out over own same she should so some such than that the
their theirs them then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours
""".split())

# Letters and digits of any script; "_" is a word character for `\w` but never part of a term here.
_TERM = re.compile(r"[^\W_]+")

# Bid labels as conference systems name them, on the numeric scale -1 .. +2 that `with_bids` reads.
BID_LEVELS: dict[str, float] = {
    "eager": 2.0,
    "willing": 1.0,
    "in a pinch": 0.0,
    "neutral": 0.0,
    "not willing": -1.0,
}


def tokenize(text: str) -> list[str]:
    """The terms of `text`: lowercase runs of letters and digits, stop words left out."""
    return [t for t in _TERM.findall(text.lower()) if t not in STOP_WORDS]


def proposal_text(title: str, abstract: str, keywords: str | Sequence[str] = ()) -> str:
    """One text for a proposal: title, abstract and keywords (a string or a list of them)."""
    words = keywords if isinstance(keywords, str) else " ".join(keywords)
    return " ".join(part for part in (title, abstract, words) if part)


def _term_counts(docs: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> sp.csr_array:
    """Documents x terms count matrix (duplicates summed by the CSR conversion)."""
    rows: list[int] = []
    cols: list[int] = []
    for i, terms in enumerate(docs):
        for term in terms:
            rows.append(i)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
    data = np.ones(len(rows), dtype=np.float64)
    shape = (len(docs), max(len(vocabulary), 1))
    counts = sp.coo_array((data, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
                          shape=shape)
    return counts.tocsr()


def _unit_rows(matrix: sp.csr_array) -> sp.csr_array:
    """Rows scaled to unit Euclidean length; an empty row (no terms) stays zero."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    return sp.csr_array(sp.diags_array(1.0 / norms) @ matrix)


def tfidf_affinity(proposal_texts: Sequence[str], reviewer_texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors: a dense float array, n_proposals x n_reviewers, in [0, 1].

    The inverse document frequency is counted over proposals and reviewers together, so that a term
    every proposal uses ("learning", "data") weighs little even when only a few reviewers list it.
    Term frequency is sublinear (1 + log count) so that an abstract repeating a word ten times does
    not drown the rest. A proposal or reviewer with no terms gets affinity 0 with everyone.
    """
    proposal_terms = [tokenize(t) for t in proposal_texts]
    reviewer_terms = [tokenize(t) for t in reviewer_texts]
    vocabulary: dict[str, int] = {}
    counts = _term_counts(proposal_terms + reviewer_terms, vocabulary)
    n_docs = counts.shape[0]
    # Smoothed idf (as if one extra document held every term once): never zero, never divides by 0.
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + n_docs) / (1.0 + document_frequency)) + 1.0
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
    unit = _unit_rows(weighted)
    n_p = len(proposal_terms)
    cosine = (unit[:n_p] @ unit[n_p:].T).toarray() if n_docs else np.zeros((n_p, 0))
    # Weights are non-negative, so the cosine is in [0, 1] up to rounding; clip the rounding away.
    return np.clip(cosine, 0.0, 1.0)


def bid_value(bid: str | float) -> float:
    """A bid on the numeric scale -1 .. +2: a label from BID_LEVELS (any case, "-" or "_" for spaces)
    or a number. Raises ValueError for an unknown label or a number outside the scale."""
    if isinstance(bid, str):
        label = " ".join(bid.replace("-", " ").replace("_", " ").lower().split())
        if label not in BID_LEVELS:
            raise ValueError(f"unknown bid {bid!r}; expected one of {', '.join(BID_LEVELS)} or a number -1..2")
        return BID_LEVELS[label]
    value = float(bid)
    if not -1.0 <= value <= 2.0:
        raise ValueError(f"bid {bid!r} is outside the scale -1 (not willing) .. 2 (eager)")
    return value


def with_bids(affinity: np.ndarray,
              bids: Mapping[tuple[int, int], str | float] | Iterable[tuple[int, int, str | float]],
              *, eager_pull: float = 0.5, unwilling_factor: float = 0.1) -> np.ndarray:
    """Affinity with reviewers' bids blended in; a new array, `affinity` itself is left alone.

    `bids` maps (proposal, reviewer) to a bid, or lists (proposal, reviewer, bid) triples (a later
    bid for the same pair replaces an earlier one). A bid is a label ("eager", "willing",
    "in a pinch", "neutral", "not willing") or a number from -1 to +2. The rule, for affinity a:

    - a positive bid b moves a towards 1 by the fraction eager_pull * b / 2: with the defaults an
      "eager" bid (+2) goes half-way to 1, a "willing" bid (+1) a quarter of the way;
    - a negative bid b scales a down by 1 - (1 - unwilling_factor) * |b|: "not willing" (-1)
      multiplies it by 0.1 with the defaults;
    - zero ("in a pinch", "neutral") leaves it as it is.

    A "not willing" bid strongly lowers the affinity but does not forbid the pair: the assignment
    may still use it when nothing else fits. To forbid a pair, declare it a conflict.
    Affinities in [0, 1] stay in [0, 1], and a higher bid never gives a lower affinity.
    """
    if not 0.0 <= eager_pull <= 1.0 or not 0.0 <= unwilling_factor <= 1.0:
        raise ValueError("eager_pull and unwilling_factor must be between 0 and 1")
    result = np.array(affinity, dtype=np.float64, copy=True)
    if result.ndim != 2:
        raise ValueError(f"affinity must be a 2-D array (proposals x reviewers), got shape {result.shape}")
    triples = [(p, r, b) for (p, r), b in bids.items()] if isinstance(bids, Mapping) else bids
    latest: dict[tuple[int, int], float] = {}
    for p, r, b in triples:
        p, r = int(p), int(r)
        if not (0 <= p < result.shape[0] and 0 <= r < result.shape[1]):
            raise ValueError(f"bid for proposal {p}, reviewer {r} is outside the {result.shape} affinity matrix")
        latest[(p, r)] = bid_value(b)
    if not latest:
        return result
    pairs = np.array(list(latest), dtype=np.int64)
    values = np.fromiter(latest.values(), dtype=np.float64, count=len(latest))
    p_idx, r_idx = pairs[:, 0], pairs[:, 1]
    base = result[p_idx, r_idx]
    raised = base + (1.0 - base) * eager_pull * values / 2.0
    lowered = base * (1.0 - (1.0 - unwilling_factor) * np.abs(values))
    result[p_idx, r_idx] = np.where(values > 0, raised, np.where(values < 0, lowered, base))
    return result
