"""Every kind, in the order an import must handle them: a kind only refers to kinds before it."""
from __future__ import annotations

from .kinds_calls import CALLS
from .kinds_core import CHALLENGES, INSTITUTIONS
from .kinds_partners import COMMITMENTS, PARTNERS, RATES
from .kinds_proposals import PROPOSALS
from .kinds_reviews import REVIEWERS, REVIEWS
from .spec import Kind

ORDER: tuple[Kind, ...] = (INSTITUTIONS, CHALLENGES, CALLS, PARTNERS, RATES, COMMITMENTS, PROPOSALS, REVIEWERS, REVIEWS)
KINDS: tuple[str, ...] = tuple(k.name for k in ORDER)
BY_NAME: dict[str, Kind] = {k.name: k for k in ORDER}


def kind(name: str) -> Kind:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}: use one of {', '.join(KINDS)}") from None
