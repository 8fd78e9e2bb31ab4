"""Delta debugging (Zeller's ddmin) of a failing input: drop whole files, then lines, then tokens,
while the run still gives the same finding."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Files = dict[str, str]
MAX_TESTS = 400  # runs per minimisation: enough for inputs of a few hundred lines


def ddmin(items: Sequence[T], still_fails: Callable[[list[T]], bool], budget: list[int]) -> list[T]:
    """A 1-minimal subsequence of `items` for which `still_fails` holds (within the budget of runs)."""
    current, chunks = list(items), 2
    while len(current) >= 2 and budget[0] > 0:
        size = max(1, len(current) // chunks)
        pieces = [current[i : i + size] for i in range(0, len(current), size)]
        for index in range(len(pieces)):
            complement = [item for j, piece in enumerate(pieces) if j != index for item in piece]
            budget[0] -= 1
            if budget[0] <= 0:
                return current
            if still_fails(complement):
                current, chunks = complement, max(chunks - 1, 2)
                break
        else:
            if chunks >= len(current):
                return current
            chunks = min(len(current), chunks * 2)
    return current


def minimise(files: Files, still_fails: Callable[[Files], bool], runs: int = MAX_TESTS) -> Files:
    budget = [runs]

    def safe(candidate: Files) -> bool:
        try:
            return still_fails(candidate)
        except Exception:
            return False

    paths = ddmin(sorted(files), lambda kept: safe({p: files[p] for p in kept}), budget)
    current = {path: files[path] for path in paths}
    for path in sorted(current):
        lines = current[path].splitlines(keepends=True)

        def with_text(chosen: list[str], path: str = path) -> bool:
            return safe({**current, path: "".join(chosen)})

        current[path] = "".join(ddmin(lines, with_text, budget))
        words = re.findall(r"\s+|\w+|\W", current[path])
        if len(words) < 2000:
            current[path] = "".join(ddmin(words, with_text, budget))
    return current
