"""Runtime values that are not plain data: missing information and evaluation problems; and the
range every computed number must stay in.

Missing and Problem are values, not exceptions, so `and`/`or` can decide around them (see
docs/semantics.md). The classes live in `core.undetermined` (the value formatters in `core.format`
name them).

Numbers are Python ints and floats, but the language computes with finite numbers of at most
`LARGEST` in magnitude (S41): `finite` is the one gate every computed number passes (arithmetic,
sums, averages, scores, builtin results), so an infinity or a NaN never exists at run time and an
integer never grows past the float range. The compiled closures turn `NumberOutOfRange` into a
`DL-EVAL-RANGE` problem at the expression that overflowed.
"""

from __future__ import annotations

import math
import sys
from typing import Any, TypeVar

from decisionlang.core.format import show_number
from decisionlang.core.undetermined import Missing, OutOfRange, Problem, Undetermined

__all__ = [
    "LARGEST",
    "RANGE_WORDS",
    "Missing",
    "NumberOutOfRange",
    "OutOfRange",
    "Problem",
    "Undetermined",
    "finite",
    "merge",
    "written",
]

LARGEST = sys.float_info.max  # about 1.8 × 10³⁰⁸: the largest magnitude a number may have
RANGE_WORDS = f"beyond the range of numbers (±{show_number(LARGEST)})"


T = TypeVar("T")


class NumberOutOfRange(OverflowError):
    """A computed number that is not finite or beyond LARGEST in magnitude."""


def finite(number: T) -> T:
    """`number` itself when it is a finite int or float within range; anything else passes
    through unchanged (dates, durations, texts). Raises NumberOutOfRange."""
    kind = type(number)
    if kind is float or kind is int:  # the common case, in one test (NaN is in no range)
        if -LARGEST <= number <= LARGEST:  # type: ignore[operator]
            return number
        raise NumberOutOfRange
    if isinstance(number, float):
        if not math.isfinite(number):
            raise NumberOutOfRange
    elif isinstance(number, int) and not -LARGEST <= number <= LARGEST:
        raise NumberOutOfRange
    return number


def written(marker: OutOfRange) -> str:
    """An out-of-range state number in words, short whatever its length: `1e999`, `a number of
    310 digits`."""
    text = marker.text.strip()
    if len(text) <= 24:
        return f"`{text}`"
    digits = sum(ch.isdigit() for ch in text)
    return f"a number of {digits} digits"


def merge(first: Undetermined, second: Any) -> Undetermined:
    """Combine two undetermined operands: a problem wins; missing fields accumulate."""
    if isinstance(first, Problem):
        return first
    if isinstance(second, Problem):
        return second
    if isinstance(first, Missing) and isinstance(second, Missing):
        return Missing(tuple(dict.fromkeys(first.fields + second.fields)))
    return first
