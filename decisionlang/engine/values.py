"""Runtime values that are not plain data: missing information and evaluation problems.

Both are values, not exceptions, so `and`/`or` can decide around them (see docs/semantics.md).
The classes live in `core.undetermined` (the value formatters in `core.format` name them).
"""

from __future__ import annotations

from typing import Any

from decisionlang.core.undetermined import Missing, Problem, Undetermined

__all__ = ["Missing", "Problem", "Undetermined", "merge"]


def merge(first: Undetermined, second: Any) -> Undetermined:
    """Combine two undetermined operands: a problem wins; missing fields accumulate."""
    if isinstance(first, Problem):
        return first
    if isinstance(second, Problem):
        return second
    if isinstance(first, Missing) and isinstance(second, Missing):
        return Missing(tuple(dict.fromkeys(first.fields + second.fields)))
    return first
