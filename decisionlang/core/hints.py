"""Did-you-mean hints, one rule for every stage: the closest known name, if close enough."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.75  # similarity (difflib ratio) a name needs to be offered as the one meant


def closest(name: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The candidate `name` is most likely a misspelling of, or None."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """`did you mean `criticality`?`, or None when nothing is close."""
    match = closest(name, candidates, cutoff)
    return f"did you mean `{match}`?" if match is not None else None
