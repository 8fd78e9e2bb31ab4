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


def _separators_folded(name: str) -> str:
    return name.replace("-", "").replace("_", "").casefold()


def _edits(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, swaps of two
    neighbours), or `bound + 1` once it is known to exceed `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if before is not None and i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        before, previous = previous, current
    return previous[-1]


def typo_allowance(a: str, b: str) -> int:
    """Edits two names may differ by and still be taken for one name and its typo, by the length
    of the shorter: two from 9 characters, one from 5; below 5 only a letter left out or added
    (`tag` and `tags`), since a short name with another letter is often another real name
    (`cost`, `host`); nothing below 3. (`misspelling_of` also takes two swapped neighbours of a
    short name, `hihg` for `high`: no real name is that.)"""
    shorter = min(len(a), len(b))
    if shorter >= 9:
        return 2
    if shorter >= 5 or (shorter >= 3 and abs(len(a) - len(b)) == 1):
        return 1
    return 0


def _neighbours_swapped(a: str, b: str) -> bool:
    """`a` is `b` with two neighbouring letters swapped (`hihg`, `high`), from 3 letters."""
    if len(a) != len(b) or len(a) < 3:
        return False
    differ = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a[differ[0]] == b[differ[1]]
        and a[differ[1]] == b[differ[0]]
    )


def misspelling_of(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` is a misspelling of, or None: the same name but for case, `-` or `_`
    (`On_Call` for `on_call`), or within `typo_allowance` edits of it. A key this close to a
    declared one is taken for a mistake; a key further away for other data."""
    folded = _separators_folded(name)
    best: tuple[int, str] | None = None
    for candidate in sorted(set(candidates)):
        if candidate == name:
            continue
        if _separators_folded(candidate) == folded:
            return candidate
        bound = typo_allowance(name, candidate)
        if bound == 0:
            if _neighbours_swapped(name, candidate):  # `hihg` for `high`: no other real name
                bound = 1
            else:
                continue
        distance = _edits(name, candidate, bound)
        if distance <= bound and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
